//! [`CloudPayClient`]: the `PaymentGateway` port over Cloud Hosting's open interface.

use async_trait::async_trait;
use chrono::NaiveDate;
use elife_domain::money::Fen;
use elife_domain::order::OrderNumber;
use elife_domain::ports::{
    ConfirmedPayment, GatewayError, PaymentGateway, PaymentParams, PaymentRequest, RefundRequest,
    RefundState, StatementEntry, TradeState,
};
use rand::Rng;
use rand::distr::Alphanumeric;
use reqwest::header::CONTENT_TYPE;
use serde::Serialize;
use serde_json::Value;

use crate::bill::{BillError, BillType, Statement};
use crate::callback::attach_for_order;
use crate::china_time::{format_china_time, parse_china_time};
use crate::config::CloudPayConfig;
use crate::wire::{
    Container, check_pay_result, check_return_code, open_envelope, required_fen, required_string,
    string_field,
};

/// `callback_type` value that sends notifications to a Cloud Hosting container.
const CALLBACK_TO_CONTAINER: u8 = 2;
/// WeChat limits `body` to 128 bytes and `refund_desc` to 80.
const MAX_BODY_BYTES: usize = 128;
const MAX_REFUND_DESC_BYTES: usize = 80;
/// The `err_code` of `downloadbill` when there is no statement for the day.
const NO_BILL_ERROR_CODE: &str = "20002";

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for Cloud Hosting pay: {0}")]
pub struct ClientBuildError(#[from] reqwest::Error);

/// Calls `unifiedOrder`, `queryorder`, `closeorder`, `refund`, `queryrefund` and
/// `downloadbill` of Cloud Hosting's open interface.
#[derive(Debug, Clone)]
pub struct CloudPayClient {
    http: reqwest::Client,
    config: CloudPayConfig,
}

#[derive(Serialize)]
struct UnifiedOrderBody<'a> {
    body: &'a str,
    openid: &'a str,
    out_trade_no: &'a str,
    spbill_create_ip: &'a str,
    env_id: &'a str,
    sub_mch_id: &'a str,
    total_fee: i64,
    trade_type: &'static str,
    callback_type: u8,
    container: Container<'a>,
    attach: String,
    /// `yyyyMMddHHmmss` China time: WeChat refuses the payment afterwards.
    time_expire: String,
    nonce_str: String,
}

#[derive(Serialize)]
struct OrderRefBody<'a> {
    out_trade_no: &'a str,
    sub_mch_id: &'a str,
    nonce_str: String,
}

#[derive(Serialize)]
struct RefundBody<'a> {
    body: &'a str,
    out_trade_no: &'a str,
    out_refund_no: &'a str,
    env_id: &'a str,
    sub_mch_id: &'a str,
    total_fee: i64,
    refund_fee: i64,
    refund_desc: &'a str,
    callback_type: u8,
    container: Container<'a>,
    nonce_str: String,
}

#[derive(Serialize)]
struct QueryRefundBody<'a> {
    out_refund_no: &'a str,
    sub_mch_id: &'a str,
    nonce_str: String,
}

#[derive(Serialize)]
struct DownloadBillBody<'a> {
    bill_date: String,
    bill_type: &'static str,
    sub_mch_id: &'a str,
    nonce_str: String,
}

impl CloudPayClient {
    pub fn new(config: CloudPayConfig) -> Result<Self, ClientBuildError> {
        let http = reqwest::Client::builder().timeout(config.timeout).build()?;
        Ok(CloudPayClient { http, config })
    }

    pub fn config(&self) -> &CloudPayConfig {
        &self.config
    }

    /// Downloads the statement of one day (China date) and parses it into rows.
    /// A day without any trade is [`BillError::NoBill`].
    pub async fn download_bill(
        &self,
        date: NaiveDate,
        bill_type: BillType,
    ) -> Result<Statement, BillError> {
        let body = DownloadBillBody {
            bill_date: date.format("%Y%m%d").to_string(),
            bill_type: bill_type.as_wechat(),
            sub_mch_id: &self.config.sub_mch_id,
            nonce_str: nonce(),
        };
        let respdata = self.call("downloadbill", &body).await?;
        match respdata {
            Value::String(text) => Statement::parse(&text),
            other => {
                if string_field(&other, "error_code").as_deref() == Some(NO_BILL_ERROR_CODE) {
                    return Err(BillError::NoBill);
                }
                check_return_code(&other)?;
                Err(BillError::Malformed {
                    line: 0,
                    reason: "respdata is neither the statement text nor a failure".to_owned(),
                })
            }
        }
    }

    /// One POST with `content-type: application/json`; yields `respdata`.
    async fn call(&self, api: &str, body: &impl Serialize) -> Result<Value, GatewayError> {
        let payload = serde_json::to_vec(body).map_err(|error| GatewayError::Rejected {
            code: "INVALID_REQUEST".to_owned(),
            message: error.to_string(),
        })?;
        let response = self
            .http
            .post(self.config.endpoint(api))
            .header(CONTENT_TYPE, "application/json")
            .body(payload)
            .send()
            .await
            .map_err(|error| transport_error(api, &error))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| transport_error(api, &error))?;
        let respdata = open_envelope(status, &bytes);
        if let Err(error) = &respdata {
            tracing::warn!(api, %error, "Cloud Hosting pay call failed");
        }
        respdata
    }

    fn container<'a>(&'a self, path: &'a str) -> Container<'a> {
        Container {
            service: &self.config.callback_service,
            path,
        }
    }
}

fn transport_error(api: &str, error: &reqwest::Error) -> GatewayError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    GatewayError::Unavailable(format!("{api} {kind}: {error}"))
}

fn nonce() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// Cuts `text` to at most `max` bytes on a character boundary.
fn truncate_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn positive_amount(amount: Fen, what: &str) -> Result<i64, GatewayError> {
    if amount.value() > 0 {
        Ok(amount.value())
    } else {
        Err(GatewayError::Rejected {
            code: "INVALID_AMOUNT".to_owned(),
            message: format!("{what} must be at least 1 fen, got {amount}"),
        })
    }
}

/// The payment described by a `queryorder` answer whose trade state is SUCCESS or REFUND.
fn confirmed_payment(
    respdata: &Value,
    asked: &OrderNumber,
) -> Result<ConfirmedPayment, GatewayError> {
    let out_trade_no = required_string(respdata, "out_trade_no")?;
    if out_trade_no != asked.as_str() {
        return Err(GatewayError::Unavailable(format!(
            "queryorder for {asked} answered about {out_trade_no}"
        )));
    }
    let amount = Fen::new(required_fen(respdata, "total_fee")?);
    let paid_at = match string_field(respdata, "time_end").filter(|raw| !raw.is_empty()) {
        Some(raw) => Some(parse_china_time(&raw).ok_or_else(|| {
            GatewayError::Unavailable(format!("queryorder answered a malformed time_end {raw:?}"))
        })?),
        None => None,
    };
    Ok(ConfirmedPayment {
        order_number: out_trade_no,
        transaction_id: required_string(respdata, "transaction_id")?,
        amount,
        attach: string_field(respdata, "attach").filter(|attach| !attach.is_empty()),
        paid_at,
        // Through Cloud Hosting, which of `openid`/`sub_openid` names the mini-program's
        // user depends on the merchant's binding: not compared, lest a right payment alert.
        payer: None,
    })
}

fn trade_state(respdata: &Value, asked: &OrderNumber) -> Result<TradeState, GatewayError> {
    let state = required_string(respdata, "trade_state")?;
    Ok(match state.as_str() {
        "SUCCESS" => TradeState::Paid(confirmed_payment(respdata, asked)?),
        "REFUND" => TradeState::Refunded(confirmed_payment(respdata, asked)?),
        "NOTPAY" => TradeState::NotPaid,
        "USERPAYING" => TradeState::UserPaying,
        "CLOSED" => TradeState::Closed,
        "REVOKED" => TradeState::Revoked,
        "PAYERROR" => TradeState::PayError,
        unknown => {
            return Err(GatewayError::Unavailable(format!(
                "queryorder answered an unknown trade_state {unknown:?}"
            )));
        }
    })
}

/// One refund of a `queryrefund` answer.
struct RefundEntry {
    out_refund_no: Option<String>,
    refund_id: Option<String>,
    status: String,
}

/// Reads refunds both as `refund_status_list` arrays and as `refund_status_$n` fields:
/// Cloud Hosting has answered both shapes.
fn refund_entries(respdata: &Value) -> Vec<RefundEntry> {
    let list = |name: &str| -> Vec<Option<String>> {
        respdata
            .get(name)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let statuses = list("refund_status_list");
    if !statuses.is_empty() {
        let numbers = list("out_refund_no_list");
        let ids = list("refund_id_list");
        return statuses
            .into_iter()
            .enumerate()
            .filter_map(|(index, status)| {
                Some(RefundEntry {
                    out_refund_no: numbers.get(index).cloned().flatten(),
                    refund_id: ids.get(index).cloned().flatten(),
                    status: status?,
                })
            })
            .collect();
    }
    (0..)
        .map_while(|index| {
            let status = string_field(respdata, &format!("refund_status_{index}"))?;
            Some(RefundEntry {
                out_refund_no: string_field(respdata, &format!("out_refund_no_{index}")),
                refund_id: string_field(respdata, &format!("refund_id_{index}")),
                status,
            })
        })
        .collect()
}

fn refund_state(respdata: &Value, refund_no: &str) -> Result<RefundState, GatewayError> {
    let entries = refund_entries(respdata);
    let entry = entries
        .iter()
        .find(|entry| entry.out_refund_no.as_deref() == Some(refund_no))
        .or(match entries.as_slice() {
            [only] if only.out_refund_no.is_none() => Some(only),
            _ => None,
        })
        .ok_or_else(|| {
            GatewayError::Unavailable(format!(
                "queryrefund answered no status for refund {refund_no}"
            ))
        })?;
    let gateway_refund_id = entry.refund_id.clone().filter(|id| !id.is_empty());
    Ok(match entry.status.as_str() {
        "SUCCESS" => RefundState::Succeeded { gateway_refund_id },
        "PROCESSING" => RefundState::Processing { gateway_refund_id },
        "REFUNDCLOSE" => RefundState::Failed {
            reason: "REFUNDCLOSE: WeChat closed the refund".to_owned(),
        },
        "CHANGE" => RefundState::Failed {
            reason: "CHANGE: the refund could not be credited to the payer's account; \
                     it must be settled by hand"
                .to_owned(),
        },
        unknown => {
            return Err(GatewayError::Unavailable(format!(
                "queryrefund answered an unknown refund status {unknown:?}"
            )));
        }
    })
}

#[async_trait]
impl PaymentGateway for CloudPayClient {
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentParams, GatewayError> {
        let total_fee = positive_amount(request.amount, "the payment amount")?;
        let body = UnifiedOrderBody {
            body: truncate_bytes(&request.description, MAX_BODY_BYTES),
            openid: request.openid.as_str(),
            out_trade_no: request.order_number.as_str(),
            spbill_create_ip: &request.client_ip,
            env_id: &self.config.env_id,
            sub_mch_id: &self.config.sub_mch_id,
            total_fee,
            trade_type: "JSAPI",
            callback_type: CALLBACK_TO_CONTAINER,
            container: self.container(&self.config.callback_path),
            attach: attach_for_order(request.order_number.as_str()),
            time_expire: format_china_time(request.expires_at),
            nonce_str: nonce(),
        };
        let respdata = self.call("unifiedOrder", &body).await?;
        check_pay_result(&respdata)?;
        match respdata.get("payment") {
            Some(payment @ Value::Object(_)) => Ok(PaymentParams(payment.clone())),
            _ => Err(GatewayError::Unavailable(
                "unifiedOrder succeeded without a payment object".to_owned(),
            )),
        }
    }

    async fn query_order(&self, order_number: &OrderNumber) -> Result<TradeState, GatewayError> {
        let body = OrderRefBody {
            out_trade_no: order_number.as_str(),
            sub_mch_id: &self.config.sub_mch_id,
            nonce_str: nonce(),
        };
        let respdata = self.call("queryorder", &body).await?;
        match check_pay_result(&respdata) {
            Ok(()) => trade_state(&respdata, order_number),
            Err(GatewayError::NotFound) => Ok(TradeState::NotFound),
            Err(other) => Err(other),
        }
    }

    async fn close_order(&self, order_number: &OrderNumber) -> Result<(), GatewayError> {
        let body = OrderRefBody {
            out_trade_no: order_number.as_str(),
            sub_mch_id: &self.config.sub_mch_id,
            nonce_str: nonce(),
        };
        let respdata = self.call("closeorder", &body).await?;
        check_pay_result(&respdata)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError> {
        let total_fee = positive_amount(request.total, "the paid total")?;
        let refund_fee = positive_amount(request.amount, "the refund amount")?;
        if refund_fee > total_fee {
            return Err(GatewayError::Rejected {
                code: "INVALID_AMOUNT".to_owned(),
                message: format!(
                    "refund of {} exceeds the paid total {}",
                    request.amount, request.total
                ),
            });
        }
        let body = RefundBody {
            body: truncate_bytes(&request.reason, MAX_BODY_BYTES),
            out_trade_no: request.order_number.as_str(),
            out_refund_no: &request.refund_no,
            env_id: &self.config.env_id,
            sub_mch_id: &self.config.sub_mch_id,
            total_fee,
            refund_fee,
            refund_desc: truncate_bytes(&request.reason, MAX_REFUND_DESC_BYTES),
            callback_type: CALLBACK_TO_CONTAINER,
            container: self.container(&self.config.refund_callback_path),
            nonce_str: nonce(),
        };
        let respdata = self.call("refund", &body).await?;
        check_pay_result(&respdata)?;
        // Accepted is not refunded: the money moves later, `queryrefund` tells when.
        Ok(RefundState::Processing {
            gateway_refund_id: string_field(&respdata, "refund_id").filter(|id| !id.is_empty()),
        })
    }

    async fn query_refund(&self, refund_no: &str) -> Result<RefundState, GatewayError> {
        let body = QueryRefundBody {
            out_refund_no: refund_no,
            sub_mch_id: &self.config.sub_mch_id,
            nonce_str: nonce(),
        };
        let respdata = self.call("queryrefund", &body).await?;
        check_pay_result(&respdata)?;
        refund_state(&respdata, refund_no)
    }

    async fn statement(&self, day: NaiveDate) -> Result<Vec<StatementEntry>, GatewayError> {
        let statement = match self.download_bill(day, BillType::All).await {
            Ok(statement) => statement,
            Err(BillError::NoBill) => return Ok(Vec::new()),
            Err(BillError::Gateway(error)) => return Err(error),
            Err(error @ BillError::Malformed { .. }) => {
                return Err(GatewayError::Unavailable(format!(
                    "downloadbill for {day}: {error}"
                )));
            }
        };
        let mut entries = Vec::with_capacity(statement.rows.len());
        for row in &statement.rows {
            let entry = row.entry().map_err(|error| {
                GatewayError::Unavailable(format!("downloadbill for {day}: {error}"))
            })?;
            entries.extend(entry);
        }
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate_bytes("abc", 5), "abc");
        // "充值" is 6 bytes; 4 bytes keep only the first character.
        assert_eq!(truncate_bytes("充值", 4), "充");
    }

    #[test]
    fn reads_indexed_and_list_refund_shapes() {
        let indexed = json!({"refund_count": 2,
            "out_refund_no_0": "R1", "refund_id_0": "501", "refund_status_0": "SUCCESS",
            "out_refund_no_1": "R2", "refund_id_1": "502", "refund_status_1": "PROCESSING"});
        assert_eq!(
            refund_state(&indexed, "R2").unwrap(),
            RefundState::Processing {
                gateway_refund_id: Some("502".to_owned())
            }
        );
        let listed = json!({"refund_count": 1, "out_refund_no_list": ["R1"],
            "refund_id_list": ["501"], "refund_status_list": ["CHANGE"]});
        assert!(matches!(
            refund_state(&listed, "R1").unwrap(),
            RefundState::Failed { .. }
        ));
        // The known quirk: a count but empty lists. The state is unknown, not "processing".
        let empty = json!({"refund_count": 1, "refund_status_list": []});
        assert!(matches!(
            refund_state(&empty, "R1"),
            Err(GatewayError::Unavailable(_))
        ));
    }
}
