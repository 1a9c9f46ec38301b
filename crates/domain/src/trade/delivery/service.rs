//! Delivery use cases: the carrier a shipment may name, the company list the admin keeps,
//! and a parcel's track for its buyer or for staff.

use std::sync::Arc;

use serde::Serialize;

use crate::order::{OpenId, OrderNumber};
use crate::services::ServiceError;
use crate::trade::orders::{
    MallOrder, MallOrderRepository, MallOrderService, MallOrderStatus, buyer_number, owned_by,
};

use super::company::{CompanyError, LogisticsCompany};
use super::ports::{LogisticsRepository, ParcelTracking};
use super::tracking::{Tracking, TrackingError, TrackingQuery};

/// A shipped order's parcel and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParcelView {
    pub order_no: OrderNumber,
    pub carrier_code: String,
    pub carrier_name: String,
    pub tracking_no: String,
    pub tracking: Tracking,
}

pub struct DeliveryService {
    companies: Arc<dyn LogisticsRepository>,
    orders: Arc<dyn MallOrderRepository>,
    tracking: Arc<dyn ParcelTracking>,
}

fn invalid_company(error: CompanyError) -> ServiceError {
    ServiceError::Validation(error.to_string())
}

impl DeliveryService {
    pub fn new(
        companies: Arc<dyn LogisticsRepository>,
        orders: Arc<dyn MallOrderRepository>,
        tracking: Arc<dyn ParcelTracking>,
    ) -> Self {
        DeliveryService {
            companies,
            orders,
            tracking,
        }
    }

    /// The enabled company a shipment names by `code`; the ship route stores its code as
    /// the shipment's carrier. Unknown or disabled: a validation error, nothing shipped.
    pub async fn carrier_for_shipping(&self, code: &str) -> Result<LogisticsCompany, ServiceError> {
        let code = LogisticsCompany::checked_code(code).map_err(invalid_company)?;
        match self.companies.find(&code).await? {
            Some(company) if company.enabled => Ok(company),
            Some(_) => Err(ServiceError::Validation(format!(
                "logistics company {code} is disabled"
            ))),
            None => Err(ServiceError::Validation(format!(
                "unknown logistics company {code}"
            ))),
        }
    }

    /// The merchant ships with an enabled company (by code) and its tracking number;
    /// the order stores the company's code, so that tracking finds the company again.
    pub async fn ship(
        &self,
        orders: &MallOrderService,
        order_no: &OrderNumber,
        carrier_code: &str,
        tracking_no: &str,
    ) -> Result<MallOrder, ServiceError> {
        let company = self.carrier_for_shipping(carrier_code).await?;
        orders.ship(order_no, &company.code, tracking_no).await
    }

    /// The admin's list (disabled ones too when asked) or the one offered when shipping.
    pub async fn companies(
        &self,
        include_disabled: bool,
    ) -> Result<Vec<LogisticsCompany>, ServiceError> {
        Ok(self.companies.list(include_disabled).await?)
    }

    /// Adds a company or replaces the one with its code.
    pub async fn save_company(
        &self,
        code: &str,
        name: &str,
        enabled: bool,
        sort_order: i32,
    ) -> Result<LogisticsCompany, ServiceError> {
        let company =
            LogisticsCompany::new(code, name, enabled, sort_order).map_err(invalid_company)?;
        self.companies.upsert(&company).await?;
        Ok(company)
    }

    pub async fn set_enabled(&self, code: &str, enabled: bool) -> Result<(), ServiceError> {
        let code = LogisticsCompany::checked_code(code).map_err(invalid_company)?;
        if self.companies.set_enabled(&code, enabled).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!(
                "logistics company {code} not found"
            )))
        }
    }

    /// The parcel of the buyer's own order; someone else's reads as not found.
    pub async fn track_for_buyer(
        &self,
        user: &OpenId,
        order_no: &str,
    ) -> Result<ParcelView, ServiceError> {
        let number = buyer_number(order_no)?;
        let order = owned_by(
            self.orders.find_for_buyer(&number, user).await?,
            user,
            &format!("order {number}"),
        )?;
        self.parcel(order).await
    }

    /// Any order's parcel, for staff.
    pub async fn track(&self, order_no: &OrderNumber) -> Result<ParcelView, ServiceError> {
        let order = self
            .orders
            .find(order_no)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order {order_no} not found")))?;
        self.parcel(order).await
    }

    /// The company a shipment names: by code (what the ship route stores); a shipment
    /// recorded with the company's name instead is matched by name.
    async fn company_of(&self, carrier: &str) -> Result<LogisticsCompany, ServiceError> {
        let carrier = carrier.trim();
        if let Some(company) = self.companies.find(carrier).await? {
            return Ok(company);
        }
        self.companies
            .list(true)
            .await?
            .into_iter()
            .find(|company| company.name == carrier)
            .ok_or_else(|| {
                ServiceError::Conflict(format!(
                    "the shipment names an unknown logistics company {carrier:?}"
                ))
            })
    }

    async fn parcel(&self, order: MallOrder) -> Result<ParcelView, ServiceError> {
        let number = order.order_no.clone();
        let shipment = match order.status {
            MallOrderStatus::Shipped | MallOrderStatus::Completed => order.shipment.clone(),
            MallOrderStatus::Unpaid | MallOrderStatus::Paid | MallOrderStatus::Cancelled => None,
        }
        .ok_or_else(|| ServiceError::Conflict(format!("order {number} has not been shipped")))?;
        let company = self.company_of(&shipment.carrier).await?;
        let phone = order.address.phone.as_str();
        let query = TrackingQuery {
            carrier: company.code.clone(),
            tracking_no: shipment.tracking_no.clone(),
            phone_last4: phone
                .get(phone.len().saturating_sub(4)..)
                .map(str::to_owned),
        };
        let tracking = match self.tracking.track(&query).await {
            Ok(tracking) => tracking,
            Err(TrackingError::NoRecord) => Tracking::nothing_yet(),
            Err(error @ TrackingError::Unavailable(_)) => {
                return Err(ServiceError::Unavailable(error.to_string()));
            }
            Err(error @ (TrackingError::Rejected { .. } | TrackingError::InvalidResponse(_))) => {
                tracing::warn!(order = %number, carrier = %company.code, %error, "tracking failed");
                return Err(ServiceError::Upstream(error.to_string()));
            }
        };
        Ok(ParcelView {
            order_no: number,
            carrier_code: company.code,
            carrier_name: company.name,
            tracking_no: shipment.tracking_no,
            tracking,
        })
    }
}
