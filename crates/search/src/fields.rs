//! The index's schema: text segmented by jieba, numbers as fast fields for filters and sorts.

use elife_domain::catalog::search::SearchDocument;
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};

/// The name the jieba analyzer is registered under in the index.
pub(crate) const JIEBA: &str = "jieba";

pub(crate) const SALES: &str = "sales";
pub(crate) const MIN_PRICE: &str = "min_price";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const PRODUCT_ID: &str = "product_id";

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub product_id: Field,
    pub name: Field,
    pub description: Field,
    /// Every category from the root down to the product's own (multi-valued).
    pub category_path: Field,
    pub min_price: Field,
    pub max_price: Field,
    pub sales: Field,
    /// Milliseconds since the epoch.
    pub created_at: Field,
}

impl Fields {
    pub(crate) fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        // Term frequencies for relevance; no positions, since no phrase is ever asked for.
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(JIEBA)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            product_id: builder.add_i64_field(PRODUCT_ID, INDEXED | FAST),
            name: builder.add_text_field("name", text.clone()),
            description: builder.add_text_field("description", text),
            category_path: builder.add_i64_field("category_path", INDEXED),
            min_price: builder.add_i64_field(MIN_PRICE, INDEXED | FAST),
            max_price: builder.add_i64_field("max_price", FAST),
            sales: builder.add_i64_field(SALES, FAST),
            created_at: builder.add_i64_field(CREATED_AT, FAST),
        };
        (builder.build(), fields)
    }

    pub(crate) fn document(&self, source: &SearchDocument) -> TantivyDocument {
        let mut document = TantivyDocument::new();
        document.add_i64(self.product_id, source.product_id.value());
        document.add_text(self.name, &source.name);
        document.add_text(self.description, &source.description);
        for category in &source.category_path {
            document.add_i64(self.category_path, category.value());
        }
        document.add_i64(self.min_price, source.min_price.value());
        document.add_i64(self.max_price, source.max_price.value());
        document.add_i64(self.sales, source.sales);
        document.add_i64(self.created_at, source.created_at.timestamp_millis());
        document
    }
}
