//! WeChat Pay API v3, direct merchant mode, on RustCrypto.
//!
//! - [`WechatPayClient`]: JSAPI and Native payments, query, close, refunds, bills, platform
//!   certificate download; every request signed ([`signing`]), every answer verified
//!   ([`verification`]); failures sorted by what they say about the call's effect
//!   ([`WechatPayError::outcome`]).
//! - [`NotificationParser`]: payment and refund notifications verified over the raw body,
//!   `resource` decrypted ([`cipher`]), typed ([`model`]).
//! - No global state: the platform certificates live in a [`CertificateStore`] owned by the
//!   client and refreshed when the host calls [`WechatPayClient::refresh_certificates`];
//!   "now" is an injectable [`Clock`].
//! - [`WechatPayGateway`]: the domain's `PaymentGateway` port over the client ([`gateway`]).

pub mod certificates;
pub mod cipher;
mod client;
pub mod clock;
pub mod config;
pub mod error;
pub mod gateway;
pub mod keys;
pub mod model;
pub mod notifications;
pub mod signing;
pub mod verification;

pub use certificates::CertificateStore;
pub use cipher::ApiV3Key;
pub use client::{ApiRequest, CertificateRefreshError, SensitiveEncryptor, WechatPayClient};
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{ConfigError, KeySource, PlatformCertificates, PublicKeyConfig, WechatPayConfig};
pub use error::{ApiError, NotSent, Outcome, Unknown, WechatPayError};
pub use gateway::{NativePaymentRequest, WechatPayGateway};
pub use keys::{MerchantPrivateKey, PlatformCertificate, WechatPayPublicKey};
pub use notifications::{Notification, NotificationContent, NotificationError, NotificationParser};
pub use signing::MiniProgramPayment;
pub use verification::{SignatureHeaders, VerificationError, VerifiedBy, Verifier};
