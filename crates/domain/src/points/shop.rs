//! Selling points packages through the payments core: an order per purchase, its payment,
//! cancellation and refund. No payment, callback, expiry, refund or reconciliation logic
//! lives here: the core does all of it and tells [`PointsFulfilment`].

use std::sync::Arc;

use chrono::Duration;

use crate::accounts::audit::{AdminAct, AuditAction};
use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::payments::{
    GoodsKind, PayMethod, PayOrderDraft, PayStatus, PaymentService, PaymentStart, RefundCommand,
    RefundOutcome, RefundService,
};
use crate::ports::{Clock, IdGenerator, Page, PageRequest};
use crate::services::ServiceError;

use super::ledger::{EntryKind, PostOutcome, Reference};
use super::orders::{PointsOrder, PointsOrderFilter, PointsOrderRepository, PointsOrderStatus};
use super::packages::{Package, PackageRepository};
use super::service::PointsService;

/// The reference of the points a refund takes back: the refunded total it brings the
/// order to, so each step of a refund posts once.
pub(super) fn refund_reference(order: &OrderNumber, refunded_after: Fen) -> Reference {
    Reference::new(
        "points_refund",
        format!("{order}:{}", refunded_after.value()),
    )
}

pub(super) fn purchase_reference(order: &OrderNumber) -> Reference {
    Reference::new("points_order", order.as_str())
}

pub struct PointsShop {
    pub(super) packages: Arc<dyn PackageRepository>,
    pub(super) orders: Arc<dyn PointsOrderRepository>,
    pub(super) points: Arc<PointsService>,
    pub(super) payments: Arc<PaymentService>,
    pub(super) refunds: Arc<RefundService>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) ids: Arc<dyn IdGenerator>,
    /// How long an order may be paid.
    pub(super) window: Duration,
}

impl PointsShop {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        packages: Arc<dyn PackageRepository>,
        orders: Arc<dyn PointsOrderRepository>,
        points: Arc<PointsService>,
        payments: Arc<PaymentService>,
        refunds: Arc<RefundService>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        window: Duration,
    ) -> Self {
        PointsShop {
            packages,
            orders,
            points,
            payments,
            refunds,
            clock,
            ids,
            window,
        }
    }

    /// The active packages, by sort order.
    pub async fn packages(&self) -> Result<Vec<Package>, ServiceError> {
        Ok(self.packages.list(true).await?)
    }

    /// An active package.
    pub async fn package(&self, id: i64) -> Result<Package, ServiceError> {
        match self.packages.find(id).await? {
            Some(package) if package.active => Ok(package),
            Some(_) | None => Err(ServiceError::NotFound(format!("package {id} not found"))),
        }
    }

    /// Buys a package: the order (a snapshot of the package), its pay order, and what the
    /// client needs to pay.
    pub async fn buy(
        &self,
        user: &OpenId,
        package_id: i64,
        method: PayMethod,
        client_ip: &str,
    ) -> Result<(PointsOrder, PaymentStart), ServiceError> {
        let package = self.package(package_id).await?;
        self.payments.check_method(method)?;
        let now = self.clock.now();
        let order = PointsOrder {
            order_no: self.ids.order_number(now),
            user: user.clone(),
            package_id: package.id,
            package_name: package.name.clone(),
            amount: package.amount,
            points: package.points,
            bonus_points: package.bonus_points,
            status: PointsOrderStatus::Pending,
            transaction_id: None,
            paid_at: None,
            refunded: Fen::ZERO,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        self.orders.insert(&order).await?;
        let draft = PayOrderDraft {
            out_trade_no: order.order_no.clone(),
            kind: GoodsKind::Points,
            merchant_order_no: order.order_no.to_string(),
            amount: order.amount,
            payer: user.clone(),
            description: format!("积分套餐 {}", package.name),
            time_expire: now + self.window,
        };
        self.payments.open(draft).await?;
        let start = self
            .payments
            .begin(&order.order_no, method, client_ip)
            .await?;
        Ok((order, start))
    }

    /// The buyer's order; someone else's reads as not found.
    pub async fn order_of(
        &self,
        user: &OpenId,
        order_no: &str,
    ) -> Result<PointsOrder, ServiceError> {
        let not_found = || ServiceError::NotFound(format!("order {order_no} not found"));
        let number = OrderNumber::parse(order_no).map_err(|_| not_found())?;
        match self.orders.find(&number).await? {
            Some(order) if &order.user == user => Ok(order),
            Some(_) | None => Err(not_found()),
        }
    }

    pub async fn orders(
        &self,
        filter: &PointsOrderFilter,
        page: PageRequest,
    ) -> Result<Page<PointsOrder>, ServiceError> {
        if page.page == 0 || page.limit == 0 || page.limit > PageRequest::MAX_LIMIT {
            return Err(ServiceError::Validation(format!(
                "page must be at least 1 and limit between 1 and {}",
                PageRequest::MAX_LIMIT
            )));
        }
        Ok(self.orders.list(filter, page).await?)
    }

    pub async fn order(&self, order_no: &OrderNumber) -> Result<PointsOrder, ServiceError> {
        self.orders
            .find(order_no)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order {order_no} not found")))
    }

    /// The buyer cancels an unpaid order: the core closes the payment at WeChat first; a
    /// payment that landed meanwhile is recorded (and the order is paid, not cancelled).
    pub async fn cancel(&self, user: &OpenId, order_no: &str) -> Result<PointsOrder, ServiceError> {
        let order = self.order_of(user, order_no).await?;
        match order.status {
            PointsOrderStatus::Pending => {}
            PointsOrderStatus::Paid
            | PointsOrderStatus::Closed
            | PointsOrderStatus::PartlyRefunded
            | PointsOrderStatus::Refunded => {
                return Err(ServiceError::Conflict(format!(
                    "order {} is {}: only an unpaid order can be cancelled",
                    order.order_no, order.status
                )));
            }
        }
        let status = match self.payments.cancel(&order.order_no).await {
            Ok(status) => status,
            // WeChat refuses to close a payment in its first minutes (Cloud Hosting: five);
            // nothing changed, the buyer may try again.
            Err(ServiceError::Upstream(message)) => {
                return Err(ServiceError::Conflict(format!(
                    "WeChat did not close the payment of order {} yet ({message}): try again in a few minutes",
                    order.order_no
                )));
            }
            Err(error) => return Err(error),
        };
        match status {
            PayStatus::Closed => {}
            PayStatus::Paid
            | PayStatus::Refunding
            | PayStatus::Refunded
            | PayStatus::RefundFailed => {
                return Err(ServiceError::Conflict(format!(
                    "order {} was paid meanwhile: it cannot be cancelled",
                    order.order_no
                )));
            }
            PayStatus::Unpaid => {
                return Err(ServiceError::Conflict(format!(
                    "the payment of order {} is in progress at WeChat: try again in a minute",
                    order.order_no
                )));
            }
        }
        self.order(&order.order_no).await
    }

    /// A person refunds `amount` (all that remains when `None`) of a paid order: the
    /// points it granted are taken back in proportion first, and only if the user still
    /// has them; then the core gives the money back.
    pub async fn refund(
        &self,
        order_no: &OrderNumber,
        amount: Option<Fen>,
        reason: &str,
        act: &AdminAct,
    ) -> Result<RefundOutcome, ServiceError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::Validation("a reason is required".to_owned()));
        }
        let order = self.order(order_no).await?;
        match order.status {
            PointsOrderStatus::Paid | PointsOrderStatus::PartlyRefunded => {}
            PointsOrderStatus::Pending
            | PointsOrderStatus::Closed
            | PointsOrderStatus::Refunded => {
                return Err(ServiceError::Conflict(format!(
                    "order {} is {}: only a paid order can be refunded",
                    order.order_no, order.status
                )));
            }
        }
        let pay_order = self
            .payments
            .find(order_no)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("payment {order_no} not found")))?;
        let before = pay_order.refunded;
        let amount = amount.unwrap_or_else(|| pay_order.refundable());
        if amount.value() <= 0 || amount.value() > pay_order.refundable().value() {
            return Err(ServiceError::Validation(format!(
                "a refund must be between 1 fen and the {} that remains",
                pay_order.refundable()
            )));
        }
        let after = Fen::new(before.value() + amount.value());
        let take_back = order.points_taken_back(after) - order.points_taken_back(before);
        let reference = refund_reference(order_no, after);
        if take_back > 0 {
            let note = format!("refund of {amount} on order {order_no}: {reason}");
            match self
                .points
                .post(
                    &order.user,
                    EntryKind::RefundReversal,
                    reference.clone(),
                    -take_back,
                    &note,
                )
                .await?
            {
                PostOutcome::Posted(_) => {}
                PostOutcome::AlreadyPosted(_) => {
                    return Err(ServiceError::Conflict(format!(
                        "a refund of order {order_no} is in progress"
                    )));
                }
                PostOutcome::Insufficient { balance } => {
                    return Err(ServiceError::Conflict(format!(
                        "the user has {balance} points left; this refund would take back {take_back}: refund less, or adjust the points first"
                    )));
                }
            }
        }
        let now = self.clock.now();
        let entry = act.entry(
            AuditAction::PointsRefund,
            order_no.as_str(),
            Some(reason),
            Some(serde_json::json!({ "refunded": before.value() })),
            Some(serde_json::json!({ "refunded": after.value(), "pointsTakenBack": take_back })),
            now,
        );
        let refunded = self
            .refunds
            .refund(RefundCommand {
                out_trade_no: order_no.clone(),
                amount: Some(amount),
                reason: reason.to_owned(),
                audit: Some(entry),
            })
            .await;
        if let Err(error) = &refunded
            && take_back > 0
        {
            // Nothing left the merchant account: the points go back.
            self.give_back(&order, after, take_back, &error.to_string())
                .await;
        }
        refunded
    }

    /// Gives back the points a refund took, when the refund did not happen.
    pub(super) async fn give_back(
        &self,
        order: &PointsOrder,
        after: Fen,
        take_back: i64,
        why: &str,
    ) {
        let reference = Reference::new(
            "points_refund_undone",
            format!("{}:{}", order.order_no, after.value()),
        );
        let note = format!("refund of order {} did not happen: {why}", order.order_no);
        if let Err(error) = self
            .points
            .post(
                &order.user,
                EntryKind::RefundReversal,
                reference,
                take_back,
                &note,
            )
            .await
        {
            tracing::error!(order = %order.order_no, %error, "points of a failed refund not given back yet");
        }
    }
}
