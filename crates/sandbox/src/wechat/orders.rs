//! The order rules of the pay API (`unifiedOrder`, `queryorder`, `closeorder`) and the
//! payer's payment, over the indexed ledger. Pure: the handlers pass the time.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Value, json};

use super::answers::{
    ApiResult, Identity, integer, missing, not_bound, parse_wechat_time, payment_object,
    random_alnum, random_digits, result_fail, result_success, return_fail, text,
};
use super::clock::wechat_time;
use super::config::RuntimeConfig;
use super::records::{SimOrder, SimTradeState};
use super::store::LedgerStore;

/// WeChat closes an order only five minutes after it was created.
const CLOSE_AFTER: ChronoDuration = ChronoDuration::minutes(5);
const MAX_OUT_TRADE_NO_LEN: usize = 32;

/// Why the payer could not pay an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PayRefusal {
    UnknownOrder,
    AlreadyPaid,
    Closed,
    /// Past the order's `time_expire`: WeChat no longer takes the payment.
    Expired,
}

impl LedgerStore {
    /// Runs `api` for the request's sub-merchant once it is known and bound; otherwise
    /// answers why not. Every pay API but the bill starts with this check.
    pub(crate) fn for_merchant(
        request: &Value,
        runtime: &RuntimeConfig,
        api: impl FnOnce(String) -> ApiResult,
    ) -> ApiResult {
        match text(request, "sub_mch_id")? {
            None => Ok(missing("sub_mch_id")),
            Some(sub_mch_id) if !runtime.is_bound(sub_mch_id) => Ok(not_bound()),
            Some(sub_mch_id) => api(sub_mch_id.to_owned()),
        }
    }

    pub(crate) fn unified_order(
        &mut self,
        request: &Value,
        sub_mch_id: String,
        identity: &Identity<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult {
        let total_fee = integer(request, "total_fee")?;
        let callback_type = integer(request, "callback_type")?;
        let container = request.get("container");
        let (service, path) = match container {
            Some(container) => (text(container, "service")?, text(container, "path")?),
            None => (None, None),
        };
        let required = [
            ("body", text(request, "body")?),
            ("openid", text(request, "openid")?),
            ("out_trade_no", text(request, "out_trade_no")?),
            ("spbill_create_ip", text(request, "spbill_create_ip")?),
            ("env_id", text(request, "env_id")?),
            ("container.service", service),
            ("container.path", path),
        ];
        if let Some((name, _)) = required.iter().find(|(_, value)| value.is_none()) {
            return Ok(missing(name));
        }
        let [body, openid, out_trade_no, ip, env_id, service, path] =
            required.map(|(_, value)| value.unwrap_or_default());
        let Some(total_fee) = total_fee else {
            return Ok(missing("total_fee"));
        };
        if callback_type != Some(2) {
            return Ok(return_fail("callback_type 必须为 2 (云托管)"));
        }
        if total_fee <= 0 {
            return Ok(result_fail(
                identity,
                &sub_mch_id,
                "PARAM_ERROR",
                "total_fee 必须大于 0",
            ));
        }
        if out_trade_no.len() > MAX_OUT_TRADE_NO_LEN {
            return Ok(result_fail(
                identity,
                &sub_mch_id,
                "PARAM_ERROR",
                "out_trade_no 超过32位",
            ));
        }
        if !path.starts_with('/') {
            return Ok(return_fail("container.path 必须以 / 开头"));
        }
        let attach = text(request, "attach")?.map(str::to_owned);
        let time_expire = match text(request, "time_expire")? {
            None => None,
            Some(raw) => match parse_wechat_time(raw) {
                Some(time) => Some(time),
                None => {
                    return Ok(result_fail(
                        identity,
                        &sub_mch_id,
                        "PARAM_ERROR",
                        "time_expire 格式错误 (yyyyMMddHHmmss)",
                    ));
                }
            },
        };

        if let Some(existing) = self.order(out_trade_no) {
            return Ok(match existing.state {
                SimTradeState::Success | SimTradeState::Refund => {
                    result_fail(identity, &sub_mch_id, "ORDERPAID", "该订单已支付")
                }
                SimTradeState::Closed => {
                    result_fail(identity, &sub_mch_id, "ORDERCLOSED", "该订单已关闭")
                }
                SimTradeState::NotPay
                    if existing.total_fee == total_fee
                        && existing.openid == openid
                        && existing.body == body =>
                {
                    // Same order asked again: WeChat answers the same prepay id.
                    let prepay_id = existing.prepay_id.clone();
                    self.unified_answer(identity, &sub_mch_id, &prepay_id, now)
                }
                SimTradeState::NotPay => {
                    result_fail(identity, &sub_mch_id, "OUT_TRADE_NO_USED", "商户订单号重复")
                }
            });
        }

        let prepay_id = format!("wx{}", random_alnum(32));
        self.insert_order(SimOrder {
            out_trade_no: out_trade_no.to_owned(),
            prepay_id: prepay_id.clone(),
            body: body.to_owned(),
            openid: openid.to_owned(),
            sub_mch_id: sub_mch_id.clone(),
            env_id: env_id.to_owned(),
            spbill_create_ip: ip.to_owned(),
            total_fee,
            attach,
            container_service: service.to_owned(),
            container_path: path.to_owned(),
            created_at: now,
            time_expire,
            state: SimTradeState::NotPay,
            transaction_id: None,
            paid_at: None,
            closed_at: None,
            refunded_fee: 0,
        });
        Ok(self.unified_answer(identity, &sub_mch_id, &prepay_id, now))
    }

    fn unified_answer(
        &self,
        identity: &Identity<'_>,
        sub_mch_id: &str,
        prepay_id: &str,
        now: DateTime<Utc>,
    ) -> Value {
        result_success(
            identity,
            sub_mch_id,
            json!({
                "trade_type": "JSAPI",
                "prepay_id": prepay_id,
                "payment": payment_object(identity, prepay_id, now),
            }),
        )
    }

    pub(crate) fn query_order(
        &self,
        request: &Value,
        sub_mch_id: String,
        identity: &Identity<'_>,
    ) -> ApiResult {
        let found = match (
            text(request, "transaction_id")?,
            text(request, "out_trade_no")?,
        ) {
            (Some(transaction_id), _) => self.order_by_transaction_id(transaction_id),
            (None, Some(out_trade_no)) => self.order(out_trade_no),
            (None, None) => return Ok(missing("out_trade_no")),
        };
        let Some(order) = found.filter(|order| order.sub_mch_id == sub_mch_id) else {
            return Ok(result_fail(
                identity,
                &sub_mch_id,
                "ORDERNOTEXIST",
                "订单不存在",
            ));
        };
        let mut extra = json!({
            "openid": format!("oSim{}", order.openid),
            "is_subscribe": "N",
            "sub_openid": order.openid,
            "trade_type": "JSAPI",
            "trade_state": order.state.as_wechat(),
            "out_trade_no": order.out_trade_no,
            "attach": order.attach.clone().unwrap_or_default(),
            "total_fee": order.total_fee,
            "fee_type": "CNY",
            "trade_state_desc": order.body,
        });
        if let (Some(transaction_id), Some(paid_at)) = (&order.transaction_id, order.paid_at) {
            extra["bank_type"] = json!("OTHERS");
            extra["cash_fee"] = json!(order.total_fee);
            extra["cash_fee_type"] = json!("CNY");
            extra["transaction_id"] = json!(transaction_id);
            extra["time_end"] = json!(wechat_time(paid_at));
        }
        Ok(result_success(identity, &sub_mch_id, extra))
    }

    pub(crate) fn close_order(
        &mut self,
        request: &Value,
        sub_mch_id: String,
        identity: &Identity<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult {
        let Some(out_trade_no) = text(request, "out_trade_no")? else {
            return Ok(missing("out_trade_no"));
        };
        let Some(order) = self
            .order_mut(out_trade_no)
            .filter(|order| order.sub_mch_id == sub_mch_id)
        else {
            return Ok(result_fail(
                identity,
                &sub_mch_id,
                "ORDERNOTEXIST",
                "订单不存在",
            ));
        };
        Ok(match order.state {
            SimTradeState::Success | SimTradeState::Refund => result_fail(
                identity,
                &sub_mch_id,
                "ORDERPAID",
                "订单已支付，不能发起关单",
            ),
            SimTradeState::Closed => result_fail(
                identity,
                &sub_mch_id,
                "ORDERCLOSED",
                "订单已关闭，无法重复关闭",
            ),
            SimTradeState::NotPay if now < order.created_at + CLOSE_AFTER => result_fail(
                identity,
                &sub_mch_id,
                "SYSTEMERROR",
                "订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟",
            ),
            SimTradeState::NotPay => {
                order.state = SimTradeState::Closed;
                order.closed_at = Some(now);
                result_success(identity, &sub_mch_id, json!({}))
            }
        })
    }

    /// The payer pays: the order becomes SUCCESS with a fresh transaction id.
    /// `late` lets a payment land on an order that was closed meanwhile.
    pub(crate) fn pay(
        &mut self,
        out_trade_no: &str,
        late: bool,
        now: DateTime<Utc>,
    ) -> Result<SimOrder, PayRefusal> {
        let order = self.order(out_trade_no).ok_or(PayRefusal::UnknownOrder)?;
        match order.state {
            SimTradeState::Success | SimTradeState::Refund => return Err(PayRefusal::AlreadyPaid),
            SimTradeState::Closed if !late => return Err(PayRefusal::Closed),
            SimTradeState::NotPay
                if !late && order.time_expire.is_some_and(|expiry| now > expiry) =>
            {
                return Err(PayRefusal::Expired);
            }
            SimTradeState::Closed | SimTradeState::NotPay => {}
        }
        let transaction_id = format!("4200{}", random_digits(24));
        self.record_payment(out_trade_no, transaction_id, now)
            .cloned()
            .ok_or(PayRefusal::UnknownOrder)
    }
}
