//! Endpoints without identity: health, exchange rate, Unitel price list and bill.

use actix_web::{HttpResponse, get, post, web};
use elife_domain::msisdn::Msisdn;
use serde::Deserialize;
use utoipa::ToSchema;

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::validation::Problems;
use crate::http::views::{ExchangeRateView, HealthView};

#[utoipa::path(
    tag = "public",
    responses((status = 200, description = "the service is up", body = Envelope<HealthView>))
)]
#[get("/health")]
pub async fn health() -> HttpResponse {
    envelope::ok(HealthView {
        status: "ok",
        timestamp: envelope::timestamp(),
    })
}

#[utoipa::path(
    tag = "public",
    responses(
        (status = 200, description = "the active MNT to CNY rate", body = Envelope<ExchangeRateView>),
        (status = 404, description = "no active rate", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable", body = ErrorEnvelope),
    )
)]
#[get("/exchange-rate/current")]
pub async fn current_exchange_rate(state: State) -> Result<HttpResponse, ApiError> {
    let rate = state.back_office.exchange_rates.current().await?;
    Ok(envelope::ok(ExchangeRateView::from(&rate)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ServicesQuery {
    /// 8-digit Unitel number.
    #[schema(example = "88112233")]
    pub msisdn: Option<String>,
    #[schema(example = "1")]
    pub info: Option<String>,
}

/// The body's Unitel number once every check passed; `problems` may already hold those of
/// other fields, reported together.
fn checked_msisdn(mut problems: Problems, raw: &Option<String>) -> Result<Msisdn, ApiError> {
    let msisdn = problems
        .required("msisdn", raw)
        .and_then(|raw| match Msisdn::parse(&raw) {
            Ok(msisdn) => Some(msisdn),
            Err(error) => {
                problems.add(error.to_string());
                None
            }
        });
    problems.into_value(msisdn)
}

#[utoipa::path(
    tag = "unitel",
    request_body = ServicesQuery,
    responses(
        (status = 201, description = "the subscriber's price list, as Unitel returns it", body = Envelope<Object>),
        (status = 400, description = "invalid number or refused by Unitel", body = ErrorEnvelope),
        (status = 502, description = "Unitel unavailable", body = ErrorEnvelope),
    )
)]
#[post("/unitel/products/services")]
pub async fn unitel_services(
    state: State,
    body: web::Json<ServicesQuery>,
) -> Result<HttpResponse, ApiError> {
    let msisdn = checked_msisdn(Problems::new(), &body.msisdn)?;
    let prices = state.catalogue.price_list(&msisdn).await?;
    Ok(envelope::created(prices.raw))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PostpaidBillQuery {
    #[schema(example = "88112233")]
    pub owner: Option<String>,
    #[schema(example = "88112233")]
    pub msisdn: Option<String>,
}

#[utoipa::path(
    tag = "unitel",
    request_body = PostpaidBillQuery,
    responses(
        (status = 201, description = "the postpaid bill, as Unitel returns it", body = Envelope<Object>),
        (status = 400, description = "invalid number or refused by Unitel", body = ErrorEnvelope),
        (status = 502, description = "Unitel unavailable", body = ErrorEnvelope),
    )
)]
#[post("/unitel/postpaid-bill")]
pub async fn postpaid_bill(
    state: State,
    body: web::Json<PostpaidBillQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    problems.required("owner", &body.owner);
    let msisdn = checked_msisdn(problems, &body.msisdn)?;
    let bill = state.catalogue.postpaid_bill(&msisdn).await?;
    Ok(envelope::created(bill.raw))
}
