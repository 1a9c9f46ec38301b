//! Checkout for the mall: the quote the shopper sees, placing the order from it, and paying
//! an order placed earlier.

use actix_web::{HttpResponse, post, web};
use elife_domain::catalog::SkuId;
use elife_domain::payments::PayMethod;
use elife_domain::trade::checkout::{CheckoutItems, CheckoutLine};
use elife_domain::trade::pricing::Fingerprint;
use serde::Deserialize;
use utoipa::ToSchema;

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::Problems;
use crate::http::views::{CheckoutQuoteView, MallOrderView, MallPurchaseView, payment_json};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineBody {
    #[schema(example = 12)]
    pub sku_id: Option<i64>,
    #[schema(example = 1)]
    pub quantity: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteBody {
    /// "Buy now" lines; absent: the selected lines of the cart.
    pub items: Option<Vec<LineBody>>,
    /// Absent: the shopper's default address.
    pub address_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrderBody {
    /// The same lines as quoted; absent: the cart's selected lines.
    pub items: Option<Vec<LineBody>>,
    pub address_id: Option<i64>,
    /// `quoteFingerprint` of the quote the shopper saw.
    pub quote_fingerprint: Option<String>,
    /// `jsapi` (default) or `native` (API v3 only).
    #[schema(example = "jsapi")]
    pub channel: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PayBody {
    #[schema(example = "jsapi")]
    pub channel: Option<String>,
}

pub fn pay_method(problems: &mut Problems, raw: Option<&str>) -> PayMethod {
    problems
        .optional(raw, |raw| match raw {
            "jsapi" => Ok(PayMethod::Jsapi),
            "native" => Ok(PayMethod::Native),
            other => Err(format!("channel {other:?} must be jsapi or native")),
        })
        .unwrap_or(PayMethod::Jsapi)
}

fn items(problems: &mut Problems, lines: Option<&[LineBody]>) -> CheckoutItems {
    let Some(lines) = lines else {
        return CheckoutItems::Cart;
    };
    let mut parsed = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        let sku = line.sku_id.filter(|id| *id > 0);
        let quantity = line
            .quantity
            .and_then(|quantity| u32::try_from(quantity).ok())
            .filter(|quantity| *quantity > 0);
        match (sku, quantity) {
            (Some(sku), Some(quantity)) => parsed.push(CheckoutLine {
                sku: SkuId(sku),
                quantity,
            }),
            _ => problems.add(format!(
                "items[{index}] needs a skuId and a quantity of at least 1"
            )),
        }
    }
    CheckoutItems::Lines(parsed)
}

#[utoipa::path(
    tag = "mall",
    request_body = QuoteBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "every line priced, the totals, the address and the quote's fingerprint", body = Envelope<CheckoutQuoteView>),
        (status = 400, description = "nothing to buy, a SKU not on sale, no address, or a region not delivered to", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such address of the caller's", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/checkout/quote")]
pub async fn quote(
    state: State,
    user: CurrentUser,
    body: web::Json<QuoteBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let items = items(&mut problems, body.items.as_deref());
    problems.into_result()?;
    let quote = state
        .mall
        .checkout
        .quote(&user.openid, &items, body.address_id)
        .await?;
    Ok(envelope::ok(CheckoutQuoteView::from(&quote)))
}

#[utoipa::path(
    tag = "mall",
    request_body = PlaceOrderBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "the order (stock reserved until its payment deadline) and what the client needs to pay", body = Envelope<MallPurchaseView>),
        (status = 400, description = "invalid input, a SKU not on sale, no address", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such address of the caller's", body = ErrorEnvelope),
        (status = 409, description = "the price changed since the quote, or out of stock: nothing was reserved", body = ErrorEnvelope),
        (status = 429, description = "too many payments a minute", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/orders")]
pub async fn place_order(
    state: State,
    user: CurrentUser,
    body: web::Json<PlaceOrderBody>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let items = items(&mut problems, body.items.as_deref());
    let method = pay_method(&mut problems, body.channel.as_deref());
    let fingerprint = match body.quote_fingerprint.as_deref() {
        None => {
            problems.add("quoteFingerprint should not be empty: quote first");
            None
        }
        Some(raw) => {
            let parsed = Fingerprint::parse(raw);
            if parsed.is_none() {
                problems.add("quoteFingerprint must be the 64 hex digits the quote gave");
            }
            parsed
        }
    };
    let fingerprint = problems.into_value(fingerprint)?;
    state.limits.payments.check(user.openid.as_str())?;
    let placed = state
        .mall
        .checkout
        .place(
            &user.openid,
            &items,
            body.address_id,
            &fingerprint,
            method,
            &user.client_ip,
        )
        .await?;
    let (channel, payment, payment_error) = match &placed.payment {
        Ok(start) => {
            let (channel, payment) = payment_json(start);
            (Some(channel), Some(payment), None)
        }
        Err(error) => (None, None, Some(error.to_string())),
    };
    Ok(envelope::created(MallPurchaseView {
        order: MallOrderView::new(&placed.order, None),
        channel,
        payment,
        payment_error,
    }))
}

#[utoipa::path(
    tag = "mall",
    request_body = PayBody,
    params(("orderNo" = String, Path, example = "ORD1760754386127abcdefghijkl")),
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "what the client needs to pay the order", body = Envelope<MallPurchaseView>),
        (status = 400, description = "invalid channel", body = ErrorEnvelope),
        (status = 401, description = "not logged in", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 409, description = "not unpaid, or past its payment deadline", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable: try again", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[post("/api/mall/orders/{orderNo}/pay")]
pub async fn pay_order(
    state: State,
    user: CurrentUser,
    path: web::Path<String>,
    body: Option<web::Json<PayBody>>,
) -> Result<HttpResponse, ApiError> {
    let mut problems = Problems::new();
    let channel = body.as_ref().and_then(|body| body.channel.clone());
    let method = pay_method(&mut problems, channel.as_deref());
    problems.into_result()?;
    state.limits.payments.check(user.openid.as_str())?;
    let (order, start) = state
        .mall
        .checkout
        .pay(&user.openid, &path, method, &user.client_ip)
        .await?;
    let (channel, payment) = payment_json(&start);
    Ok(envelope::created(MallPurchaseView {
        order: MallOrderView::new(&order, None),
        channel: Some(channel),
        payment: Some(payment),
        payment_error: None,
    }))
}
