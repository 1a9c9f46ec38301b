//! How a buyer pays a pay order, and what the client needs for it: shared by every kind
//! of goods (points packages, mall orders).

use crate::order::OrderNumber;
use crate::ports::PaymentParams;
use crate::services::ServiceError;

use super::PaymentService;

/// How the buyer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMethod {
    /// In the mini-program: `wx.requestPayment`.
    Jsapi,
    /// A QR code (API v3 only).
    Native,
}

/// What the client needs to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStart {
    Jsapi(PaymentParams),
    Native { code_url: String },
}

impl PaymentService {
    /// Refuses a method the configured channel cannot take, before anything is written.
    pub fn check_method(&self, method: PayMethod) -> Result<(), ServiceError> {
        match method {
            PayMethod::Native if !self.supports_native() => Err(ServiceError::Validation(
                "payment by QR code (native) needs the WeChat Pay API v3 channel; pay in the mini-program (jsapi)".to_owned(),
            )),
            PayMethod::Native | PayMethod::Jsapi => Ok(()),
        }
    }

    /// What the client needs to pay an open pay order by `method`.
    pub async fn begin(
        &self,
        out_trade_no: &OrderNumber,
        method: PayMethod,
        client_ip: &str,
    ) -> Result<PaymentStart, ServiceError> {
        self.check_method(method)?;
        Ok(match method {
            PayMethod::Jsapi => PaymentStart::Jsapi(self.start(out_trade_no, client_ip).await?),
            PayMethod::Native => PaymentStart::Native {
                code_url: self.start_native(out_trade_no, client_ip).await?,
            },
        })
    }
}
