//! What each role may do: one table, [`allows`], consulted by every admin route and use case.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::admins::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Orders, their history and the payment callback log.
    ViewOrders,
    ViewStatistics,
    ViewAudit,
    /// Decide an `unknown` or `failed` top-up by hand.
    ResolveTopUps,
    /// Ask WeChat Pay about an order's payment.
    SyncPayments,
    RefundOrders,
    ChangeExchangeRate,
    /// See a customer's full phone number (audited).
    RevealPhoneNumbers,
    /// Create, change, disable admins and reset their passwords.
    ManageAdmins,
    /// Points packages, points orders, users' points accounts and the shop's figures.
    ViewPoints,
    /// Change points packages and adjust a user's points (audited).
    ManagePoints,
    /// The mall's catalog, orders, after-sales, reviews and figures.
    ViewMall,
    /// Ship mall orders, receive returned goods, approve or reject after-sales.
    FulfilMallOrders,
    /// Products, categories, stock adjustments (audited), freight templates, logistics
    /// companies, replies to reviews.
    ManageCatalog,
}

impl Permission {
    pub const ALL: [Permission; 14] = [
        Permission::ViewOrders,
        Permission::ViewStatistics,
        Permission::ViewAudit,
        Permission::ResolveTopUps,
        Permission::SyncPayments,
        Permission::RefundOrders,
        Permission::ChangeExchangeRate,
        Permission::RevealPhoneNumbers,
        Permission::ManageAdmins,
        Permission::ViewPoints,
        Permission::ManagePoints,
        Permission::ViewMall,
        Permission::FulfilMallOrders,
        Permission::ManageCatalog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewOrders => "view_orders",
            Permission::ViewStatistics => "view_statistics",
            Permission::ViewAudit => "view_audit",
            Permission::ResolveTopUps => "resolve_top_ups",
            Permission::SyncPayments => "sync_payments",
            Permission::RefundOrders => "refund_orders",
            Permission::ChangeExchangeRate => "change_exchange_rate",
            Permission::RevealPhoneNumbers => "reveal_phone_numbers",
            Permission::ManageAdmins => "manage_admins",
            Permission::ViewPoints => "view_points",
            Permission::ManagePoints => "manage_points",
            Permission::ViewMall => "view_mall",
            Permission::FulfilMallOrders => "fulfil_mall_orders",
            Permission::ManageCatalog => "manage_catalog",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {0:?}")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|permission| permission.as_str() == raw)
            .ok_or_else(|| UnknownPermission(raw.to_owned()))
    }
}

/// The permission table. Viewers read; operators also resolve top-ups and sync payments;
/// admins also refund, change the exchange rate, reveal full phone numbers and manage points
/// (packages, adjustments) and the catalog; operators also ship and handle after-sales;
/// super admins also manage admins. Every arm names every role, so a new role or permission must be
/// placed here explicitly.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Role::{Admin, Operator, SuperAdmin, Viewer};
    match permission {
        Permission::ViewOrders
        | Permission::ViewStatistics
        | Permission::ViewAudit
        | Permission::ViewPoints
        | Permission::ViewMall => match role {
            SuperAdmin | Admin | Operator | Viewer => true,
        },
        Permission::ResolveTopUps | Permission::SyncPayments | Permission::FulfilMallOrders => {
            match role {
                SuperAdmin | Admin | Operator => true,
                Viewer => false,
            }
        }
        Permission::RefundOrders
        | Permission::ChangeExchangeRate
        | Permission::RevealPhoneNumbers
        | Permission::ManagePoints
        | Permission::ManageCatalog => match role {
            SuperAdmin | Admin => true,
            Operator | Viewer => false,
        },
        Permission::ManageAdmins => match role {
            SuperAdmin => true,
            Admin | Operator | Viewer => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_the_powers_of_the_roles_below_it() {
        let rank = |role: Role| Role::ALL.iter().rev().position(|r| *r == role);
        for permission in Permission::ALL {
            for higher in Role::ALL {
                for lower in Role::ALL {
                    if rank(higher) > rank(lower) && allows(lower, permission) {
                        assert!(allows(higher, permission), "{higher} lacks {permission}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_table_reads_as_the_policy_says() {
        let granted = |role| {
            Permission::ALL
                .into_iter()
                .filter(|permission| allows(role, *permission))
                .count()
        };
        assert_eq!(granted(Role::Viewer), 5);
        assert_eq!(granted(Role::Operator), 8);
        assert_eq!(granted(Role::Admin), 13);
        assert_eq!(granted(Role::SuperAdmin), 14);
        assert!(!allows(Role::Operator, Permission::RefundOrders));
        assert!(allows(Role::Operator, Permission::SyncPayments));
        assert!(!allows(Role::Admin, Permission::ManageAdmins));
        assert!(allows(Role::Admin, Permission::RevealPhoneNumbers));
        assert!(allows(Role::Viewer, Permission::ViewPoints));
        assert!(!allows(Role::Operator, Permission::ManagePoints));
        assert!(allows(Role::Admin, Permission::ManagePoints));
    }

    #[test]
    fn permissions_round_trip_through_their_names() {
        for permission in Permission::ALL {
            assert_eq!(permission.as_str().parse::<Permission>(), Ok(permission));
        }
    }
}
