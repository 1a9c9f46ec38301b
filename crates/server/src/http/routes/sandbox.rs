//! Sandbox shortcuts on the API's own port (mounted only when the simulators run), so a
//! walk-through needs one address: pay an order as the customer would, read the ledgers.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use elife_sandbox::wechat::{MintCodeRequest, PayOptions};
use elife_sandbox::wechat_pay_v3::V3PayOptions;

use crate::http::envelope::ApiError;
use crate::sandbox::Sandbox;

/// `POST /__sandbox/pay/{orderNumber}`: the simulated customer pays; WeChat's simulator
/// then posts the callback to this server. Body: the simulator's pay options (optional).
/// With `PAY_CHANNEL=v3` the API v3 simulator takes the payment and its signed notification.
async fn pay(
    sandbox: web::Data<Arc<Sandbox>>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if let Some(simulator) = &sandbox.wechat_pay_v3 {
        let options: V3PayOptions = if body.iter().all(u8::is_ascii_whitespace) {
            V3PayOptions::default()
        } else {
            serde_json::from_slice(&body)
                .map_err(|error| ApiError::bad_request(format!("invalid pay options: {error}")))?
        };
        let paid = simulator
            .pay(&path, &options)
            .await
            .map_err(ApiError::bad_request)?;
        return Ok(HttpResponse::Ok().json(paid));
    }
    let options: PayOptions = if body.iter().all(u8::is_ascii_whitespace) {
        PayOptions::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|error| ApiError::bad_request(format!("invalid pay options: {error}")))?
    };
    let paid = sandbox
        .wechat
        .pay(&path, &options)
        .await
        .map_err(ApiError::bad_request)?;
    Ok(HttpResponse::Ok().json(paid))
}

/// `POST /__sandbox/wechat/login-code {"openid", "unionid"?}`: a `wx.login()` code the
/// simulated WeChat accepts once for that user (codes `sim:<openid>` work without this).
async fn login_code(
    sandbox: web::Data<Arc<Sandbox>>,
    body: web::Json<MintCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    if request.openid.trim().is_empty() {
        return Err(ApiError::bad_request("openid should not be empty"));
    }
    let code = sandbox
        .wechat
        .login_code(request.openid.trim(), request.unionid.as_deref());
    Ok(HttpResponse::Ok().json(serde_json::json!({ "code": code })))
}

async fn unitel_ledger(sandbox: web::Data<Arc<Sandbox>>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.unitel.ledger())
}

async fn wechat_ledger(sandbox: web::Data<Arc<Sandbox>>) -> HttpResponse {
    HttpResponse::Ok().json(sandbox.wechat.ledger())
}

async fn wechat_pay_v3_ledger(sandbox: web::Data<Arc<Sandbox>>) -> Result<HttpResponse, ApiError> {
    let simulator = sandbox.wechat_pay_v3.as_ref().ok_or_else(|| {
        ApiError::not_found("the WeChat Pay v3 simulator runs with PAY_CHANNEL=v3")
    })?;
    Ok(HttpResponse::Ok().json(simulator.ledger()))
}

pub fn configure(cfg: &mut web::ServiceConfig, sandbox: Arc<Sandbox>) {
    cfg.service(
        web::scope("/__sandbox")
            .app_data(web::Data::new(sandbox))
            .route("/pay/{orderNumber}", web::post().to(pay))
            .route("/wechat/login-code", web::post().to(login_code))
            .route("/unitel/ledger", web::get().to(unitel_ledger))
            .route("/wechat/ledger", web::get().to(wechat_ledger))
            .route("/wechat-pay-v3/ledger", web::get().to(wechat_pay_v3_ledger)),
    );
}
