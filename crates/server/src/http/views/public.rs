//! The answers of the endpoints without identity.

use chrono::{DateTime, Utc};
use elife_domain::ports::StoredRate;
use serde::Serialize;
use utoipa::ToSchema;

use super::format::{DecimalNumber, js_time};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthView {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub timestamp: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeRateView {
    #[schema(example = "MNT_TO_CNY")]
    pub currency: String,
    /// MNT per CNY.
    #[schema(value_type = f64, example = 480.0)]
    pub rate: DecimalNumber,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub updated_at: DateTime<Utc>,
}

impl From<&StoredRate> for ExchangeRateView {
    fn from(rate: &StoredRate) -> Self {
        ExchangeRateView {
            currency: rate.pair.clone(),
            rate: DecimalNumber(rate.rate.value().normalize()),
            updated_at: rate.updated_at,
        }
    }
}
