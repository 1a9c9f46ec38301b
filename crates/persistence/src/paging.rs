//! Page windows shared by the lists.

use elife_domain::ports::PageRequest;

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
