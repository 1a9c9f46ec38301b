//! What the payment endpoints answer: the mini-program's payment parameters and the
//! callback acknowledgement.

use serde::Serialize;
use utoipa::ToSchema;

/// What `wx.requestPayment` needs, unchanged from WeChat.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentParamsView {
    pub app_id: String,
    pub time_stamp: String,
    pub nonce_str: String,
    pub package: String,
    pub sign_type: String,
    pub pay_sign: String,
}

/// The callback answer Cloud Hosting expects (not enveloped).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallbackAck {
    #[schema(example = 0)]
    pub errcode: i32,
    #[schema(example = "OK")]
    pub errmsg: String,
}
