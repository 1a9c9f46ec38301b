//! The audit trail: who changed what, when, why, and the state before and after.
//!
//! An entry travels with the change it records (on a [`crate::order::Transition`], as the
//! `audit` argument of [`crate::ports::ExchangeRateRepository::set`] and of the admin
//! repository's writes), so the repository writes both in one transaction: a change without
//! its row, or a row without its change, cannot be committed. Actions that change nothing
//! (a payment sync that found nothing new, revealing a phone number) are recorded alone
//! through [`AuditLog::record`].

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::admins::{AdminAccount, AdminId, Role};
use crate::order::{Actor, OrderState};
use crate::ports::{Page, PageRequest, RepositoryError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    OrderResolve,
    OrderRefund,
    PaymentSync,
    PhoneReveal,
    ExchangeRateChange,
    AdminCreate,
    AdminUpdate,
    AdminPasswordReset,
    /// A stored payment notification processed again.
    NotificationRetry,
    /// A person's correction of a points balance.
    PointsAdjust,
    /// A points order refunded (in part or in full) by a person.
    PointsRefund,
    /// A points package created, changed, deactivated or deleted.
    PackageChange,
    /// A mall category created, renamed, moved, reordered, enabled or disabled.
    CategoryChange,
    /// A mall product created, published, unpublished, archived or deleted.
    ProductChange,
    /// A person's correction of a SKU's stock (an inbound movement of the stock ledger).
    StockAdjust,
    /// A mall order shipped by the merchant.
    MallOrderShip,
    /// An unpaid mall order cancelled by the merchant.
    MallOrderCancel,
    /// An after-sale approved, rejected or its goods received back by the merchant.
    AfterSaleDecide,
    /// An after-sale's refund started by a person.
    AfterSaleRefund,
}

impl AuditAction {
    pub const ALL: [AuditAction; 19] = [
        AuditAction::OrderResolve,
        AuditAction::OrderRefund,
        AuditAction::PaymentSync,
        AuditAction::PhoneReveal,
        AuditAction::ExchangeRateChange,
        AuditAction::AdminCreate,
        AuditAction::AdminUpdate,
        AuditAction::AdminPasswordReset,
        AuditAction::NotificationRetry,
        AuditAction::PointsAdjust,
        AuditAction::PointsRefund,
        AuditAction::PackageChange,
        AuditAction::CategoryChange,
        AuditAction::ProductChange,
        AuditAction::StockAdjust,
        AuditAction::MallOrderShip,
        AuditAction::MallOrderCancel,
        AuditAction::AfterSaleDecide,
        AuditAction::AfterSaleRefund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::OrderResolve => "order.resolve",
            AuditAction::OrderRefund => "order.refund",
            AuditAction::PaymentSync => "order.sync_payment",
            AuditAction::PhoneReveal => "order.reveal_phone",
            AuditAction::ExchangeRateChange => "exchange_rate.change",
            AuditAction::AdminCreate => "admin.create",
            AuditAction::AdminUpdate => "admin.update",
            AuditAction::AdminPasswordReset => "admin.reset_password",
            AuditAction::NotificationRetry => "notification.retry",
            AuditAction::PointsAdjust => "points.adjust",
            AuditAction::PointsRefund => "points_order.refund",
            AuditAction::PackageChange => "points_package.change",
            AuditAction::CategoryChange => "mall_category.change",
            AuditAction::ProductChange => "mall_product.change",
            AuditAction::StockAdjust => "mall_sku.adjust_stock",
            AuditAction::MallOrderShip => "mall_order.ship",
            AuditAction::MallOrderCancel => "mall_order.cancel",
            AuditAction::AfterSaleDecide => "after_sale.decide",
            AuditAction::AfterSaleRefund => "after_sale.refund",
        }
    }

    /// What kind of thing the action targets.
    pub fn target_type(self) -> AuditTargetType {
        match self {
            AuditAction::OrderResolve
            | AuditAction::OrderRefund
            | AuditAction::PaymentSync
            | AuditAction::PhoneReveal => AuditTargetType::Order,
            AuditAction::ExchangeRateChange => AuditTargetType::ExchangeRate,
            AuditAction::AdminCreate
            | AuditAction::AdminUpdate
            | AuditAction::AdminPasswordReset => AuditTargetType::Admin,
            AuditAction::NotificationRetry => AuditTargetType::Notification,
            AuditAction::PointsAdjust => AuditTargetType::PointsAccount,
            AuditAction::PointsRefund => AuditTargetType::PointsOrder,
            AuditAction::PackageChange => AuditTargetType::PointsPackage,
            AuditAction::CategoryChange => AuditTargetType::MallCategory,
            AuditAction::ProductChange => AuditTargetType::MallProduct,
            AuditAction::StockAdjust => AuditTargetType::MallSku,
            AuditAction::MallOrderShip | AuditAction::MallOrderCancel => AuditTargetType::MallOrder,
            AuditAction::AfterSaleDecide | AuditAction::AfterSaleRefund => {
                AuditTargetType::AfterSale
            }
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit {kind} {value:?}")]
pub struct UnknownAuditName {
    pub kind: &'static str,
    pub value: String,
}

impl FromStr for AuditAction {
    type Err = UnknownAuditName;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == raw)
            .ok_or_else(|| UnknownAuditName {
                kind: "action",
                value: raw.to_owned(),
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditTargetType {
    Order,
    ExchangeRate,
    Admin,
    Notification,
    PointsAccount,
    PointsOrder,
    PointsPackage,
    MallCategory,
    MallProduct,
    MallSku,
    MallOrder,
    AfterSale,
}

impl AuditTargetType {
    pub const ALL: [AuditTargetType; 12] = [
        AuditTargetType::Order,
        AuditTargetType::ExchangeRate,
        AuditTargetType::Admin,
        AuditTargetType::Notification,
        AuditTargetType::PointsAccount,
        AuditTargetType::PointsOrder,
        AuditTargetType::PointsPackage,
        AuditTargetType::MallCategory,
        AuditTargetType::MallProduct,
        AuditTargetType::MallSku,
        AuditTargetType::MallOrder,
        AuditTargetType::AfterSale,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditTargetType::Order => "order",
            AuditTargetType::ExchangeRate => "exchange_rate",
            AuditTargetType::Admin => "admin",
            AuditTargetType::Notification => "notification",
            AuditTargetType::PointsAccount => "points_account",
            AuditTargetType::PointsOrder => "points_order",
            AuditTargetType::PointsPackage => "points_package",
            AuditTargetType::MallCategory => "mall_category",
            AuditTargetType::MallProduct => "mall_product",
            AuditTargetType::MallSku => "mall_sku",
            AuditTargetType::MallOrder => "mall_order",
            AuditTargetType::AfterSale => "after_sale",
        }
    }
}

impl fmt::Display for AuditTargetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditTargetType {
    type Err = UnknownAuditName;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        AuditTargetType::ALL
            .into_iter()
            .find(|target| target.as_str() == raw)
            .ok_or_else(|| UnknownAuditName {
                kind: "target type",
                value: raw.to_owned(),
            })
    }
}

/// Who acted: an account, or one of the pseudo-admins without an account (`break-glass`,
/// the `cli`), which act as super admins.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuditActor {
    pub admin_id: Option<AdminId>,
    pub username: String,
    pub role: Role,
}

impl AuditActor {
    /// The `ADMIN_TOKEN` credential.
    pub const BREAK_GLASS: &'static str = "break-glass";
    /// The `elife` command line, run by whoever holds the server's configuration.
    pub const CLI: &'static str = "cli";

    pub fn of(account: &AdminAccount) -> Self {
        AuditActor {
            admin_id: Some(account.id),
            username: account.username.clone(),
            role: account.role,
        }
    }

    pub fn break_glass() -> Self {
        AuditActor {
            admin_id: None,
            username: Self::BREAK_GLASS.to_owned(),
            role: Role::SuperAdmin,
        }
    }

    pub fn cli() -> Self {
        AuditActor {
            admin_id: None,
            username: Self::CLI.to_owned(),
            role: Role::SuperAdmin,
        }
    }
}

/// One row of the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub actor: AuditActor,
    pub action: AuditAction,
    pub target_type: AuditTargetType,
    pub target_id: String,
    pub reason: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The HTTP request that made the change (`x-request-id`), when there was one.
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    pub entry: AuditEntry,
}

/// Filters of `GET /admin/audit`; every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The actor's username.
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    pub target_type: Option<AuditTargetType>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub before: Option<DateTime<Utc>>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Records an action that changed nothing else (written alone).
    async fn record(&self, entry: &AuditEntry) -> Result<i64, RepositoryError>;

    /// Newest first.
    async fn list(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, RepositoryError>;
}

/// An admin acting through a request (or the CLI): who, and which request, for the audit
/// rows of what they change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAct {
    pub actor: AuditActor,
    pub request_id: Option<String>,
}

impl AdminAct {
    pub fn new(actor: AuditActor, request_id: Option<String>) -> Self {
        AdminAct { actor, request_id }
    }

    /// The actor of the order history: the admin by username, as before accounts existed.
    pub fn order_actor(&self) -> Actor {
        Actor::Admin(self.actor.username.clone())
    }

    /// An entry by this admin, at `at`.
    pub fn entry(
        &self,
        action: AuditAction,
        target_id: impl Into<String>,
        reason: Option<&str>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
        at: DateTime<Utc>,
    ) -> AuditEntry {
        AuditEntry {
            actor: self.actor.clone(),
            action,
            target_type: action.target_type(),
            target_id: target_id.into(),
            reason: reason
                .map(str::trim)
                .filter(|reason| !reason.is_empty())
                .map(str::to_owned),
            before,
            after,
            request_id: self.request_id.clone(),
            at,
        }
    }
}

/// An order's state as the trail keeps it: `{"paymentStatus": .., "rechargeStatus": ..}`.
pub fn order_state_view(state: OrderState) -> serde_json::Value {
    serde_json::json!({
        "paymentStatus": state.payment.as_str(),
        "rechargeStatus": state.recharge.as_str(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_targets_round_trip_through_their_names() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
        }
        for target in AuditTargetType::ALL {
            assert_eq!(target.as_str().parse::<AuditTargetType>(), Ok(target));
        }
        assert!("order.delete".parse::<AuditAction>().is_err());
    }

    #[test]
    fn an_entry_names_its_actor_target_and_request() {
        let act = AdminAct::new(AuditActor::break_glass(), Some("req-1".to_owned()));
        assert_eq!(act.order_actor(), Actor::Admin("break-glass".to_owned()));
        let entry = act.entry(
            AuditAction::ExchangeRateChange,
            "MNT_TO_CNY",
            Some("  "),
            None,
            None,
            crate::testing::t0(),
        );
        assert_eq!(entry.target_type, AuditTargetType::ExchangeRate);
        assert_eq!(entry.reason, None);
        assert_eq!(entry.request_id.as_deref(), Some("req-1"));
        assert_eq!(entry.actor.role, Role::SuperAdmin);
    }
}
