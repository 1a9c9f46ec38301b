//! Prev/next links of a filtered list: the same filters, another page. Shared with the
//! notification log.

use askama::Template;
use elife_domain::ports::Page;

use crate::format;

/// The pager under a list; its links keep the filters and, with htmx, replace only the
/// list (`target`) while the address bar follows.
#[derive(Template)]
#[template(path = "orders_pager.html")]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The id of the element the links replace.
    pub target: &'static str,
}

impl Pager {
    /// `href(n)` is the address of page `n`.
    pub fn of<T>(page: &Page<T>, target: &'static str, href: impl Fn(u64) -> String) -> Self {
        let pages = page.total_pages();
        Pager {
            page: page.page,
            pages: pages.max(1),
            total: page.total,
            // Past the end, "previous" is the last page that has rows.
            prev: (page.page > 1).then(|| href((page.page - 1).min(pages.max(1)))),
            next: (page.page < pages).then(|| href(page.page + 1)),
            target,
        }
    }

    /// No list was read (the filters were wrong).
    pub fn empty(target: &'static str) -> Self {
        Pager {
            page: 1,
            pages: 1,
            total: 0,
            prev: None,
            next: None,
            target,
        }
    }
}

/// `path?name=value&…` with the blank values left out (see [`format::query`]).
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let trimmed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(name, value)| (*name, value.trim()))
        .collect();
    let query = format::query(&trimmed);
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_encoded_and_drop_blanks() {
        assert_eq!(
            link(
                "/console/orders",
                &[
                    ("payment", "paid"),
                    ("phone", ""),
                    ("order", "a b&c"),
                    ("page", "2")
                ]
            ),
            "/console/orders?payment=paid&order=a%20b%26c&page=2"
        );
        assert_eq!(link("/console/orders", &[("page", " ")]), "/console/orders");
        assert_eq!(link("/x", &[("q", "中")]), "/x?q=%E4%B8%AD");
    }

    #[test]
    fn the_pager_links_only_existing_pages() {
        let page = |number| Page::<()> {
            items: Vec::new(),
            total: 45,
            page: number,
            limit: 20,
        };
        let href = |n: u64| format!("/x?page={n}");
        let first = Pager::of(&page(1), "t", href);
        assert_eq!(
            (first.prev.as_deref(), first.next.as_deref()),
            (None, Some("/x?page=2"))
        );
        assert_eq!(first.pages, 3);
        let last = Pager::of(&page(3), "t", href);
        assert_eq!(
            (last.prev.as_deref(), last.next.as_deref()),
            (Some("/x?page=2"), None)
        );
        let empty = Pager::of(
            &Page::<()> {
                items: Vec::new(),
                total: 0,
                page: 1,
                limit: 20,
            },
            "t",
            href,
        );
        assert_eq!((empty.prev, empty.next, empty.pages), (None, None, 1));
    }
}
