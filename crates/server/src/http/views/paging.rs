//! The `pagination` object every list carries.

use elife_domain::ports::Page;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u64,
    pub limit: u64,
    pub total: u64,
    pub total_pages: u64,
}

pub fn pagination<T>(page: &Page<T>) -> Pagination {
    Pagination {
        page: page.page,
        limit: page.limit,
        total: page.total,
        total_pages: page.total_pages(),
    }
}
