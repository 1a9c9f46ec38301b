//! What a person does to an order: settle an `unknown`/`failed` top-up, refund, ask WeChat
//! about the payment. Each checks the permission, validates as the API does, calls the
//! same use case (which checks the permission and the order's state again and audits), and
//! answers the order as it is now with what happened on top.

use actix_web::{HttpResponse, web};
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::Resolution;
use elife_domain::payments::{NotificationHandled, RefundOutcome};
use elife_domain::privacy::scrub_phone_numbers;
use serde::Deserialize;

use super::detail::after_action;
use crate::error::ConsoleError;
use crate::pages::context::Context;
use crate::pages::forms::{Problems, order_number};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettleForm {
    /// `succeeded` or `failed`.
    pub resolution: String,
    pub reason: String,
}

impl SettleForm {
    /// The resolution and reason, or every problem (the API's messages).
    fn parse(&self) -> Result<(Resolution, String), ConsoleError> {
        let mut problems = Problems::default();
        let resolution = problems
            .required("resolution", &self.resolution)
            .and_then(|raw| {
                problems.optional(&raw, |raw| {
                    raw.parse::<Resolution>()
                        .map_err(|_| "resolution must be succeeded or failed")
                })
            });
        let reason = problems.required("reason", &self.reason);
        problems.into_value(resolution.zip(reason))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    pub reason: String,
}

pub async fn settle(
    cx: Context,
    path: web::Path<String>,
    // A post without a form body is an empty form (and told so), not a 415.
    form: Option<web::Form<SettleForm>>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ResolveTopUps)?;
    let (resolution, reason) = form
        .map(web::Form::into_inner)
        .unwrap_or_default()
        .parse()?;
    let number = order_number(&path)?;
    let order = cx
        .services()
        .recharge
        .resolve_by_admin(&number, resolution, &cx.operator.act(), &reason)
        .await?;
    let flash = format!(
        "已确认充值结果 Settled as {}: the top-up is now {}",
        resolution.as_str(),
        order.recharge_status
    );
    after_action(&cx, &path, flash).await
}

pub async fn refund(
    cx: Context,
    path: web::Path<String>,
    form: Option<web::Form<ReasonForm>>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::RefundOrders)?;
    let form = form.map(web::Form::into_inner).unwrap_or_default();
    let mut problems = Problems::default();
    let reason = problems.required("reason", &form.reason);
    let reason = problems.into_value(reason)?;
    let number = order_number(&path)?;
    let outcome = cx
        .services()
        .top_up_payments
        .refund_by_admin(&number, &cx.operator.act(), &reason)
        .await?;
    after_action(&cx, &path, refund_message(&outcome)).await
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
    cx: Context,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::SyncPayments)?;
    let number = order_number(&path)?;
    let services = cx.services();
    // A number that names no order is not asked about (nor audited).
    services.order_queries.find(&number).await?;
    let handled = services
        .top_up_payments
        .sync_payment(&number, &cx.operator.act())
        .await?;
    after_action(&cx, &path, sync_message(handled.as_ref())).await
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
            resolution: resolution.unwrap_or_default().to_owned(),
            reason: reason.unwrap_or_default().to_owned(),
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
