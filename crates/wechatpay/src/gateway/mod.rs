//! [`WechatPayGateway`]: the domain's [`PaymentGateway`] port over the API v3 client.
//!
//! - Payments are JSAPI orders whose `out_trade_no` is the order number, with the order
//!   number also in `attach` (`{"orderNumber":..}`, as the Cloud Hosting channel sends it),
//!   `time_expire` in China time and the configured `notify_url`; the answer is the
//!   `wx.requestPayment` object signed with SHA256withRSA (`signType: RSA`).
//! - Failures map by what they say about the call's effect (`mapping::gateway_error`):
//!   unknown → `Unavailable`, definite refusals → `OrderPaid` / `OrderClosed` / `Rejected`,
//!   unknown to WeChat Pay → `NotFound`.
//! - The daily statement is the trade bill (type ALL), its SHA-1 digest checked by the
//!   client, read by [`bill`].

pub mod bill;
mod mapping;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use elife_domain::money::Fen;
use elife_domain::order::OrderNumber;
use elife_domain::ports::{
    GatewayError, PaymentGateway, PaymentParams, PaymentRequest, RefundRequest, RefundState,
    StatementEntry, TradeState,
};

use crate::client::WechatPayClient;
use crate::error::WechatPayError;
use crate::model::{
    JsapiOrder, NativeOrder, OrderReference, RefundOrder, TradeBillType, Transaction,
};
use bill::TradeBill;
use mapping::{attach_for_order, gateway_error, refund_state, statement_entries, trade_state};

/// WeChat Pay's limits, in characters.
const MAX_DESCRIPTION_CHARS: usize = 127;
const MAX_REASON_CHARS: usize = 80;

/// A Native (QR code) payment: no payer is known before the code is scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativePaymentRequest {
    pub order_number: OrderNumber,
    pub description: String,
    pub amount: Fen,
    /// After this WeChat Pay refuses to take the payment.
    pub expires_at: DateTime<Utc>,
}

/// The [`PaymentGateway`] of the direct API v3 channel. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WechatPayGateway {
    client: WechatPayClient,
}

impl WechatPayGateway {
    pub fn new(client: WechatPayClient) -> Self {
        WechatPayGateway { client }
    }

    /// The client, for what the port does not cover (notifications, certificate refresh).
    pub fn client(&self) -> &WechatPayClient {
        &self.client
    }

    /// A Native payment; answers the `code_url` to show as a QR code.
    pub async fn create_native_payment(
        &self,
        request: &NativePaymentRequest,
    ) -> Result<String, GatewayError> {
        let order = NativeOrder {
            out_trade_no: request.order_number.as_str().to_owned(),
            description: truncate_chars(&request.description, MAX_DESCRIPTION_CHARS).to_owned(),
            amount_fen: request.amount.value(),
            time_expire: Some(request.expires_at),
            attach: Some(attach_for_order(request.order_number.as_str())),
        };
        let prepay = self
            .client
            .create_native_order(&order)
            .await
            .map_err(|error| gateway_error("create Native payment", error))?;
        Ok(prepay.code_url)
    }
}

/// A transaction WeChat Pay notified (`TRANSACTION.*`, verified and decrypted), in the
/// domain's terms: read exactly as the answer to a query.
pub fn notified_trade_state(transaction: Transaction) -> Result<TradeState, GatewayError> {
    trade_state(transaction)
}

/// Cuts `text` to at most `max` characters (WeChat Pay counts characters, not bytes).
fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[async_trait]
impl PaymentGateway for WechatPayGateway {
    async fn create_native_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<String, GatewayError> {
        WechatPayGateway::create_native_payment(
            self,
            &NativePaymentRequest {
                order_number: request.order_number.clone(),
                description: request.description.clone(),
                amount: request.amount,
                expires_at: request.expires_at,
            },
        )
        .await
    }

    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentParams, GatewayError> {
        let client_ip = request.client_ip.trim();
        let order = JsapiOrder {
            out_trade_no: request.order_number.as_str().to_owned(),
            description: truncate_chars(&request.description, MAX_DESCRIPTION_CHARS).to_owned(),
            amount_fen: request.amount.value(),
            payer_openid: request.openid.as_str().to_owned(),
            time_expire: Some(request.expires_at),
            attach: Some(attach_for_order(request.order_number.as_str())),
            payer_client_ip: (!client_ip.is_empty()).then(|| client_ip.to_owned()),
        };
        let prepay = self
            .client
            .create_jsapi_order(&order)
            .await
            .map_err(|error| gateway_error("create JSAPI payment", error))?;
        // The order exists at WeChat Pay now; asking again returns the same prepay_id, so a
        // local failure from here on is "try again", not a refusal.
        let payment = self
            .client
            .mini_program_payment(&prepay.prepay_id)
            .map_err(|error| {
                GatewayError::Unavailable(format!("cannot sign wx.requestPayment: {error}"))
            })?;
        let params = serde_json::to_value(payment).map_err(|error| {
            GatewayError::Unavailable(format!("cannot encode wx.requestPayment: {error}"))
        })?;
        Ok(PaymentParams(params))
    }

    async fn query_order(&self, order_number: &OrderNumber) -> Result<TradeState, GatewayError> {
        match self
            .client
            .query_by_out_trade_no(order_number.as_str())
            .await
        {
            Ok(transaction) => trade_state(transaction),
            // ORDER_NOT_EXIST is an answer: WeChat Pay never saw this order.
            Err(WechatPayError::NotFound(_)) => Ok(TradeState::NotFound),
            Err(error) => Err(gateway_error("query order", error)),
        }
    }

    async fn close_order(&self, order_number: &OrderNumber) -> Result<(), GatewayError> {
        self.client
            .close_order(order_number.as_str())
            .await
            .map_err(|error| gateway_error("close order", error))
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError> {
        let reason = truncate_chars(request.reason.trim(), MAX_REASON_CHARS);
        let order = RefundOrder {
            order: OrderReference::OutTradeNo(request.order_number.as_str().to_owned()),
            // The caller's number, the same on every retry: WeChat Pay never pays it twice.
            out_refund_no: request.refund_no.clone(),
            reason: (!reason.is_empty()).then(|| reason.to_owned()),
            refund_fen: request.amount.value(),
            total_fen: request.total.value(),
        };
        let refund = self
            .client
            .refund(&order)
            .await
            .map_err(|error| gateway_error("refund", error))?;
        Ok(refund_state(&refund))
    }

    async fn query_refund(&self, refund_no: &str) -> Result<RefundState, GatewayError> {
        let refund = self
            .client
            .query_refund(refund_no)
            .await
            .map_err(|error| gateway_error("query refund", error))?;
        Ok(refund_state(&refund))
    }

    async fn statement(&self, day: NaiveDate) -> Result<Vec<StatementEntry>, GatewayError> {
        let location = match self.client.trade_bill(day, TradeBillType::All).await {
            Ok(location) => location,
            // NO_STATEMENT_EXIST: no trade that day (or none yet).
            Err(WechatPayError::NotFound(_)) => return Ok(Vec::new()),
            Err(error) => return Err(gateway_error("trade bill", error)),
        };
        let bytes = match self.client.download_bill(&location).await {
            Ok(bytes) => bytes,
            // The bill exists (WeChat Pay just said where): a lost download is no answer.
            Err(WechatPayError::NotFound(api)) => {
                return Err(GatewayError::Unavailable(format!(
                    "WeChat Pay trade bill of {day}: download not found: {api}"
                )));
            }
            Err(error) => return Err(gateway_error("trade bill download", error)),
        };
        let unreadable =
            |reason: String| GatewayError::Unavailable(format!("trade bill of {day}: {reason}"));
        let text =
            String::from_utf8(bytes).map_err(|error| unreadable(format!("not UTF-8: {error}")))?;
        let bill = TradeBill::parse(&text).map_err(|error| unreadable(error.to_string()))?;
        statement_entries(&bill).map_err(|error| unreadable(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_characters() {
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("充值充值", 2), "充值");
        assert_eq!(truncate_chars(&"话".repeat(130), 127).chars().count(), 127);
        assert_eq!(truncate_chars("", 3), "");
    }
}
