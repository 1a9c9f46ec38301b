//! Product search: an in-process tantivy index with a Chinese tokenizer, behind the
//! catalog's search port ([`elife_domain::catalog::search::ProductSearch`]).
//!
//! The index lives in RAM and is rebuilt from the database at start-up
//! (`CatalogSearch::rebuild`), then kept current after each admin write
//! (`CatalogSearch::refresh`): the database stays the only authority.
//!
//! ```ignore
//! let index = Arc::new(TantivyProductSearch::new()?);
//! let search = CatalogSearch::new(index, terms, products, categories, clock);
//! search.rebuild().await?;
//! ```

mod fields;
mod index;
mod order;
mod text;

pub use index::TantivyProductSearch;
