//! The order of hits for each sort, read from fast fields. Every key ends with the product
//! id, so equal products come out in the same order on every call (and every page) — the
//! same tie-breaks as the domain's in-memory index.

use elife_domain::catalog::search::SearchSort;
use tantivy::collector::sort_key::NaturalComparator;
use tantivy::collector::{SegmentSortKeyComputer, SortKeyComputer};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentReader};

use crate::fields::{CREATED_AT, MIN_PRICE, PRODUCT_ID, SALES};

/// Compared field by field, greatest first. `primary` is the score for relevance and 0
/// otherwise; `score` is carried last only to report it.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub(crate) struct Rank {
    primary: Score,
    first: i64,
    second: i64,
    third: i64,
    score: Score,
}

impl Rank {
    pub(crate) fn product_id(&self, sort: SearchSort) -> i64 {
        match sort {
            SearchSort::Relevance | SearchSort::Newest => self.second,
            SearchSort::Sales | SearchSort::PriceAsc | SearchSort::PriceDesc => self.third,
        }
    }

    pub(crate) fn score(&self) -> Score {
        self.score
    }
}

pub(crate) struct ProductOrder(pub SearchSort);

impl SortKeyComputer for ProductOrder {
    type SortKey = Rank;
    type Child = SegmentOrder;
    type Comparator = NaturalComparator;

    fn requires_scoring(&self) -> bool {
        true
    }

    fn segment_sort_key_computer(&self, segment: &SegmentReader) -> tantivy::Result<SegmentOrder> {
        let fast = segment.fast_fields();
        Ok(SegmentOrder {
            sort: self.0,
            product_id: fast.i64(PRODUCT_ID)?,
            sales: fast.i64(SALES)?,
            min_price: fast.i64(MIN_PRICE)?,
            created_at: fast.i64(CREATED_AT)?,
        })
    }
}

pub(crate) struct SegmentOrder {
    sort: SearchSort,
    product_id: Column<i64>,
    sales: Column<i64>,
    min_price: Column<i64>,
    created_at: Column<i64>,
}

impl SegmentSortKeyComputer for SegmentOrder {
    type SortKey = Rank;
    type SegmentSortKey = Rank;
    type SegmentComparator = NaturalComparator;

    fn segment_sort_key(&mut self, doc: DocId, score: Score) -> Rank {
        // Every document has every field (see `Fields::document`).
        let id = self.product_id.first(doc).unwrap_or_default();
        let sales = self.sales.first(doc).unwrap_or_default();
        let price = self.min_price.first(doc).unwrap_or_default();
        let created = self.created_at.first(doc).unwrap_or_default();
        let (primary, first, second, third) = match self.sort {
            SearchSort::Relevance => (score, sales, id, 0),
            SearchSort::Sales => (0.0, sales, created, id),
            SearchSort::PriceAsc => (0.0, -price, sales, id),
            SearchSort::PriceDesc => (0.0, price, sales, id),
            SearchSort::Newest => (0.0, created, id, 0),
        };
        Rank {
            primary,
            first,
            second,
            third,
            score,
        }
    }

    fn convert_segment_sort_key(&self, rank: Rank) -> Rank {
        rank
    }
}
