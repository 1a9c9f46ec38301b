//! The one guard every buyer-facing use case passes: a record someone else owns reads as
//! not found, exactly like one that does not exist, so that order numbers cannot be probed
//! (macrozheng/mall #311 and #925, litemall #472 let shoppers cancel others' orders).

use crate::order::OpenId;
use crate::services::ServiceError;

use super::model::MallOrder;

/// Something a shopper owns.
pub trait Owned {
    fn owner(&self) -> &OpenId;
}

impl Owned for MallOrder {
    fn owner(&self) -> &OpenId {
        &self.buyer
    }
}

/// `found` if `user` owns it; `NotFound` naming `what` otherwise. Applied even after a
/// query that filters by buyer, so that an adapter forgetting the filter leaks nothing.
pub fn owned_by<T: Owned>(found: Option<T>, user: &OpenId, what: &str) -> Result<T, ServiceError> {
    match found {
        Some(record) if record.owner() == user => Ok(record),
        Some(_) | None => Err(ServiceError::NotFound(format!("{what} not found"))),
    }
}
