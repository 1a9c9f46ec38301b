//! Prev/next links of a list: the same filters, another page. Every list of the console
//! pages with these.

use askama::Template;
use elife_domain::ports::Page;

use crate::format;

/// The pager under a list; its links keep the filters and, given a `target`, replace with
/// htmx only the list while the address bar follows.
#[derive(Template)]
#[template(path = "pager.html")]
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The id of the element the links replace; `None`: plain links.
    pub target: Option<&'static str>,
}

impl Pager {
    /// `href(n)` is the address of page `n`.
    pub fn of<T>(
        page: &Page<T>,
        target: Option<&'static str>,
        href: impl Fn(u64) -> String,
    ) -> Self {
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
    pub fn empty(target: Option<&'static str>) -> Self {
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

/// Page `page` of the list at `path` with these filters.
pub fn page_link(path: &str, filters: &[(&str, &str)], page: u64) -> String {
    let page = page.to_string();
    let mut pairs = filters.to_vec();
    pairs.push(("page", &page));
    link(path, &pairs)
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
        let first = Pager::of(&page(1), Some("t"), href);
        assert_eq!(
            (first.prev.as_deref(), first.next.as_deref()),
            (None, Some("/x?page=2"))
        );
        assert_eq!(first.pages, 3);
        let last = Pager::of(&page(3), None, href);
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
            None,
            href,
        );
        assert_eq!((empty.prev, empty.next, empty.pages), (None, None, 1));
    }

    #[test]
    fn only_a_pager_with_a_target_replaces_the_list_with_htmx() {
        let page = Page::<()> {
            items: Vec::new(),
            total: 45,
            page: 2,
            limit: 20,
        };
        let href = |n: u64| format!("/x?page={n}");
        let plain = Pager::of(&page, None, href).render().unwrap();
        assert!(
            plain.contains("href=\"/x?page=1\" rel=\"prev\">"),
            "{plain}"
        );
        assert!(!plain.contains("hx-get"), "{plain}");
        let htmx = Pager::of(&page, Some("list"), href).render().unwrap();
        assert!(
            htmx.contains("hx-get=\"/x?page=3\" hx-target=\"#list\""),
            "{htmx}"
        );
    }
}
