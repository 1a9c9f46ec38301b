//! `PUT /admin/exchange-rate`: the `MNT_TO_CNY` rate, through the domain's bounded,
//! confirmed and audited use case.

use std::str::FromStr;

use actix_web::{HttpResponse, put, web};
use elife_domain::money::ExchangeRate;
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;

use super::State;
use crate::http::admin_auth::{Authorized, perm};
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::views::ExchangeRateView;

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExchangeRateBody {
    /// MNT per CNY, as a number or a decimal string (`480.5`); 100 to 2000.
    #[schema(value_type = String, example = "480.5")]
    pub rate: Option<serde_json::Value>,
    /// Required (`true`) when the rate moves by more than `EXCHANGE_RATE_MAX_CHANGE`
    /// (default 20%) from the current one.
    #[schema(example = false)]
    pub confirm: Option<bool>,
    /// Why, kept in the audit trail.
    #[schema(example = "Bank of Mongolia rate of the day")]
    pub reason: Option<String>,
}

#[utoipa::path(
    tag = "admin",
    request_body = ExchangeRateBody,
    security(("admin_token" = []), ("admin_bearer" = [])),
    responses(
        (status = 200, description = "the new active rate (audited: before and after)", body = Envelope<ExchangeRateView>),
        (status = 400, description = "not a decimal with at most 4 decimals, or outside 100..=2000 MNT per CNY", body = ErrorEnvelope),
        (status = 401, description = "admin credential missing or wrong", body = ErrorEnvelope),
        (status = 403, description = "the role lacks change_exchange_rate", body = ErrorEnvelope),
        (status = 409, description = "a change beyond EXCHANGE_RATE_MAX_CHANGE without confirm: true", body = ErrorEnvelope),
    )
)]
#[put("/admin/exchange-rate")]
pub async fn set_exchange_rate(
    state: State,
    admin: Authorized<perm::ChangeExchangeRate>,
    body: web::Json<ExchangeRateBody>,
) -> Result<HttpResponse, ApiError> {
    // Read the literal digits: a JSON number never passes through f64 here.
    let text = match &body.rate {
        Some(serde_json::Value::Number(number)) => number.to_string(),
        Some(serde_json::Value::String(text)) => text.trim().to_owned(),
        Some(_) | None => String::new(),
    };
    let value = Decimal::from_str(&text)
        .map_err(|_| ApiError::bad_request("rate must be a positive decimal number"))?;
    let rate =
        ExchangeRate::new(value).map_err(|error| ApiError::bad_request(error.to_string()))?;
    let stored = state
        .back_office
        .exchange_rates
        .change(
            &admin.act(),
            rate,
            body.confirm.unwrap_or(false),
            body.reason.as_deref(),
        )
        .await?;
    Ok(envelope::ok(ExchangeRateView::from(&stored)))
}
