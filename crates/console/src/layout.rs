//! What every page around its content shows: who is logged in and the pages their role may
//! open. A page their role may not open is not linked (and refuses if opened anyway).

use elife_domain::accounts::permissions::Permission;

use crate::paths;
use crate::session::Operator;

/// The console's sections, in the order of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Orders,
    Notifications,
    ExchangeRate,
    Points,
    Admins,
    Audit,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Dashboard,
        Section::Orders,
        Section::Notifications,
        Section::ExchangeRate,
        Section::Points,
        Section::Admins,
        Section::Audit,
    ];

    pub fn href(self) -> &'static str {
        match self {
            Section::Dashboard => paths::HOME,
            Section::Orders => "/console/orders",
            Section::Notifications => "/console/notifications",
            Section::ExchangeRate => "/console/exchange-rate",
            Section::Points => "/console/points",
            Section::Admins => "/console/admins",
            Section::Audit => "/console/audit",
        }
    }

    /// Chinese first, English after.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Section::Dashboard => ("概览", "Dashboard"),
            Section::Orders => ("订单", "Orders"),
            Section::Notifications => ("支付通知", "Notifications"),
            Section::ExchangeRate => ("汇率", "Exchange rate"),
            Section::Points => ("积分", "Points"),
            Section::Admins => ("管理员", "Admins"),
            Section::Audit => ("审计日志", "Audit log"),
        }
    }

    /// What a role needs to open the section; `None`: every admin.
    pub fn permission(self) -> Option<Permission> {
        match self {
            Section::Dashboard => Some(Permission::ViewStatistics),
            Section::Orders | Section::Notifications => Some(Permission::ViewOrders),
            Section::ExchangeRate => None,
            Section::Points => Some(Permission::ViewPoints),
            Section::Admins => Some(Permission::ManageAdmins),
            Section::Audit => Some(Permission::ViewAudit),
        }
    }
}

pub struct NavItem {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub active: bool,
}

/// The frame of a page: the operator and the menu.
pub struct Chrome {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub nav: Vec<NavItem>,
    pub assets: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
}

impl Chrome {
    pub fn new(operator: &Operator, current: Section) -> Self {
        let nav = Section::ALL
            .into_iter()
            .filter(|section| section.permission().is_none_or(|p| operator.may(p)))
            .map(|section| {
                let (zh, en) = section.label();
                NavItem {
                    href: section.href(),
                    zh,
                    en,
                    active: section == current,
                }
            })
            .collect();
        let (title_zh, title_en) = current.label();
        Chrome {
            username: operator.account.username.clone(),
            display_name: operator.account.display_name.clone(),
            role: operator.account.role.to_string(),
            nav,
            assets: paths::ASSETS,
            title_zh,
            title_en,
        }
    }
}
