//! Starting a payment for the mini-program.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::validation::required_field;
use crate::http::views::PaymentParamsView;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePaymentBody {
    #[schema(example = "ORD1760754386127abcdefghijkl")]
    pub order_number: Option<String>,
}

#[utoipa::path(
    tag = "payment",
    request_body = CreatePaymentBody,
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 201, description = "parameters for wx.requestPayment", body = Envelope<PaymentParamsView>),
        (status = 400, description = "invalid input", body = ErrorEnvelope),
        (status = 401, description = "not called through WeChat", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable while identifying the caller or storing: retry", body = ErrorEnvelope),
        (status = 404, description = "no such order of the caller's", body = ErrorEnvelope),
        (status = 409, description = "the order is not awaiting payment", body = ErrorEnvelope),
        (status = 429, description = "more than 20 payments a minute", body = ErrorEnvelope),
        (status = 502, description = "WeChat Pay unavailable or refused", body = ErrorEnvelope),
    )
)]
#[post("/payment/create")]
pub async fn create_payment(
    state: State,
    user: CurrentUser,
    body: web::Json<CreatePaymentBody>,
) -> Result<HttpResponse, ApiError> {
    let number = required_field("orderNumber", &body.order_number)?;
    state.limits.payments.check(user.openid.as_str())?;
    let params = state
        .payments
        .top_ups
        .create_payment(&user.openid, &number, &user.client_ip)
        .await?;
    Ok(envelope::created(params.0))
}
