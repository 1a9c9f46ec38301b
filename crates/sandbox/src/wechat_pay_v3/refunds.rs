//! Refunds: the request with its limits (Σ refunds ≤ paid, at most 50 per order, the
//! order's own total, `out_refund_no` reuse), the refund object of answers and queries, the
//! resource of refund notifications, and status changes (PROCESSING → SUCCESS | CLOSED |
//! ABNORMAL; ABNORMAL is not final).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::fields;
use super::ids;
use super::records::{V3Refund, V3RefundStatus, V3TradeState};
use super::store::LedgerStore;

const MAX_REFUNDS_PER_ORDER: usize = 50;
const USER_RECEIVED_ACCOUNT: &str = "支付用户零钱";

/// The refund object of `POST /v3/refund/domestic/refunds` and of refund queries.
pub(crate) fn refund_view(refund: &V3Refund) -> Value {
    let mut fields = Map::new();
    fields.insert("refund_id".into(), json!(refund.refund_id));
    fields.insert("out_refund_no".into(), json!(refund.out_refund_no));
    fields.insert("transaction_id".into(), json!(refund.transaction_id));
    fields.insert("out_trade_no".into(), json!(refund.out_trade_no));
    fields.insert("channel".into(), json!("ORIGINAL"));
    fields.insert("user_received_account".into(), json!(USER_RECEIVED_ACCOUNT));
    if let Some(success_time) = refund.success_time {
        fields.insert("success_time".into(), json!(rfc3339(success_time)));
    }
    fields.insert("create_time".into(), json!(rfc3339(refund.created_at)));
    fields.insert("status".into(), json!(refund.status.as_str()));
    fields.insert("funds_account".into(), json!("AVAILABLE"));
    fields.insert(
        "amount".into(),
        json!({
            "total": refund.total, "refund": refund.refund, "from": [],
            "payer_total": refund.total, "payer_refund": refund.refund,
            "settlement_total": refund.total, "settlement_refund": refund.refund,
            "discount_refund": 0, "currency": refund.currency, "refund_fee": 0,
        }),
    );
    fields.insert("promotion_detail".into(), json!([]));
    Value::Object(fields)
}

/// The decrypted `resource` of REFUND.* notifications.
pub(crate) fn refund_resource(mchid: &str, refund: &V3Refund) -> Value {
    let mut resource = json!({
        "mchid": mchid,
        "out_trade_no": refund.out_trade_no,
        "transaction_id": refund.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status.as_str(),
        "user_received_account": USER_RECEIVED_ACCOUNT,
        "amount": { "total": refund.total, "refund": refund.refund,
                    "payer_total": refund.total, "payer_refund": refund.refund },
    });
    if let Some(success_time) = refund.success_time {
        resource["success_time"] = json!(rfc3339(success_time));
    }
    resource
}

/// A refund created by a request, to be settled later.
pub(crate) struct Created {
    pub answer: Value,
    pub new_refund: Option<V3Refund>,
}

/// `POST /v3/refund/domestic/refunds`.
pub(crate) fn create(
    store: &mut LedgerStore,
    request: &Value,
    now: DateTime<Utc>,
) -> Result<Created, ApiError> {
    if !request.is_object() {
        return Err(ApiError::invalid_request("body must be a JSON object"));
    }
    let out_refund_no = fields::merchant_number(
        "out_refund_no",
        fields::required_text(request, "out_refund_no")?,
        64,
    )?;
    let transaction_id = fields::optional_text(request, "transaction_id")?;
    let out_trade_no = fields::optional_text(request, "out_trade_no")?;
    let refund = fields::amount(request, "amount.refund")?;
    let total = fields::amount(request, "amount.total")?;
    let currency = fields::currency(request, "amount.currency")?;
    let reason = fields::optional_text(request, "reason")?
        .map(|reason| fields::bounded("reason", reason, 80))
        .transpose()?;
    let notify_url = fields::optional_text(request, "notify_url")?
        .map(|url| fields::notify_url("notify_url", url))
        .transpose()?;
    let order = match (&transaction_id, &out_trade_no) {
        (Some(transaction_id), _) => store.order_by_transaction_id(transaction_id),
        (None, Some(out_trade_no)) => store.order(out_trade_no),
        (None, None) => {
            return Err(ApiError::param(
                "out_trade_no",
                "transaction_id or out_trade_no is required",
            ));
        }
    }
    .ok_or_else(|| ApiError::resource_not_exists("订单不存在"))?;
    if let Some(existing) = store.refund(&out_refund_no) {
        return if existing.request == *request {
            Ok(Created {
                answer: refund_view(existing),
                new_refund: None,
            })
        } else {
            Err(ApiError::invalid_request(
                "out_refund_no 已使用，且请求参数与首次请求不一致",
            ))
        };
    }
    let (Some(paid_transaction_id), V3TradeState::Success | V3TradeState::Refund) =
        (order.transaction_id.clone(), order.state)
    else {
        return Err(ApiError::invalid_request("订单未支付，不能退款"));
    };
    if total != order.total {
        return Err(ApiError::param("amount.total", "与原订单金额不一致"));
    }
    let order_no = order.out_trade_no.clone();
    if store.refunds_of(&order_no).count() >= MAX_REFUNDS_PER_ORDER {
        return Err(ApiError::invalid_request("订单退款次数已达上限（50 次）"));
    }
    let held: i64 = store
        .refunds_of(&order_no)
        .filter(|refund| refund.status.holds_amount())
        .map(|refund| refund.refund)
        .sum();
    if held + refund > total {
        return Err(ApiError::invalid_request("申请退款金额超过订单可退金额"));
    }
    let created = V3Refund {
        out_refund_no,
        refund_id: ids::refund_id(now),
        out_trade_no: order_no.clone(),
        transaction_id: paid_transaction_id,
        reason,
        notify_url,
        refund,
        total,
        currency,
        created_at: now,
        status: V3RefundStatus::Processing,
        success_time: None,
        request: request.clone(),
    };
    if let Some(order) = store.order_mut(&order_no) {
        order.state = V3TradeState::Refund;
    }
    store.insert_refund(created.clone());
    Ok(Created {
        answer: refund_view(&created),
        new_refund: Some(created),
    })
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
pub(crate) fn query(store: &LedgerStore, out_refund_no: &str) -> Result<Value, ApiError> {
    store
        .refund(out_refund_no)
        .map(refund_view)
        .ok_or_else(|| ApiError::resource_not_exists("退款单不存在"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusRefusal {
    UnknownRefund,
    /// SUCCESS and CLOSED are final; PROCESSING cannot be re-entered.
    NotAllowed,
}

/// Moves a refund to a new status; answers the refund as it now is.
pub(crate) fn change_status(
    store: &mut LedgerStore,
    out_refund_no: &str,
    status: V3RefundStatus,
    now: DateTime<Utc>,
) -> Result<V3Refund, StatusRefusal> {
    let refund = store
        .refund_mut(out_refund_no)
        .ok_or(StatusRefusal::UnknownRefund)?;
    let allowed = match (refund.status, status) {
        (_, V3RefundStatus::Processing) => false,
        (V3RefundStatus::Processing | V3RefundStatus::Abnormal, _) => true,
        (V3RefundStatus::Success | V3RefundStatus::Closed, _) => false,
    };
    if !allowed {
        return Err(StatusRefusal::NotAllowed);
    }
    refund.status = status;
    if status == V3RefundStatus::Success {
        refund.success_time = Some(now);
    }
    Ok(refund.clone())
}
