//! WeChat Pay through WeChat Cloud Hosting's open interface service (开放接口服务).
//!
//! The container calls `http://api.weixin.qq.com/_/pay/<api>` with plain JSON; Cloud Hosting
//! signs on the service's behalf, so there is no key, certificate or signature here.
//!
//! - [`CloudPayClient`] implements the domain's [`PaymentGateway`](elife_domain::ports::PaymentGateway)
//!   port, plus [`CloudPayClient::download_bill`] for reconciliation.
//! - [`callback`] parses the camelCase payment notification Cloud Hosting posts to the service.
//! - [`bill`] parses the daily statement.
//! - [`login`]: mini-program login (`sns/jscode2session`), the domain's
//!   [`WechatLogin`](elife_domain::accounts::shoppers::WechatLogin) port.

pub mod bill;
pub mod callback;
mod china_time;
mod client;
mod config;
pub mod login;
mod wire;

pub use bill::{BillError, BillType, Statement, StatementRow, StatementSummary};
pub use callback::{
    CALLBACK_ACK, CallbackError, PaymentCallback, SOURCE_HEADER, attach_for_order,
    callback_failure_body, order_number_from_attach, parse_payment_callback,
};
pub use client::{ClientBuildError, CloudPayClient};
pub use config::CloudPayConfig;
pub use login::{WechatLoginClient, WechatLoginConfig};
