//! Page windows shared by the lists.

use elife_domain::ports::{Page, PageRequest, RepositoryError};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, Select};

use crate::error::map_db_err;

/// The page actually served: 1-based number, limit capped at [`PageRequest::MAX_LIMIT`],
/// and the offset of its first row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub number: u64,
    pub limit: u64,
    pub offset: u64,
}

pub(crate) fn window(page: PageRequest) -> Window {
    let number = page.page.max(1);
    let limit = page.limit.min(PageRequest::MAX_LIMIT);
    Window {
        number,
        limit,
        offset: (number - 1).saturating_mul(limit),
    }
}

/// One page of `query`, newest first by `newest_first` (each column descending), with the
/// total of every matching row; each row is read with `read`.
pub(crate) async fn fetch_page<E, T>(
    db: &DatabaseConnection,
    query: Select<E>,
    newest_first: &[E::Column],
    page: PageRequest,
    read: impl Fn(E::Model) -> Result<T, RepositoryError>,
) -> Result<Page<T>, RepositoryError>
where
    E: EntityTrait,
    E::Model: Sync,
{
    let window = window(page);
    let total = query.clone().count(db).await.map_err(map_db_err)?;
    let items = if window.limit == 0 {
        Vec::new()
    } else {
        let ordered = newest_first
            .iter()
            .fold(query, |query, column| query.order_by_desc(*column));
        ordered
            .offset(window.offset)
            .limit(window.limit)
            .all(db)
            .await
            .map_err(map_db_err)?
            .into_iter()
            .map(read)
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(Page {
        items,
        total,
        page: window.number,
        limit: window.limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_the_limit_and_treats_page_zero_as_the_first() {
        let w = window(PageRequest {
            page: 0,
            limit: 500,
        });
        assert_eq!((w.number, w.limit, w.offset), (1, 100, 0));
        let w = window(PageRequest { page: 3, limit: 10 });
        assert_eq!((w.number, w.limit, w.offset), (3, 10, 20));
    }
}
