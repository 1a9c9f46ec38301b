//! WeChat Pay simulator: Cloud Hosting's open interface pay API (`/_/pay/...`) over its own
//! ledger, and the payer who pays and whose payment is notified to the service exactly as
//! Cloud Hosting does, retried until the service answers `{"errcode":0}`.
//!
//! Paths:
//! - `POST /_/pay/unifiedOrder | queryorder | closeorder | refund | queryrefund | downloadbill`
//!   (`content-type: application/json` required, else HTTP 400 with an empty body);
//! - `GET /sns/jscode2session` logs a mini-program user in (see [`login`](self::login) for the
//!   codes it accepts) and `POST /__sandbox/wechat/login-codes` mints a code;
//! - `POST /__sandbox/pay/{out_trade_no}` pays an order ([`PayOptions`] as JSON body) and
//!   `POST /__sandbox/pay/{out_trade_no}/redeliver` notifies a paid order again;
//! - `GET|DELETE /__sandbox/wechat/ledger`, `GET|POST /__sandbox/wechat/config`,
//!   `GET|POST /__sandbox/wechat/clock`, `POST|DELETE /__sandbox/wechat/faults`,
//!   `POST /__sandbox/wechat/refunds/{out_refund_no}/status`.
//!
//! Rules kept: close only five minutes after creation (the clock can be moved forward),
//! refunds never above the paid amount, at most 50 per order, amount above zero, a repeated
//! `out_refund_no` answered again rather than refunded twice.

mod answers;
mod api;
mod bill;
mod callback_targets;
mod clock;
mod config;
mod control;
mod login;
mod orders;
mod payer;
mod records;
mod refunds;
mod server;
mod store;

#[cfg(test)]
mod tests;

pub use config::{ConfigUpdate, WechatSimConfig};
pub use control::{FaultRequest, WechatFault};
pub use login::{API_NAME as LOGIN_API_NAME, MintCodeRequest, UNMINTED_CODE_PREFIX};
pub use payer::PayOptions;
pub use records::{CallbackAttempt, Ledger, SimOrder, SimRefund, SimRefundStatus, SimTradeState};
pub use server::{RunningWechatSim, WechatPaySimulator, WechatSimError};
