//! WeChat Pay API v3 simulator (direct merchant), written from WeChat Pay's public
//! documentation: signed requests checked, every answer signed, notifications encrypted,
//! signed and retried on the official schedule, and the ways signatures go wrong on demand.
//!
//! API (base URL = the simulator's address):
//! - `POST /v3/pay/transactions/jsapi | native`, `GET /v3/pay/transactions/out-trade-no/{no}?mchid=`,
//!   `GET /v3/pay/transactions/id/{transaction_id}?mchid=`,
//!   `POST /v3/pay/transactions/out-trade-no/{no}/close`;
//! - `POST /v3/refund/domestic/refunds`, `GET /v3/refund/domestic/refunds/{out_refund_no}`;
//! - `GET /v3/certificates`, `GET /v3/bill/tradebill`, `GET /v3/bill/fundflowbill`,
//!   `GET /v3/billdownload/file?token=`.
//!
//! Test paths under `/sandbox/v3/`: see `payer.rs` (paying, notifying, replaying, refund
//! status) and `control.rs` (keys, ledger, config, faults, clock); crates/sandbox/README.md
//! describes them.

mod aead;
mod authorization;
mod bills;
mod certificate;
mod clock;
mod config;
mod control;
mod errors;
mod events;
mod faults;
mod fields;
mod ids;
mod keys;
mod notifier;
mod orders;
mod payer;
mod platform;
mod records;
mod refund_routes;
mod refunds;
mod respond;
mod server;
mod signing;
mod state;
mod store;
mod transactions;

#[cfg(test)]
mod tests;

pub use aead::AeadError;
pub use config::{MerchantKey, SigningMode, V3ConfigUpdate, WechatPayV3SimConfig};
pub use control::V3SandboxKeys;
pub use faults::{V3ApiFault, V3FaultRequest};
pub use keys::KeyError;
pub use notifier::RETRY_SCHEDULE;
pub use payer::{V3NotifyRequest, V3PayOptions};
pub use records::{
    NotificationAttempt, NotificationKind, V3Ledger, V3Notification, V3Order, V3Refund,
    V3RefundStatus, V3TradeState, V3TradeType,
};
pub use server::{RunningWechatPayV3Sim, WechatPayV3SimError, WechatPayV3Simulator};
pub use signing::{SignatureFault, SignatureHeaders};

/// The built-in sandbox merchant's private key (PKCS #8 PEM), accepted by a simulator whose
/// config names no merchant keys: lets a run without credentials sign its requests.
pub fn sandbox_merchant_private_key_pem() -> &'static str {
    keys::SANDBOX_MERCHANT_KEY_PEM
}

/// The serial of the sandbox merchant's certificate (`serial_no` of its requests).
pub fn sandbox_merchant_serial_no() -> &'static str {
    keys::SANDBOX_MERCHANT_SERIAL_NO
}
