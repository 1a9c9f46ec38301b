//! What a shopper asks the search for, checked before any index sees it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::catalog::ids::CategoryId;
use crate::money::Fen;
use crate::payments::UnknownName;
use crate::ports::PageRequest;

/// The longest search text, in characters after normalising.
pub const MAX_TEXT_CHARS: usize = 50;
/// The deepest page served: nobody reads past it, and it bounds the index's work.
pub const MAX_PAGE: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    /// Best text match first; with no text every product matches equally, so sales decide.
    Relevance,
    /// Most units sold first.
    Sales,
    /// Cheapest first, by the lowest price of the product's enabled SKUs (the price shown).
    PriceAsc,
    PriceDesc,
    /// Most recently created first.
    Newest,
}

impl SearchSort {
    pub const ALL: [SearchSort; 5] = [
        SearchSort::Relevance,
        SearchSort::Sales,
        SearchSort::PriceAsc,
        SearchSort::PriceDesc,
        SearchSort::Newest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchSort::Relevance => "relevance",
            SearchSort::Sales => "sales",
            SearchSort::PriceAsc => "price_asc",
            SearchSort::PriceDesc => "price_desc",
            SearchSort::Newest => "newest",
        }
    }
}

impl FromStr for SearchSort {
    type Err = UnknownName;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        SearchSort::ALL
            .into_iter()
            .find(|sort| sort.as_str() == raw)
            .ok_or_else(|| UnknownName {
                kind: "search sort",
                value: raw.to_owned(),
            })
    }
}

impl fmt::Display for SearchSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A search, or a browse when `text` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    /// Only this category and everything under it.
    pub category: Option<CategoryId>,
    /// Inclusive bounds on the price shown (the lowest enabled SKU's), in fen.
    pub price_min: Option<Fen>,
    pub price_max: Option<Fen>,
    pub sort: SearchSort,
    pub page: PageRequest,
}

impl SearchQuery {
    /// A browse of everything on sale, by relevance (so by sales), first page of 20.
    pub fn browse() -> Self {
        SearchQuery {
            text: String::new(),
            category: None,
            price_min: None,
            price_max: None,
            sort: SearchSort::Relevance,
            page: PageRequest { page: 1, limit: 20 },
        }
    }

    /// The query with its text normalised (see [`normalize_term`]).
    pub fn normalized(mut self) -> Self {
        self.text = normalize_term(&self.text);
        self
    }

    /// Every problem at once, or nothing.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.text.chars().count() > MAX_TEXT_CHARS {
            problems.push(format!(
                "search text must have at most {MAX_TEXT_CHARS} characters"
            ));
        }
        let negative = |price: Option<Fen>| price.is_some_and(|p| p.value() < 0);
        if negative(self.price_min) || negative(self.price_max) {
            problems.push("prices cannot be negative".to_owned());
        }
        if let (Some(min), Some(max)) = (self.price_min, self.price_max)
            && min > max
        {
            problems.push("the lowest price must not exceed the highest".to_owned());
        }
        if !(1..=MAX_PAGE).contains(&self.page.page) {
            problems.push(format!("page must be between 1 and {MAX_PAGE}"));
        }
        if !(1..=PageRequest::MAX_LIMIT).contains(&self.page.limit) {
            problems.push(format!(
                "limit must be between 1 and {}",
                PageRequest::MAX_LIMIT
            ));
        }
        problems
    }
}

/// A search text as it is matched and counted among the hot terms: full-width letters,
/// digits and punctuation made half-width (what Chinese input methods type), lower case,
/// runs of whitespace made one space, trimmed. "  ＩＰｈｏｎｅ　15 " and "iphone 15" are
/// the same term.
pub fn normalize_term(raw: &str) -> String {
    let half_width = raw.chars().map(|c| match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        other => other,
    });
    let lowered: String = half_width.flat_map(char::to_lowercase).collect();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}
