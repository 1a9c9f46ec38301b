//! The search port and the hot terms in memory, for tests: words matched as substrings
//! instead of segmented, with the filters, sorts and tie-breaks of the real index.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::catalog::ids::ProductId;
use crate::ports::RepositoryError;

use super::document::SearchDocument;
use super::port::{ProductSearch, SearchHit, SearchIndexError, SearchResults};
use super::query::{SearchQuery, SearchSort};
use super::terms::{HotTerm, SearchTerms};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, Default)]
pub struct MemoryProductSearch {
    documents: Mutex<BTreeMap<ProductId, SearchDocument>>,
}

impl MemoryProductSearch {
    pub fn new() -> Self {
        MemoryProductSearch::default()
    }

    /// What is indexed now, by product id.
    pub fn documents(&self) -> Vec<SearchDocument> {
        lock(&self.documents).values().cloned().collect()
    }
}

/// Name matches weigh twice a description match; `None` when a word matches nowhere.
fn score(document: &SearchDocument, text: &str) -> Option<f32> {
    let name = document.name.to_lowercase();
    let description = document.description.to_lowercase();
    let mut score = 0.0;
    for word in text.split_whitespace() {
        let in_name = name.contains(word);
        let in_description = description.contains(word);
        if !in_name && !in_description {
            return None;
        }
        score += if in_name { 2.0 } else { 0.0 } + if in_description { 1.0 } else { 0.0 };
    }
    Some(if text.is_empty() { 1.0 } else { score })
}

#[async_trait]
impl ProductSearch for MemoryProductSearch {
    async fn upsert(&self, document: SearchDocument) -> Result<(), SearchIndexError> {
        lock(&self.documents).insert(document.product_id, document);
        Ok(())
    }

    async fn remove(&self, product: ProductId) -> Result<(), SearchIndexError> {
        lock(&self.documents).remove(&product);
        Ok(())
    }

    async fn replace_all(&self, documents: Vec<SearchDocument>) -> Result<(), SearchIndexError> {
        *lock(&self.documents) = documents.into_iter().map(|d| (d.product_id, d)).collect();
        Ok(())
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchIndexError> {
        let documents = lock(&self.documents);
        let mut matched: Vec<(f32, &SearchDocument)> = documents
            .values()
            .filter(|d| query.category.is_none_or(|c| d.category_path.contains(&c)))
            .filter(|d| query.price_min.is_none_or(|min| d.min_price >= min))
            .filter(|d| query.price_max.is_none_or(|max| d.min_price <= max))
            .filter_map(|d| score(d, &query.text).map(|s| (s, d)))
            .collect();
        let ties = |d: &SearchDocument| (Reverse(d.sales), Reverse(d.product_id));
        match query.sort {
            SearchSort::Relevance => matched
                .sort_by(|(sa, a), (sb, b)| sb.total_cmp(sa).then_with(|| ties(a).cmp(&ties(b)))),
            SearchSort::Sales => matched.sort_by_key(|(_, d)| {
                (
                    Reverse(d.sales),
                    Reverse(d.created_at),
                    Reverse(d.product_id),
                )
            }),
            SearchSort::PriceAsc => matched.sort_by_key(|(_, d)| (d.min_price, ties(d))),
            SearchSort::PriceDesc => matched.sort_by_key(|(_, d)| (Reverse(d.min_price), ties(d))),
            SearchSort::Newest => {
                matched.sort_by_key(|(_, d)| (Reverse(d.created_at), Reverse(d.product_id)))
            }
        }
        let skip = query
            .page
            .page
            .saturating_sub(1)
            .saturating_mul(query.page.limit);
        let hits = matched
            .iter()
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(usize::try_from(query.page.limit).unwrap_or(usize::MAX))
            .map(|(score, d)| SearchHit {
                product_id: d.product_id,
                score: *score,
            })
            .collect();
        Ok(SearchResults {
            total: matched.len() as u64,
            hits,
        })
    }
}

#[derive(Debug, Default)]
pub struct MemorySearchTerms {
    terms: Mutex<BTreeMap<String, HotTerm>>,
}

impl MemorySearchTerms {
    pub fn new() -> Self {
        MemorySearchTerms::default()
    }
}

#[async_trait]
impl SearchTerms for MemorySearchTerms {
    async fn record(&self, term: &str, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut terms = lock(&self.terms);
        let entry = terms.entry(term.to_owned()).or_insert_with(|| HotTerm {
            term: term.to_owned(),
            count: 0,
            last_searched_at: at,
        });
        entry.count += 1;
        entry.last_searched_at = entry.last_searched_at.max(at);
        Ok(())
    }

    async fn hot(
        &self,
        limit: u64,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<HotTerm>, RepositoryError> {
        let mut hot: Vec<HotTerm> = lock(&self.terms)
            .values()
            .filter(|t| since.is_none_or(|since| t.last_searched_at >= since))
            .cloned()
            .collect();
        hot.sort_by(|a, b| {
            (Reverse(a.count), Reverse(a.last_searched_at), &a.term).cmp(&(
                Reverse(b.count),
                Reverse(b.last_searched_at),
                &b.term,
            ))
        });
        hot.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(hot)
    }
}
