//! What the simulated WeChat Pay knows: orders, payments, refunds and every notification
//! attempt; and the rules of each pay API applied to it. Pure: the handlers pass the time.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::clock::wechat_time;
use super::config::RuntimeConfig;

/// WeChat closes an order only five minutes after it was created.
pub(crate) const CLOSE_AFTER: ChronoDuration = ChronoDuration::minutes(5);
/// At most 50 (partial) refunds per order.
pub(crate) const MAX_REFUNDS_PER_ORDER: usize = 50;
const MAX_OUT_TRADE_NO_LEN: usize = 32;
const REFUND_WINDOW: ChronoDuration = ChronoDuration::days(365);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SimTradeState {
    #[serde(rename = "NOTPAY")]
    NotPay,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "REFUND")]
    Refund,
    #[serde(rename = "CLOSED")]
    Closed,
}

impl SimTradeState {
    pub fn as_wechat(self) -> &'static str {
        match self {
            SimTradeState::NotPay => "NOTPAY",
            SimTradeState::Success => "SUCCESS",
            SimTradeState::Refund => "REFUND",
            SimTradeState::Closed => "CLOSED",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SimOrder {
    pub out_trade_no: String,
    pub prepay_id: String,
    pub body: String,
    pub openid: String,
    pub sub_mch_id: String,
    pub env_id: String,
    pub spbill_create_ip: String,
    pub total_fee: i64,
    pub attach: Option<String>,
    pub container_service: String,
    pub container_path: String,
    pub created_at: DateTime<Utc>,
    /// `time_expire` of `unifiedOrder`, if given.
    pub time_expire: Option<DateTime<Utc>>,
    pub state: SimTradeState,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub refunded_fee: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SimRefundStatus {
    #[serde(rename = "PROCESSING")]
    Processing,
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "REFUNDCLOSE")]
    Closed,
    #[serde(rename = "CHANGE")]
    Change,
}

impl SimRefundStatus {
    pub fn as_wechat(self) -> &'static str {
        match self {
            SimRefundStatus::Processing => "PROCESSING",
            SimRefundStatus::Success => "SUCCESS",
            SimRefundStatus::Closed => "REFUNDCLOSE",
            SimRefundStatus::Change => "CHANGE",
        }
    }

    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "PROCESSING" => Some(SimRefundStatus::Processing),
            "SUCCESS" => Some(SimRefundStatus::Success),
            "REFUNDCLOSE" => Some(SimRefundStatus::Closed),
            "CHANGE" => Some(SimRefundStatus::Change),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SimRefund {
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub total_fee: i64,
    pub refund_fee: i64,
    pub refund_desc: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Set by a test (`/__sandbox/wechat/refunds/{no}/status`); otherwise PROCESSING until
    /// the configured processing time has passed, then SUCCESS.
    pub forced_status: Option<SimRefundStatus>,
}

/// One of the identifiers a refund query may name.
type RefundKey = fn(&SimRefund) -> &str;

impl SimRefund {
    pub(crate) fn status(&self, now: DateTime<Utc>, processing_ms: u64) -> SimRefundStatus {
        if let Some(forced) = self.forced_status {
            return forced;
        }
        let processing =
            ChronoDuration::milliseconds(i64::try_from(processing_ms).unwrap_or(i64::MAX));
        if now >= self.created_at + processing {
            SimRefundStatus::Success
        } else {
            SimRefundStatus::Processing
        }
    }
}

/// One attempt to deliver one copy of a payment notification.
#[derive(Debug, Clone, Serialize)]
pub struct CallbackAttempt {
    pub out_trade_no: String,
    pub copy: u32,
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub url: Option<String>,
    pub http_status: Option<u16>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub acknowledged: bool,
    /// The amount the notification claimed (differs from the order's on a "wrong amount" run).
    pub total_fee: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Ledger {
    pub orders: Vec<SimOrder>,
    pub refunds: Vec<SimRefund>,
    pub callbacks: Vec<CallbackAttempt>,
}

/// The request was not even well-formed JSON of the right types: the open interface
/// answers `errcode` 40097 ("invalid args").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidArgs(pub String);

pub(crate) type ApiResult = Result<Value, InvalidArgs>;

/// Why the payer could not pay an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PayRefusal {
    UnknownOrder,
    AlreadyPaid,
    Closed,
    /// Past the order's `time_expire`: WeChat no longer takes the payment.
    Expired,
}

/// Who the simulator is, echoed in every answer.
pub(crate) struct Identity<'a> {
    pub appid: &'a str,
    pub mch_id: &'a str,
}

fn text<'a>(request: &'a Value, name: &str) -> Result<Option<&'a str>, InvalidArgs> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.as_str()).filter(|value| !value.is_empty())),
        Some(_) => Err(InvalidArgs(format!("{name} must be a string"))),
    }
}

fn integer(request: &Value, name: &str) -> Result<Option<i64>, InvalidArgs> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| InvalidArgs(format!("{name} must be an integer"))),
    }
}

fn return_fail(message: &str) -> Value {
    json!({ "return_code": "FAIL", "return_msg": message })
}

fn missing(name: &str) -> Value {
    return_fail(&format!("缺少参数 {name}"))
}

fn not_bound() -> Value {
    return_fail("受理关系不存在")
}

fn base(identity: &Identity<'_>, sub_mch_id: &str) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("return_code".into(), json!("SUCCESS"));
    fields.insert("return_msg".into(), json!("OK"));
    fields.insert("appid".into(), json!(identity.appid));
    fields.insert("mch_id".into(), json!(identity.mch_id));
    fields.insert("sub_appid".into(), json!(identity.appid));
    fields.insert("sub_mch_id".into(), json!(sub_mch_id));
    fields.insert("nonce_str".into(), json!(random_alnum(16)));
    fields.insert("sign".into(), json!(random_hex(32)));
    fields
}

fn result_fail(identity: &Identity<'_>, sub_mch_id: &str, code: &str, description: &str) -> Value {
    let mut fields = base(identity, sub_mch_id);
    fields.insert("result_code".into(), json!("FAIL"));
    fields.insert("err_code".into(), json!(code));
    fields.insert("err_code_des".into(), json!(description));
    Value::Object(fields)
}

fn result_success(identity: &Identity<'_>, sub_mch_id: &str, extra: Value) -> Value {
    let mut fields = base(identity, sub_mch_id);
    fields.insert("result_code".into(), json!("SUCCESS"));
    if let Value::Object(extra) = extra {
        fields.extend(extra);
    }
    Value::Object(fields)
}

pub(crate) fn random_alnum(length: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn random_digits(length: usize) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn random_hex(length: usize) -> String {
    const HEX: &[u8] = b"0123456789ABCDEF";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| HEX[rng.random_range(0..HEX.len())] as char)
        .collect()
}

/// The object `wx.requestPayment` takes. `paySign` is a placeholder: nothing verifies it.
fn payment_object(identity: &Identity<'_>, prepay_id: &str, now: DateTime<Utc>) -> Value {
    json!({
        "appId": identity.appid,
        "timeStamp": now.timestamp().to_string(),
        "nonceStr": random_alnum(16),
        "package": format!("prepay_id={prepay_id}"),
        "signType": "MD5",
        "paySign": random_hex(32),
    })
}

impl Ledger {
    pub(crate) fn order(&self, out_trade_no: &str) -> Option<&SimOrder> {
        self.orders
            .iter()
            .find(|order| order.out_trade_no == out_trade_no)
    }

    fn order_mut(&mut self, out_trade_no: &str) -> Option<&mut SimOrder> {
        self.orders
            .iter_mut()
            .find(|order| order.out_trade_no == out_trade_no)
    }

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
        self.orders.push(SimOrder {
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
            (Some(transaction_id), _) => self
                .orders
                .iter()
                .find(|order| order.transaction_id.as_deref() == Some(transaction_id)),
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

        if let Some(existing) = self
            .refunds
            .iter()
            .find(|refund| refund.out_refund_no == out_refund_no)
        {
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
        let refund_count = self
            .refunds
            .iter()
            .filter(|refund| refund.out_trade_no == out_trade_no)
            .count();
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
        self.refunds.push(refund);
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
        let keys: [(&str, RefundKey); 4] = [
            ("refund_id", |refund| &refund.refund_id),
            ("out_refund_no", |refund| &refund.out_refund_no),
            ("transaction_id", |refund| &refund.transaction_id),
            ("out_trade_no", |refund| &refund.out_trade_no),
        ];
        let mut wanted = None;
        for (name, key) in keys {
            if let Some(value) = text(request, name)? {
                wanted = Some((key, value));
                break;
            }
        }
        let Some((key, value)) = wanted else {
            return Ok(missing("out_refund_no"));
        };
        let refunds: Vec<&SimRefund> = self
            .refunds
            .iter()
            .filter(|refund| key(refund) == value)
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

    /// The payer pays: the order becomes SUCCESS with a fresh transaction id.
    /// `late` lets a payment land on an order that was closed meanwhile.
    pub(crate) fn pay(
        &mut self,
        out_trade_no: &str,
        late: bool,
        now: DateTime<Utc>,
    ) -> Result<SimOrder, PayRefusal> {
        let order = self
            .order_mut(out_trade_no)
            .ok_or(PayRefusal::UnknownOrder)?;
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
        order.state = SimTradeState::Success;
        order.transaction_id = Some(format!("4200{}", random_digits(24)));
        order.paid_at = Some(now);
        Ok(order.clone())
    }

    pub(crate) fn force_refund_status(
        &mut self,
        out_refund_no: &str,
        status: SimRefundStatus,
    ) -> bool {
        match self
            .refunds
            .iter_mut()
            .find(|refund| refund.out_refund_no == out_refund_no)
        {
            Some(refund) => {
                refund.forced_status = Some(status);
                true
            }
            None => false,
        }
    }
}

fn refund_answer(identity: &Identity<'_>, sub_mch_id: &str, refund: &SimRefund) -> Value {
    result_success(
        identity,
        sub_mch_id,
        json!({
            "transaction_id": refund.transaction_id,
            "out_trade_no": refund.out_trade_no,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id,
            "refund_fee": refund.refund_fee,
            "total_fee": refund.total_fee,
            "cash_fee": refund.total_fee,
            "cash_refund_fee": refund.refund_fee,
            "coupon_refund_fee": 0,
            "coupon_refund_count": 0,
        }),
    )
}

/// WeChat's `yyyyMMddHHmmss`, China time (UTC+8).
fn parse_wechat_time(raw: &str) -> Option<DateTime<Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y%m%d%H%M%S").ok()?;
    let china = chrono::FixedOffset::east_opt(8 * 3600)?;
    naive
        .and_local_timezone(china)
        .single()
        .map(|time| time.with_timezone(&Utc))
}
