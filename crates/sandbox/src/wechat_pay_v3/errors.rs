//! API v3's error model: an HTTP status and `{"code": "...", "message": "..."}` (PARAM_ERROR
//! adds `detail` naming the field). The statuses follow the documented error tables.

use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub detail: Option<Value>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(detail) = &self.detail {
            body["detail"] = detail.clone();
        }
        body
    }

    /// A field is missing or malformed.
    pub(crate) fn param(field: &str, issue: &str) -> ApiError {
        let mut error = ApiError::new(400, "PARAM_ERROR", format!("{field}: {issue}"));
        error.detail = Some(json!({ "field": field, "location": "body", "issue": issue }));
        error
    }

    /// The request breaks the API's rules (not JSON, a reused number with other parameters...).
    pub(crate) fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "INVALID_REQUEST", message)
    }

    pub(crate) fn sign_error(message: impl Into<String>) -> ApiError {
        ApiError::new(401, "SIGN_ERROR", message)
    }

    pub(crate) fn appid_mchid_not_match() -> ApiError {
        ApiError::new(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")
    }

    pub(crate) fn mch_not_exists() -> ApiError {
        ApiError::new(400, "MCH_NOT_EXISTS", "商户号不存在")
    }

    pub(crate) fn order_paid() -> ApiError {
        ApiError::new(400, "ORDERPAID", "订单已支付")
    }

    pub(crate) fn order_closed() -> ApiError {
        ApiError::new(400, "ORDER_CLOSED", "订单已关闭")
    }

    /// Queries and closes of an unknown order.
    pub(crate) fn order_not_exist() -> ApiError {
        ApiError::new(404, "ORDER_NOT_EXIST", "订单不存在")
    }

    /// Refunds of an unknown order, unknown refunds, unknown bill tokens.
    pub(crate) fn resource_not_exists(message: impl Into<String>) -> ApiError {
        ApiError::new(404, "RESOURCE_NOT_EXISTS", message)
    }

    pub(crate) fn not_enough() -> ApiError {
        ApiError::new(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
    }

    pub(crate) fn no_statement_exist() -> ApiError {
        ApiError::new(400, "NO_STATEMENT_EXIST", "账单文件不存在")
    }

    pub(crate) fn system_error() -> ApiError {
        ApiError::new(500, "SYSTEM_ERROR", "系统异常，请稍后重试")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn param_errors_name_the_field() {
        let error = ApiError::param("amount.total", "must be above 0");
        assert_eq!(error.status, 400);
        assert_eq!(error.body()["code"], "PARAM_ERROR");
        assert_eq!(error.body()["detail"]["field"], "amount.total");
        assert!(ApiError::system_error().body().get("detail").is_none());
    }
}
