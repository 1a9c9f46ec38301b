//! Delivery: the logistics companies the merchant ships with, and parcel tracking behind
//! the [`ParcelTracking`] port (Kuaidi100 in production, a simulator in the sandbox, a fake
//! in tests). The ship route validates the carrier with
//! [`DeliveryService::carrier_for_shipping`] before `MallOrderService::ship`, which stores
//! the company's code as the shipment's carrier.

mod company;
mod ports;
mod service;
mod tracking;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

pub use company::{CompanyError, LogisticsCompany, MAX_CODE, MAX_NAME};
pub use ports::{LogisticsRepository, ParcelTracking};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockLogisticsRepository, MockParcelTracking};
pub use service::{DeliveryService, ParcelView};
pub use tracking::{Tracking, TrackingError, TrackingEvent, TrackingQuery, TrackingState};
