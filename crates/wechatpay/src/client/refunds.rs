//! Refunds: `POST /v3/refund/domestic/refunds` and its query.

use serde::Serialize;

use super::WechatPayClient;
use super::request::{ApiRequest, out_refund_no, out_trade_no, positive_fen, text, transaction_id};
use crate::error::{NotSent, Unknown, WechatPayError};
use crate::model::{OrderReference, Refund, RefundOrder};

const MAX_REASON_CHARS: usize = 80;

#[derive(Serialize)]
struct RefundAmountBody {
    refund: i64,
    total: i64,
    currency: &'static str,
}

#[derive(Serialize)]
struct CreateRefundBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    out_trade_no: Option<&'a str>,
    out_refund_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_url: Option<&'a str>,
    amount: RefundAmountBody,
}

impl WechatPayClient {
    /// Asks for a refund. Retrying with the same `out_refund_no` (and amounts) is the
    /// documented way to resolve an unknown outcome; it never pays twice.
    pub async fn refund(&self, order: &RefundOrder) -> Result<Refund, WechatPayError> {
        let (transaction_id, out_trade_no) = match &order.order {
            OrderReference::TransactionId(id) => (Some(transaction_id(id)?), None),
            OrderReference::OutTradeNo(number) => (None, Some(out_trade_no(number)?)),
        };
        let refund_fen = positive_fen("refund_fen", order.refund_fen)?;
        let total_fen = positive_fen("total_fen", order.total_fen)?;
        if refund_fen > total_fen {
            return Err(WechatPayError::NotSent(NotSent::InvalidArgument {
                field: "refund_fen",
                reason: format!("{refund_fen} fen is more than the order's {total_fen}"),
            }));
        }
        let reason = match order.reason.as_deref() {
            Some(reason) => Some(text("reason", reason, MAX_REASON_CHARS, false)?),
            None => None,
        };
        let body = CreateRefundBody {
            transaction_id,
            out_trade_no,
            out_refund_no: out_refund_no(&order.out_refund_no)?,
            reason,
            notify_url: self.inner.refund_notify_url.as_deref(),
            amount: RefundAmountBody {
                refund: refund_fen,
                total: total_fen,
                currency: "CNY",
            },
        };
        let refund: Refund = self
            .call(ApiRequest::post_json("/v3/refund/domestic/refunds", &body)?)
            .await?;
        same_refund(&order.out_refund_no, refund)
    }

    /// `GET /v3/refund/domestic/refunds/{out_refund_no}`; unknown to WeChat Pay is
    /// [`WechatPayError::NotFound`] (`RESOURCE_NOT_EXISTS`).
    pub async fn query_refund(&self, number: &str) -> Result<Refund, WechatPayError> {
        let path = format!("/v3/refund/domestic/refunds/{}", out_refund_no(number)?);
        let refund: Refund = self.call(ApiRequest::get(path)).await?;
        same_refund(number, refund)
    }
}

fn same_refund(asked: &str, refund: Refund) -> Result<Refund, WechatPayError> {
    if refund.out_refund_no == asked {
        Ok(refund)
    } else {
        Err(WechatPayError::OutcomeUnknown(Unknown::Malformed {
            status: 200,
            reason: format!(
                "asked about refund {asked}, answered about {}",
                refund.out_refund_no
            ),
        }))
    }
}
