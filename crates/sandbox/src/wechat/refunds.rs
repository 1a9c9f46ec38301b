//! The refund rules of the pay API (`refund`, `queryrefund`) over the indexed ledger:
//! never above the paid amount, at most 50 per order, a repeated `out_refund_no` answered
//! again rather than refunded twice. Pure: the handlers pass the time.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::{Value, json};

use super::answers::{
    ApiResult, Identity, integer, missing, random_digits, refund_answer, result_fail,
    result_success, return_fail, text,
};
use super::config::RuntimeConfig;
use super::records::{SimRefund, SimRefundStatus, SimTradeState};
use super::store::LedgerStore;

/// At most 50 (partial) refunds per order.
const MAX_REFUNDS_PER_ORDER: usize = 50;
const REFUND_WINDOW: ChronoDuration = ChronoDuration::days(365);

/// The identifier a refund query names (the first one given, by documented priority).
#[derive(Debug, Clone, Copy)]
enum RefundKey<'a> {
    RefundId(&'a str),
    OutRefundNo(&'a str),
    TransactionId(&'a str),
    OutTradeNo(&'a str),
}

impl LedgerStore {
    pub(crate) fn refund(
        &mut self,
        request: &Value,
        sub_mch_id: String,
        identity: &Identity<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult {
        let total_fee = integer(request, "total_fee")?;
        let refund_fee = integer(request, "refund_fee")?;
        let refund_desc = text(request, "refund_desc")?.map(str::to_owned);
        let out_trade_no = text(request, "out_trade_no")?;
        let out_refund_no = text(request, "out_refund_no")?;
        let (Some(out_trade_no), Some(out_refund_no), Some(total_fee), Some(refund_fee)) =
            (out_trade_no, out_refund_no, total_fee, refund_fee)
        else {
            return Ok(missing("out_trade_no/out_refund_no/total_fee/refund_fee"));
        };
        if integer(request, "callback_type")? != Some(2) || request.get("container").is_none() {
            return Ok(return_fail("callback_type 必须为 2 且需要 container"));
        }
        let fail =
            |code: &str, description: &str| result_fail(identity, &sub_mch_id, code, description);

        if let Some(existing) = self.refund_by_out_refund_no(out_refund_no) {
            // The same refund asked again is answered again, not refunded twice.
            if existing.out_trade_no != out_trade_no || existing.refund_fee != refund_fee {
                return Ok(fail(
                    "PARAM_ERROR",
                    "退款单号已用于另一笔退款，请求参数与原退款不一致",
                ));
            }
            return Ok(refund_answer(identity, &sub_mch_id, existing));
        }
        let Some(order) = self
            .order(out_trade_no)
            .filter(|order| order.sub_mch_id == sub_mch_id)
        else {
            return Ok(fail("ORDERNOTEXIST", "订单不存在"));
        };
        let refund_count = self.refund_count(out_trade_no);
        let refusal = match (order.state, order.paid_at, order.transaction_id.clone()) {
            (SimTradeState::Success | SimTradeState::Refund, Some(paid_at), Some(_))
                if now > paid_at + REFUND_WINDOW =>
            {
                Some(fail("TRADE_OVERDUE", "订单已经超过退款期限"))
            }
            (SimTradeState::Success | SimTradeState::Refund, Some(_), Some(_)) => None,
            _ => Some(fail("ERROR", "订单未支付，不能退款")),
        };
        if let Some(refusal) = refusal {
            return Ok(refusal);
        }
        if total_fee != order.total_fee {
            return Ok(fail("PARAM_ERROR", "订单金额与原订单不一致"));
        }
        if refund_fee <= 0 {
            return Ok(fail("PARAM_ERROR", "退款金额必须大于0"));
        }
        if order.refunded_fee + refund_fee > order.total_fee {
            return Ok(fail("ERROR", "申请退款金额超过订单可退金额"));
        }
        if refund_count >= MAX_REFUNDS_PER_ORDER {
            return Ok(fail("ERROR", "订单部分退款次数超过50次"));
        }
        let refund = SimRefund {
            out_refund_no: out_refund_no.to_owned(),
            refund_id: format!("503{}", random_digits(26)),
            out_trade_no: out_trade_no.to_owned(),
            transaction_id: order.transaction_id.clone().unwrap_or_default(),
            total_fee,
            refund_fee,
            refund_desc,
            created_at: now,
            forced_status: None,
        };
        let answer = refund_answer(identity, &sub_mch_id, &refund);
        self.insert_refund(refund);
        if let Some(order) = self.order_mut(out_trade_no) {
            order.refunded_fee += refund_fee;
            order.state = SimTradeState::Refund;
        }
        Ok(answer)
    }

    pub(crate) fn query_refund(
        &self,
        request: &Value,
        sub_mch_id: String,
        runtime: &RuntimeConfig,
        identity: &Identity<'_>,
        now: DateTime<Utc>,
    ) -> ApiResult {
        // Priority as documented: refund_id > out_refund_no > transaction_id > out_trade_no;
        // a field after the first one given is not read.
        let wanted = if let Some(refund_id) = text(request, "refund_id")? {
            RefundKey::RefundId(refund_id)
        } else if let Some(out_refund_no) = text(request, "out_refund_no")? {
            RefundKey::OutRefundNo(out_refund_no)
        } else if let Some(transaction_id) = text(request, "transaction_id")? {
            RefundKey::TransactionId(transaction_id)
        } else if let Some(out_trade_no) = text(request, "out_trade_no")? {
            RefundKey::OutTradeNo(out_trade_no)
        } else {
            return Ok(missing("out_refund_no"));
        };
        let refunds: Vec<&SimRefund> = self
            .refunds_named(wanted)
            .into_iter()
            .filter(|refund| {
                self.order(&refund.out_trade_no)
                    .is_some_and(|order| order.sub_mch_id == sub_mch_id)
            })
            .collect();
        let Some(first) = refunds.first() else {
            return Ok(result_fail(
                identity,
                &sub_mch_id,
                "REFUNDNOTEXIST",
                "退款订单查询失败",
            ));
        };
        let mut extra = json!({
            "transaction_id": first.transaction_id,
            "out_trade_no": first.out_trade_no,
            "total_fee": first.total_fee,
            "cash_fee": first.total_fee,
            "refund_count": refunds.len(),
        });
        for (index, refund) in refunds.iter().enumerate() {
            let status = refund.status(now, runtime.refund_processing_ms);
            extra[format!("out_refund_no_{index}")] = json!(refund.out_refund_no);
            extra[format!("refund_id_{index}")] = json!(refund.refund_id);
            extra[format!("refund_channel_{index}")] = json!("ORIGINAL");
            extra[format!("refund_fee_{index}")] = json!(refund.refund_fee);
            extra[format!("refund_status_{index}")] = json!(status.as_wechat());
            extra[format!("refund_recv_accout_{index}")] = json!("支付用户的零钱");
            if status == SimRefundStatus::Success {
                let done = refund.created_at
                    + ChronoDuration::milliseconds(
                        i64::try_from(runtime.refund_processing_ms).unwrap_or(0),
                    );
                extra[format!("refund_success_time_{index}")] = json!(
                    super::clock::china(done)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                );
            }
        }
        Ok(result_success(identity, &sub_mch_id, extra))
    }

    /// The refunds a query names, oldest first, each found through an index.
    fn refunds_named(&self, key: RefundKey<'_>) -> Vec<&SimRefund> {
        match key {
            RefundKey::RefundId(refund_id) => {
                self.refund_by_refund_id(refund_id).into_iter().collect()
            }
            RefundKey::OutRefundNo(out_refund_no) => self
                .refund_by_out_refund_no(out_refund_no)
                .into_iter()
                .collect(),
            RefundKey::TransactionId(transaction_id) => self
                .order_by_transaction_id(transaction_id)
                .map(|order| {
                    self.refunds_of_order(&order.out_trade_no)
                        .filter(|refund| refund.transaction_id == transaction_id)
                        .collect()
                })
                .unwrap_or_default(),
            RefundKey::OutTradeNo(out_trade_no) => self.refunds_of_order(out_trade_no).collect(),
        }
    }

    pub(crate) fn force_refund_status(
        &mut self,
        out_refund_no: &str,
        status: SimRefundStatus,
    ) -> bool {
        match self.refund_mut(out_refund_no) {
            Some(refund) => {
                refund.forced_status = Some(status);
                true
            }
            None => false,
        }
    }
}
