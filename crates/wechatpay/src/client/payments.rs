//! Payments: JSAPI and Native creation, query, close, and `wx.requestPayment` parameters.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::WechatPayClient;
use super::request::{ApiRequest, out_trade_no, positive_fen, text, transaction_id};
use crate::error::{Unknown, WechatPayError};
use crate::keys::SigningError;
use crate::model::{
    JsapiOrder, JsapiPrepay, NativeOrder, NativePrepay, OrderReference, Transaction,
};
use crate::signing::{MiniProgramPayment, new_nonce};

const CURRENCY: &str = "CNY";
const MAX_DESCRIPTION_CHARS: usize = 127;
const MAX_ATTACH_CHARS: usize = 128;
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;

#[derive(Serialize)]
struct AmountBody {
    total: i64,
    currency: &'static str,
}

#[derive(Serialize)]
struct PayerBody<'a> {
    openid: &'a str,
}

#[derive(Serialize)]
struct SceneInfoBody<'a> {
    payer_client_ip: &'a str,
}

#[derive(Serialize)]
struct CreateOrderBody<'a> {
    appid: &'a str,
    mchid: &'a str,
    description: &'a str,
    out_trade_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_expire: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attach: Option<&'a str>,
    notify_url: &'a str,
    amount: AmountBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer: Option<PayerBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scene_info: Option<SceneInfoBody<'a>>,
}

#[derive(Serialize)]
struct CloseBody<'a> {
    mchid: &'a str,
}

/// `yyyy-MM-DDTHH:mm:ss+08:00`, the form WeChat Pay documents for `time_expire`.
fn china_time(time: DateTime<Utc>) -> String {
    let china = FixedOffset::east_opt(CHINA_OFFSET_SECONDS).expect("UTC+8 is a valid offset");
    time.with_timezone(&china)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

struct OrderFields<'a> {
    out_trade_no: &'a str,
    description: &'a str,
    amount_fen: i64,
    time_expire: Option<DateTime<Utc>>,
    attach: Option<&'a str>,
    payer_openid: Option<&'a str>,
    payer_client_ip: Option<&'a str>,
}

impl WechatPayClient {
    fn create_order_body<'a>(
        &'a self,
        fields: &OrderFields<'a>,
    ) -> Result<CreateOrderBody<'a>, WechatPayError> {
        let attach = match fields.attach {
            Some(attach) => Some(text("attach", attach, MAX_ATTACH_CHARS, false)?),
            None => None,
        };
        let payer = match fields.payer_openid {
            Some(openid) => Some(PayerBody {
                openid: text("payer_openid", openid, 128, true)?,
            }),
            None => None,
        };
        Ok(CreateOrderBody {
            appid: &self.inner.app_id,
            mchid: self.mch_id(),
            description: text(
                "description",
                fields.description,
                MAX_DESCRIPTION_CHARS,
                true,
            )?,
            out_trade_no: out_trade_no(fields.out_trade_no)?,
            time_expire: fields.time_expire.map(china_time),
            attach,
            notify_url: &self.inner.notify_url,
            amount: AmountBody {
                total: positive_fen("amount_fen", fields.amount_fen)?,
                currency: CURRENCY,
            },
            payer,
            scene_info: fields
                .payer_client_ip
                .map(|payer_client_ip| SceneInfoBody { payer_client_ip }),
        })
    }

    /// `POST /v3/pay/transactions/jsapi`: a mini-program payment. Sending the same order
    /// again (same `out_trade_no`, same fields) returns the same `prepay_id`.
    pub async fn create_jsapi_order(
        &self,
        order: &JsapiOrder,
    ) -> Result<JsapiPrepay, WechatPayError> {
        let body = self.create_order_body(&OrderFields {
            out_trade_no: &order.out_trade_no,
            description: &order.description,
            amount_fen: order.amount_fen,
            time_expire: order.time_expire,
            attach: order.attach.as_deref(),
            payer_openid: Some(&order.payer_openid),
            payer_client_ip: order.payer_client_ip.as_deref(),
        })?;
        self.call(ApiRequest::post_json("/v3/pay/transactions/jsapi", &body)?)
            .await
    }

    /// `POST /v3/pay/transactions/native`: a payment by QR code (`code_url`).
    pub async fn create_native_order(
        &self,
        order: &NativeOrder,
    ) -> Result<NativePrepay, WechatPayError> {
        let body = self.create_order_body(&OrderFields {
            out_trade_no: &order.out_trade_no,
            description: &order.description,
            amount_fen: order.amount_fen,
            time_expire: order.time_expire,
            attach: order.attach.as_deref(),
            payer_openid: None,
            payer_client_ip: None,
        })?;
        self.call(ApiRequest::post_json("/v3/pay/transactions/native", &body)?)
            .await
    }

    /// The object for `wx.requestPayment` (`signType: RSA`), signed now with a fresh nonce.
    pub fn mini_program_payment(
        &self,
        prepay_id: &str,
    ) -> Result<MiniProgramPayment, SigningError> {
        self.inner.signer.mini_program_payment(
            &self.inner.app_id,
            prepay_id,
            self.clock().unix_seconds(),
            &new_nonce(),
        )
    }

    /// `GET /v3/pay/transactions/out-trade-no/{no}` or `/id/{transaction_id}`. An order
    /// WeChat Pay never saw is [`WechatPayError::NotFound`].
    pub async fn query_order(&self, order: &OrderReference) -> Result<Transaction, WechatPayError> {
        let mch_id = self.mch_id();
        let path = match order {
            OrderReference::OutTradeNo(number) => format!(
                "/v3/pay/transactions/out-trade-no/{}?mchid={mch_id}",
                out_trade_no(number)?
            ),
            OrderReference::TransactionId(id) => format!(
                "/v3/pay/transactions/id/{}?mchid={mch_id}",
                transaction_id(id)?
            ),
        };
        let transaction: Transaction = self.call(ApiRequest::get(path)).await?;
        let matches = match order {
            OrderReference::OutTradeNo(number) => transaction.out_trade_no == *number,
            OrderReference::TransactionId(id) => {
                transaction.transaction_id.as_deref() == Some(id.as_str())
            }
        };
        if !matches {
            return Err(WechatPayError::OutcomeUnknown(Unknown::Malformed {
                status: 200,
                reason: format!(
                    "asked for {order:?}, answered about {}",
                    transaction.out_trade_no
                ),
            }));
        }
        Ok(transaction)
    }

    pub async fn query_by_out_trade_no(&self, number: &str) -> Result<Transaction, WechatPayError> {
        self.query_order(&OrderReference::OutTradeNo(number.to_owned()))
            .await
    }

    pub async fn query_by_transaction_id(&self, id: &str) -> Result<Transaction, WechatPayError> {
        self.query_order(&OrderReference::TransactionId(id.to_owned()))
            .await
    }

    /// `POST /v3/pay/transactions/out-trade-no/{no}/close` (answer 204). Closing a paid
    /// order is refused with `ORDERPAID`.
    pub async fn close_order(&self, number: &str) -> Result<(), WechatPayError> {
        let path = format!(
            "/v3/pay/transactions/out-trade-no/{}/close",
            out_trade_no(number)?
        );
        let request = ApiRequest::post_json(
            path,
            &CloseBody {
                mchid: self.mch_id(),
            },
        )?;
        self.execute(request).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_expire_is_written_in_china_time() {
        let time = DateTime::parse_from_rfc3339("2018-06-08T02:34:56Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(china_time(time), "2018-06-08T10:34:56+08:00");
    }
}
