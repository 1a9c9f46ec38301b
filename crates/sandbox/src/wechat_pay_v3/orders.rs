//! Orders: JSAPI and Native creation with the `out_trade_no` reuse rules, the transaction
//! object of queries and payment notifications, closing, and the payer paying.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::clock::rfc3339;
use super::errors::ApiError;
use super::fields;
use super::ids;
use super::records::{V3Order, V3TradeState, V3TradeType};
use super::store::LedgerStore;

/// Who the simulator serves: the one appid and direct merchant of its config.
pub(crate) struct Merchant<'a> {
    pub appid: &'a str,
    pub mchid: &'a str,
}

impl Merchant<'_> {
    pub(crate) fn check_mchid(&self, mchid: &str) -> Result<(), ApiError> {
        if mchid == self.mchid {
            Ok(())
        } else {
            Err(ApiError::mch_not_exists())
        }
    }
}

fn read_order(
    merchant: &Merchant<'_>,
    trade_type: V3TradeType,
    request: &Value,
    now: DateTime<Utc>,
) -> Result<V3Order, ApiError> {
    if !request.is_object() {
        return Err(ApiError::invalid_request("body must be a JSON object"));
    }
    let appid = fields::required_text(request, "appid")?;
    let mchid = fields::required_text(request, "mchid")?;
    merchant.check_mchid(&mchid)?;
    if appid != merchant.appid {
        return Err(ApiError::appid_mchid_not_match());
    }
    let description = fields::bounded(
        "description",
        fields::required_text(request, "description")?,
        127,
    )?;
    let out_trade_no = fields::merchant_number(
        "out_trade_no",
        fields::required_text(request, "out_trade_no")?,
        32,
    )?;
    let notify_url =
        fields::notify_url("notify_url", fields::required_text(request, "notify_url")?)?;
    let attach = fields::optional_text(request, "attach")?
        .map(|attach| fields::bounded("attach", attach, 128))
        .transpose()?;
    let payer_openid = match trade_type {
        V3TradeType::Jsapi => Some(fields::required_text(request, "payer.openid")?),
        V3TradeType::Native => None,
    };
    Ok(V3Order {
        out_trade_no,
        trade_type,
        appid,
        mchid,
        description,
        attach,
        notify_url,
        total: fields::amount(request, "amount.total")?,
        currency: fields::currency(request, "amount.currency")?,
        payer_openid,
        time_expire: fields::optional_time(request, "time_expire")?,
        prepay_id: None,
        code_url: None,
        created_at: now,
        state: V3TradeState::NotPay,
        transaction_id: None,
        success_time: None,
        closed_at: None,
        paid_late: false,
        request: request.clone(),
    })
}

fn creation_answer(order: &V3Order) -> Value {
    match order.trade_type {
        V3TradeType::Jsapi => json!({ "prepay_id": order.prepay_id }),
        V3TradeType::Native => json!({ "code_url": order.code_url }),
    }
}

/// `POST /v3/pay/transactions/jsapi|native`. The same `out_trade_no` with exactly the same
/// request is answered again; with other parameters it is refused.
pub(crate) fn create(
    store: &mut LedgerStore,
    merchant: &Merchant<'_>,
    trade_type: V3TradeType,
    request: &Value,
    now: DateTime<Utc>,
) -> Result<Value, ApiError> {
    let mut order = read_order(merchant, trade_type, request, now)?;
    if let Some(existing) = store.order(&order.out_trade_no) {
        return match existing.state {
            V3TradeState::Success | V3TradeState::Refund => Err(ApiError::order_paid()),
            V3TradeState::Closed => Err(ApiError::order_closed()),
            V3TradeState::NotPay
                if existing.trade_type == trade_type && existing.request == *request =>
            {
                Ok(creation_answer(existing))
            }
            V3TradeState::NotPay => Err(ApiError::invalid_request(
                "out_trade_no 已使用，且请求参数与首次请求不一致",
            )),
        };
    }
    match trade_type {
        V3TradeType::Jsapi => order.prepay_id = Some(ids::prepay_id(now)),
        V3TradeType::Native => order.code_url = Some(ids::code_url()),
    }
    let answer = creation_answer(&order);
    store.insert_order(order);
    Ok(answer)
}

/// The transaction object of queries and of `TRANSACTION.SUCCESS` notifications.
pub(crate) fn transaction(order: &V3Order) -> Value {
    let mut fields = Map::new();
    fields.insert("appid".into(), json!(order.appid));
    fields.insert("mchid".into(), json!(order.mchid));
    fields.insert("out_trade_no".into(), json!(order.out_trade_no));
    fields.insert("trade_state".into(), json!(order.state.as_str()));
    fields.insert("trade_state_desc".into(), json!(order.state.description()));
    if let Some(attach) = &order.attach {
        fields.insert("attach".into(), json!(attach));
    }
    let mut amount = json!({ "total": order.total, "currency": order.currency,
                             "payer_currency": order.currency });
    if let (Some(transaction_id), Some(success_time)) = (&order.transaction_id, order.success_time)
    {
        fields.insert("transaction_id".into(), json!(transaction_id));
        fields.insert("trade_type".into(), json!(order.trade_type.as_str()));
        fields.insert("bank_type".into(), json!("OTHERS"));
        fields.insert("success_time".into(), json!(rfc3339(success_time)));
        fields.insert(
            "payer".into(),
            json!({ "openid": order.payer_openid.clone().unwrap_or_else(|| "oSandboxNativePayer".to_owned()) }),
        );
        amount["payer_total"] = json!(order.total);
    }
    fields.insert("amount".into(), amount);
    fields.insert("promotion_detail".into(), json!([]));
    Value::Object(fields)
}

/// `GET /v3/pay/transactions/out-trade-no/{no}` and `/id/{transaction_id}`.
pub(crate) fn query(
    store: &LedgerStore,
    merchant: &Merchant<'_>,
    mchid: Option<&str>,
    key: OrderKey<'_>,
) -> Result<Value, ApiError> {
    let mchid = mchid
        .filter(|mchid| !mchid.is_empty())
        .ok_or_else(|| ApiError::param("mchid", "is required"))?;
    merchant.check_mchid(mchid)?;
    let order = match key {
        OrderKey::OutTradeNo(out_trade_no) => store.order(out_trade_no),
        OrderKey::TransactionId(transaction_id) => store.order_by_transaction_id(transaction_id),
    };
    order.map(transaction).ok_or_else(ApiError::order_not_exist)
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum OrderKey<'a> {
    OutTradeNo(&'a str),
    TransactionId(&'a str),
}

/// `POST /v3/pay/transactions/out-trade-no/{no}/close`: closing twice is harmless.
pub(crate) fn close(
    store: &mut LedgerStore,
    merchant: &Merchant<'_>,
    out_trade_no: &str,
    request: &Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    merchant.check_mchid(&fields::required_text(request, "mchid")?)?;
    let order = store
        .order_mut(out_trade_no)
        .ok_or_else(ApiError::order_not_exist)?;
    match order.state {
        V3TradeState::Success | V3TradeState::Refund => Err(ApiError::order_paid()),
        V3TradeState::Closed => Ok(()),
        V3TradeState::NotPay => {
            order.state = V3TradeState::Closed;
            order.closed_at = Some(now);
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayRefusal {
    UnknownOrder,
    AlreadyPaid,
    Closed,
    Expired,
}

impl PayRefusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            PayRefusal::UnknownOrder => "no such order",
            PayRefusal::AlreadyPaid => "order already paid",
            PayRefusal::Closed => "order is closed (pay with \"late\": true to pay it anyway)",
            PayRefusal::Expired => {
                "order is past its time_expire (pay with \"late\": true to pay it anyway)"
            }
        }
    }
}

/// The payer pays. `late` lets the payment land on a closed or expired order, as a
/// payment racing a close does.
pub(crate) fn pay(
    store: &mut LedgerStore,
    out_trade_no: &str,
    late: bool,
    now: DateTime<Utc>,
) -> Result<V3Order, PayRefusal> {
    let order = store
        .order_mut(out_trade_no)
        .ok_or(PayRefusal::UnknownOrder)?;
    let expired = order.time_expire.is_some_and(|expire| now > expire);
    match order.state {
        V3TradeState::Success | V3TradeState::Refund => return Err(PayRefusal::AlreadyPaid),
        V3TradeState::Closed if !late => return Err(PayRefusal::Closed),
        V3TradeState::NotPay if expired && !late => return Err(PayRefusal::Expired),
        V3TradeState::Closed | V3TradeState::NotPay => {}
    }
    let transaction_id = ids::transaction_id(now);
    order.paid_late = order.state == V3TradeState::Closed || expired;
    order.state = V3TradeState::Success;
    order.transaction_id = Some(transaction_id.clone());
    order.success_time = Some(now);
    let paid = order.clone();
    store.index_payment(out_trade_no, &transaction_id);
    Ok(paid)
}
