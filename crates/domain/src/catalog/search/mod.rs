//! What shoppers find: product search behind a port (an in-process index by default,
//! rebuilt from the database at start-up and kept current after each admin write), the hot
//! search terms, and the shopper's reads of the shelf (a category's products, a product's
//! detail). Only products on sale are ever shown.

mod browse;
mod document;
mod port;
mod query;
mod service;
mod terms;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

pub use browse::{ProductCard, ProductDetail, ShopperCatalog};
pub use document::SearchDocument;
pub use port::{ProductSearch, SearchHit, SearchIndexError, SearchResults};
pub use query::{MAX_PAGE, MAX_TEXT_CHARS, SearchQuery, SearchSort, normalize_term};
pub use service::{CatalogSearch, HOT_TERMS_MAX, HOT_WINDOW_DAYS, REBUILD_BATCH};
pub use terms::{HotTerm, SearchTerms};

#[cfg(any(test, feature = "mocks"))]
pub use port::MockProductSearch;
#[cfg(any(test, feature = "mocks"))]
pub use terms::MockSearchTerms;
