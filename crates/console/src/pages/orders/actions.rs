//! What a person does to an order: settle an `unknown`/`failed` top-up, refund, ask WeChat
//! about the payment. Each checks the permission, validates as the API does, calls the
//! same use case (which checks the permission and the order's state again and audits), and
//! answers the order as it is now with what happened on top.

use actix_web::{HttpRequest, HttpResponse, web};
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::Resolution;
use elife_domain::payments::{NotificationHandled, RefundOutcome};
use elife_domain::privacy::scrub_phone_numbers;
use serde::Deserialize;

use super::detail::OrderBody;
use super::filters::{Problems, given};
use super::order_number;
use crate::error::ConsoleError;
use crate::services::Console;
use crate::session::Operator;

#[derive(Debug, Default, Deserialize)]
pub struct SettleForm {
    /// `succeeded` or `failed`.
    pub resolution: Option<String>,
    pub reason: Option<String>,
}

impl SettleForm {
    /// The resolution and reason, or every problem (the API's messages).
    fn parse(&self) -> Result<(Resolution, String), ConsoleError> {
        let mut problems = Problems::default();
        let resolution = match given(&self.resolution) {
            None => {
                problems.add("resolution should not be empty");
                None
            }
            Some(raw) => {
                let parsed = raw.parse::<Resolution>().ok();
                if parsed.is_none() {
                    problems.add("resolution must be succeeded or failed");
                }
                parsed
            }
        };
        let reason = required_reason(&mut problems, &self.reason);
        let parsed = problems
            .into_result(resolution.zip(reason))
            .map_err(ConsoleError::Invalid)?;
        parsed.ok_or_else(|| ConsoleError::Invalid("invalid input".to_owned()))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReasonForm {
    pub reason: Option<String>,
}

fn required_reason(problems: &mut Problems, reason: &Option<String>) -> Option<String> {
    let reason = given(reason).map(str::to_owned);
    if reason.is_none() {
        problems.add("reason should not be empty");
    }
    reason
}

pub async fn settle(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    // A post without a form body is an empty form (and told so), not a 415.
    form: Option<web::Form<SettleForm>>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::ResolveTopUps)?;
    let (resolution, reason) = form
        .map(web::Form::into_inner)
        .unwrap_or_default()
        .parse()?;
    let number = order_number(&path)?;
    let order = console
        .services
        .recharge
        .resolve_by_admin(&number, resolution, &operator.act(), &reason)
        .await?;
    let flash = format!(
        "已确认充值结果 Settled as {}: the top-up is now {}",
        resolution.as_str(),
        order.recharge_status
    );
    OrderBody::load(&console, &operator, &path, false, Some(flash))
        .await?
        .answer(&request, &operator)
}

pub async fn refund(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
    form: Option<web::Form<ReasonForm>>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::RefundOrders)?;
    let form = form.map(web::Form::into_inner).unwrap_or_default();
    let mut problems = Problems::default();
    let reason = required_reason(&mut problems, &form.reason);
    let reason = problems
        .into_result(reason)
        .map_err(ConsoleError::Invalid)?
        .unwrap_or_default();
    let number = order_number(&path)?;
    let outcome = console
        .services
        .top_up_payments
        .refund_by_admin(&number, &operator.act(), &reason)
        .await?;
    let flash = refund_message(&outcome);
    OrderBody::load(&console, &operator, &path, false, Some(flash))
        .await?
        .answer(&request, &operator)
}

/// What the gateway said about the refund, for the operator.
fn refund_message(outcome: &RefundOutcome) -> String {
    match outcome {
        RefundOutcome::Refunded => "已退款 Refunded: the money is back with the payer".to_owned(),
        RefundOutcome::InProgress => {
            "退款处理中 Refund in progress: WeChat accepted it; it is checked again until done"
                .to_owned()
        }
        RefundOutcome::Failed(message) => {
            format!("退款失败 Refund failed: {}", scrub_phone_numbers(message))
        }
    }
}

pub async fn sync_payment(
    console: web::Data<Console>,
    operator: Operator,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    operator.require(Permission::SyncPayments)?;
    let number = order_number(&path)?;
    // A number that names no order is not asked about (nor audited).
    console.services.order_queries.find(&number).await?;
    let handled = console
        .services
        .top_up_payments
        .sync_payment(&number, &operator.act())
        .await?;
    let flash = sync_message(handled.as_ref());
    OrderBody::load(&console, &operator, &path, false, Some(flash))
        .await?
        .answer(&request, &operator)
}

/// What WeChat said about the payment.
fn sync_message(handled: Option<&NotificationHandled>) -> String {
    match handled {
        None => "已向微信查询：未找到付款 Asked WeChat: no payment found".to_owned(),
        Some(handled) => {
            let mut message = format!(
                "已向微信查询：找到付款 Asked WeChat: payment found ({})",
                handled.outcome.as_str()
            );
            if let Some(reason) = &handled.reason {
                message.push_str(": ");
                message.push_str(&scrub_phone_numbers(reason));
            }
            message
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle(
        resolution: Option<&str>,
        reason: Option<&str>,
    ) -> Result<(Resolution, String), ConsoleError> {
        SettleForm {
            resolution: resolution.map(str::to_owned),
            reason: reason.map(str::to_owned),
        }
        .parse()
    }

    #[test]
    fn a_settlement_needs_a_resolution_and_a_reason() {
        let (resolution, reason) = settle(Some("failed"), Some("  Unitel: not credited ")).unwrap();
        assert_eq!(resolution, Resolution::Failed);
        assert_eq!(reason, "Unitel: not credited");
        let Err(ConsoleError::Invalid(message)) = settle(Some(""), Some("   ")) else {
            panic!("blank input accepted");
        };
        assert!(
            message.contains("resolution should not be empty"),
            "{message}"
        );
        assert!(message.contains("reason should not be empty"), "{message}");
        let Err(ConsoleError::Invalid(message)) = settle(Some("maybe"), Some("x")) else {
            panic!("an unknown resolution accepted");
        };
        assert!(message.contains("succeeded or failed"), "{message}");
    }

    #[test]
    fn refund_outcomes_are_told_apart() {
        assert!(refund_message(&RefundOutcome::Refunded).starts_with("已退款"));
        assert!(refund_message(&RefundOutcome::InProgress).contains("in progress"));
        let failed = refund_message(&RefundOutcome::Failed("NOTENOUGH 88112233".to_owned()));
        assert!(failed.contains("NOTENOUGH") && !failed.contains("88112233"));
    }
}
