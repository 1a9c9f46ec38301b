//! From API v3 answers and failures to the domain's gateway vocabulary.

use elife_domain::money::Fen;
use elife_domain::ports::{
    ConfirmedPayment, GatewayError, RefundState, StatementEntry, StatementKind, TradeState,
};

use super::bill::{BillError, BillTradeState, TradeBill};
use crate::error::{ApiError, NotSent, WechatPayError, codes};
use crate::model::{Refund, RefundStatus, TradeState as WireTradeState, Transaction};

/// The `attach` sent with every order, `{"orderNumber":"ORD…"}`: the form the domain's
/// `attach_order_number` reads, and the Cloud Hosting channel sends.
pub(crate) fn attach_for_order(order_number: &str) -> String {
    serde_json::json!({ "orderNumber": order_number }).to_string()
}

/// Sorts a failure by what it says about the call's effect: unknown → `Unavailable` (the
/// caller queries before concluding anything), WeChat does not know it → `NotFound`, a
/// definite refusal → the matching variant with WeChat's code and text.
pub(crate) fn gateway_error(operation: &'static str, error: WechatPayError) -> GatewayError {
    let mapped = match &error {
        WechatPayError::OutcomeUnknown(_) => unavailable(operation, &error),
        WechatPayError::NotFound(_) => GatewayError::NotFound,
        WechatPayError::Refused(api) => refusal(operation, api, &error),
        WechatPayError::NotSent(not_sent) => match not_sent {
            // Nothing happened, but nothing was refused either: "try again" is the truth.
            NotSent::Connect(_) | NotSent::NoEncryptionKey => unavailable(operation, &error),
            NotSent::InvalidArgument { .. } => GatewayError::Rejected {
                code: "INVALID_ARGUMENT".to_owned(),
                message: format!("{operation}: {error}"),
            },
            NotSent::Url { .. }
            | NotSent::Encode(_)
            | NotSent::Signing(_)
            | NotSent::Encrypt(_)
            | NotSent::Build(_) => GatewayError::Rejected {
                code: "REQUEST_NOT_SENT".to_owned(),
                message: format!("{operation}: {error}"),
            },
        },
    };
    match &mapped {
        GatewayError::Unavailable(_) => {
            tracing::warn!(operation, %error, "WeChat Pay call failed; outcome unknown");
        }
        GatewayError::OrderPaid
        | GatewayError::OrderClosed
        | GatewayError::NotFound
        | GatewayError::Rejected { .. } => {
            tracing::info!(operation, %error, "WeChat Pay refused the call");
        }
    }
    mapped
}

fn unavailable(operation: &str, error: &WechatPayError) -> GatewayError {
    GatewayError::Unavailable(format!("WeChat Pay {operation}: {error}"))
}

fn refusal(operation: &str, api: &ApiError, error: &WechatPayError) -> GatewayError {
    match api.code.as_str() {
        codes::ORDERPAID => GatewayError::OrderPaid,
        codes::ORDER_CLOSED | "ORDERCLOSED" => GatewayError::OrderClosed,
        // Definite: this refund request failed. The caller decides whether to try again
        // later with the same `out_refund_no`.
        codes::NOT_ENOUGH => rejected(api),
        // "Not now" (rate limit, payer still typing, bill being made): nothing was decided,
        // so the domain must neither give up nor conclude; it retries or queries later.
        _ if api.is_retryable() => unavailable(operation, error),
        _ => rejected(api),
    }
}

fn rejected(api: &ApiError) -> GatewayError {
    GatewayError::Rejected {
        code: api.code.clone(),
        message: api.message.clone(),
    }
}

/// A query answer as the domain's trade state. Every `trade_state` WeChat Pay documents is
/// matched; one it adds fails to parse in the client and arrives here as `Unavailable`.
pub(crate) fn trade_state(transaction: Transaction) -> Result<TradeState, GatewayError> {
    Ok(match transaction.trade_state {
        WireTradeState::Success => TradeState::Paid(confirmed_payment(transaction)?),
        WireTradeState::Refund => TradeState::Refunded(confirmed_payment(transaction)?),
        WireTradeState::NotPaid => TradeState::NotPaid,
        WireTradeState::Closed => TradeState::Closed,
        WireTradeState::Revoked => TradeState::Revoked,
        WireTradeState::UserPaying => TradeState::UserPaying,
        WireTradeState::PayError => TradeState::PayError,
    })
}

/// A paid order must name its transaction and amount; without them the answer is unusable.
fn confirmed_payment(transaction: Transaction) -> Result<ConfirmedPayment, GatewayError> {
    let incomplete = |field: &str| {
        GatewayError::Unavailable(format!(
            "WeChat Pay query: {} order {} answered without {field}",
            transaction.trade_state, transaction.out_trade_no
        ))
    };
    let transaction_id = transaction
        .transaction_id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| incomplete("transaction_id"))?;
    let amount = transaction
        .total_fen()
        .ok_or_else(|| incomplete("amount.total"))?;
    Ok(ConfirmedPayment {
        order_number: transaction.out_trade_no,
        transaction_id,
        amount: Fen::new(amount),
        attach: transaction.attach.filter(|attach| !attach.is_empty()),
        paid_at: transaction
            .success_time
            .map(|time| time.with_timezone(&chrono::Utc)),
        // Only a JSAPI payment was made out to a payer; a Native QR code is paid by
        // whoever scans it.
        payer: match transaction.trade_type.as_deref() {
            Some("JSAPI") => transaction
                .payer
                .and_then(|payer| payer.openid)
                .filter(|openid| !openid.is_empty()),
            _ => None,
        },
    })
}

/// A refund answer as the domain's refund state. ABNORMAL is not final (the money is stuck,
/// e.g. the payer's card was closed; a person must act and it can still succeed), so it stays
/// in progress; only CLOSED fails.
pub(crate) fn refund_state(refund: &Refund) -> RefundState {
    let gateway_refund_id = Some(refund.refund_id.clone()).filter(|id| !id.is_empty());
    match refund.status {
        RefundStatus::Success => RefundState::Succeeded { gateway_refund_id },
        RefundStatus::Processing => RefundState::Processing { gateway_refund_id },
        RefundStatus::Abnormal => {
            tracing::warn!(
                refund = %refund.out_refund_no,
                refund_id = %refund.refund_id,
                "WeChat Pay refund ABNORMAL: the money is stuck until someone acts \
                 in the merchant platform (or retries with the same out_refund_no)"
            );
            RefundState::Processing { gateway_refund_id }
        }
        RefundStatus::Closed => RefundState::Failed {
            reason: "CLOSED: WeChat Pay closed the refund without paying it out".to_owned(),
        },
    }
}

/// The bill's payments and refunds as statement lines. A revoked payment moves no money of
/// its own (its refund does) and is left out.
pub(crate) fn statement_entries(bill: &TradeBill) -> Result<Vec<StatementEntry>, BillError> {
    let mut entries = Vec::with_capacity(bill.rows.len());
    for row in &bill.rows {
        let (kind, amount, column) = match row.trade_state {
            BillTradeState::Success => (StatementKind::Payment, row.payment_fen(), "订单金额"),
            BillTradeState::Refund => (StatementKind::Refund, row.refunded_fen(), "申请退款金额"),
            BillTradeState::Revoked => continue,
        };
        let amount = amount.ok_or_else(|| BillError {
            line: row.line,
            reason: format!("{} line without {column}", row.trade_state),
        })?;
        entries.push(StatementEntry {
            order_number: row.out_trade_no.clone(),
            transaction_id: row.transaction_id.clone(),
            amount: Fen::new(amount),
            kind,
        });
    }
    Ok(entries)
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
