//! [`ProductSearch`] on an in-RAM tantivy index. Writes go through the one `IndexWriter`
//! behind a mutex, each committed and followed by a reader reload, so a search that starts
//! after a write returns sees it. Tantivy's work is blocking: it runs on tokio's blocking
//! pool, never on the async workers.

use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use elife_domain::catalog::ProductId;
use elife_domain::catalog::search::{
    ProductSearch, SearchDocument, SearchHit, SearchIndexError, SearchQuery, SearchResults,
};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::fields::{Fields, JIEBA};
use crate::order::ProductOrder;
use crate::text::{index_analyzer, query_analyzer, words};

/// Memory the writer may buffer before it flushes a segment (tantivy's minimum is 15 MB).
const WRITER_MEMORY: usize = 32_000_000;
/// A name match weighs this much more than a description match.
const NAME_BOOST: f32 = 2.0;

/// Cheap to clone: clones share one index.
#[derive(Clone)]
pub struct TantivyProductSearch {
    inner: Arc<Inner>,
}

struct Inner {
    fields: Fields,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    reader: IndexReader,
    query_analyzer: TextAnalyzer,
}

fn failed(error: tantivy::TantivyError) -> SearchIndexError {
    SearchIndexError::new(error)
}

impl TantivyProductSearch {
    /// An empty index in RAM; fill it with `CatalogSearch::rebuild` before serving.
    pub fn new() -> Result<Self, SearchIndexError> {
        let (schema, fields) = Fields::schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(JIEBA, index_analyzer());
        let writer = index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(failed)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(failed)?;
        Ok(TantivyProductSearch {
            inner: Arc::new(Inner {
                fields,
                writer: Mutex::new(writer),
                reader,
                query_analyzer: query_analyzer(),
            }),
        })
    }

    /// Runs `work` on the blocking pool with the shared index.
    async fn blocking<T, F>(&self, work: F) -> Result<T, SearchIndexError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, SearchIndexError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(SearchIndexError::new)?
    }
}

impl Inner {
    /// A poisoned writer lock means a write panicked half-way; the rollback in `write`
    /// discards whatever it left uncommitted, so the writer is safe to reuse.
    fn writer(&self) -> MutexGuard<'_, IndexWriter<TantivyDocument>> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies `change`, commits and reloads the reader; on any failure nothing of it stays.
    fn write<F>(&self, change: F) -> Result<(), SearchIndexError>
    where
        F: FnOnce(&IndexWriter<TantivyDocument>, &Fields) -> tantivy::Result<()>,
    {
        let mut writer = self.writer();
        let committed = change(&writer, &self.fields).and_then(|()| writer.commit());
        if let Err(error) = committed {
            if let Err(rollback) = writer.rollback() {
                tracing::error!(error = %rollback, "could not roll back the search index");
            }
            return Err(failed(error));
        }
        self.reader.reload().map_err(failed)
    }

    fn delete(writer: &IndexWriter<TantivyDocument>, fields: &Fields, product: ProductId) {
        writer.delete_term(Term::from_field_i64(fields.product_id, product.value()));
    }

    /// The tantivy query for `query`, or `None` when its text has no word to look for.
    fn query(&self, query: &SearchQuery) -> Option<Box<dyn Query>> {
        let fields = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if query.text.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        } else {
            let mut analyzer = self.query_analyzer.clone();
            let words = words(&mut analyzer, &query.text);
            if words.is_empty() {
                return None;
            }
            // Every word must appear, in the name or in the description.
            for word in words {
                let in_name = TermQuery::new(
                    Term::from_field_text(fields.name, &word),
                    IndexRecordOption::WithFreqs,
                );
                let in_description = TermQuery::new(
                    Term::from_field_text(fields.description, &word),
                    IndexRecordOption::WithFreqs,
                );
                let either: Vec<(Occur, Box<dyn Query>)> = vec![
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(in_name), NAME_BOOST)),
                    ),
                    (Occur::Should, Box::new(in_description)),
                ];
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(either))));
            }
        }
        // Filters narrow the hits without moving their scores.
        let filter = |query: Box<dyn Query>| -> (Occur, Box<dyn Query>) {
            (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
        };
        if let Some(category) = query.category {
            let term = Term::from_field_i64(fields.category_path, category.value());
            clauses.push(filter(Box::new(TermQuery::new(
                term,
                IndexRecordOption::Basic,
            ))));
        }
        if query.price_min.is_some() || query.price_max.is_some() {
            let bound = |price: Option<elife_domain::money::Fen>| match price {
                Some(price) => {
                    Bound::Included(Term::from_field_i64(fields.min_price, price.value()))
                }
                None => Bound::Unbounded,
            };
            clauses.push(filter(Box::new(RangeQuery::new(
                bound(query.price_min),
                bound(query.price_max),
            ))));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchIndexError> {
        let Some(tantivy_query) = self.query(query) else {
            return Ok(SearchResults::default());
        };
        let searcher = self.reader.searcher();
        let limit = usize::try_from(query.page.limit).unwrap_or(usize::MAX);
        if limit == 0 {
            let total = searcher.search(&tantivy_query, &Count).map_err(failed)?;
            return Ok(SearchResults {
                total: total as u64,
                hits: Vec::new(),
            });
        }
        let offset = query
            .page
            .page
            .saturating_sub(1)
            .saturating_mul(query.page.limit);
        let top = TopDocs::with_limit(limit)
            .and_offset(usize::try_from(offset).unwrap_or(usize::MAX))
            .order_by(ProductOrder(query.sort));
        let (total, ranked) = searcher
            .search(&tantivy_query, &(Count, top))
            .map_err(failed)?;
        let hits = ranked
            .into_iter()
            .map(|(rank, _)| SearchHit {
                product_id: ProductId(rank.product_id(query.sort)),
                score: rank.score(),
            })
            .collect();
        Ok(SearchResults {
            total: total as u64,
            hits,
        })
    }
}

#[async_trait]
impl ProductSearch for TantivyProductSearch {
    async fn upsert(&self, document: SearchDocument) -> Result<(), SearchIndexError> {
        self.blocking(move |inner| {
            inner.write(|writer, fields| {
                Inner::delete(writer, fields, document.product_id);
                writer.add_document(fields.document(&document))?;
                Ok(())
            })
        })
        .await
    }

    async fn remove(&self, product: ProductId) -> Result<(), SearchIndexError> {
        self.blocking(move |inner| {
            inner.write(|writer, fields| {
                Inner::delete(writer, fields, product);
                Ok(())
            })
        })
        .await
    }

    async fn replace_all(&self, documents: Vec<SearchDocument>) -> Result<(), SearchIndexError> {
        self.blocking(move |inner| {
            inner.write(|writer, fields| {
                writer.delete_all_documents()?;
                for document in &documents {
                    writer.add_document(fields.document(document))?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchIndexError> {
        let query = query.clone();
        self.blocking(move |inner| inner.search(&query)).await
    }
}
