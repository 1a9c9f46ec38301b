//! Every back-office route and what it requires: one table, read by the documentation and
//! by the API test that calls every route as every role (and fails on a route of the
//! OpenAPI document missing here, so a new route cannot be forgotten).
//!
//! Each handler enforces its entry through its `Authorized<perm::X>` argument.

use elife_domain::accounts::permissions::Permission;

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAccess {
    /// Open to anyone: logging in, refreshing, logging out (the body or token is the proof).
    Public,
    /// An admin (access token or break-glass) whose role has this permission.
    Requires(Permission),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminRoute {
    /// Upper case, as in HTTP.
    pub method: &'static str,
    /// As in the OpenAPI document (`{name}` for path parameters).
    pub path: &'static str,
    pub access: RouteAccess,
}

const fn route(method: &'static str, path: &'static str, permission: Permission) -> AdminRoute {
    AdminRoute {
        method,
        path,
        access: RouteAccess::Requires(permission),
    }
}

const fn public(method: &'static str, path: &'static str) -> AdminRoute {
    AdminRoute {
        method,
        path,
        access: RouteAccess::Public,
    }
}

pub const ADMIN_ROUTES: &[AdminRoute] = &[
    public("POST", "/admin/auth/login"),
    public("POST", "/admin/auth/refresh"),
    public("POST", "/admin/auth/logout"),
    route("GET", "/statistics", Permission::ViewStatistics),
    route("GET", "/statistics/users", Permission::ViewStatistics),
    route("GET", "/statistics/orders", Permission::ViewStatistics),
    route("GET", "/statistics/revenue", Permission::ViewStatistics),
    route("GET", "/admin/orders", Permission::ViewOrders),
    route("GET", "/admin/orders/{orderNumber}", Permission::ViewOrders),
    route(
        "POST",
        "/admin/orders/{orderNumber}/resolve",
        Permission::ResolveTopUps,
    ),
    route(
        "POST",
        "/admin/orders/{orderNumber}/refund",
        Permission::RefundOrders,
    ),
    route(
        "POST",
        "/admin/orders/{orderNumber}/sync-payment",
        Permission::SyncPayments,
    ),
    route(
        "PUT",
        "/admin/exchange-rate",
        Permission::ChangeExchangeRate,
    ),
    route("GET", "/admin/notifications", Permission::ViewOrders),
    route(
        "POST",
        "/admin/notifications/{id}/retry",
        Permission::SyncPayments,
    ),
    route("GET", "/admin/notifications/stats", Permission::ViewOrders),
    route(
        "GET",
        "/admin/notifications/statistics",
        Permission::ViewOrders,
    ),
    route("GET", "/admin/audit", Permission::ViewAudit),
    route("GET", "/admin/admins", Permission::ManageAdmins),
    route("POST", "/admin/admins", Permission::ManageAdmins),
    route("PATCH", "/admin/admins/{id}", Permission::ManageAdmins),
    route(
        "POST",
        "/admin/admins/{id}/reset-password",
        Permission::ManageAdmins,
    ),
    route("GET", "/admin/points/packages", Permission::ViewPoints),
    route("POST", "/admin/points/packages", Permission::ManagePoints),
    route(
        "PUT",
        "/admin/points/packages/{id}",
        Permission::ManagePoints,
    ),
    route(
        "DELETE",
        "/admin/points/packages/{id}",
        Permission::ManagePoints,
    ),
    route("GET", "/admin/points/orders", Permission::ViewPoints),
    route(
        "GET",
        "/admin/points/orders/{orderNo}",
        Permission::ViewPoints,
    ),
    route(
        "POST",
        "/admin/points/orders/{orderNo}/refund",
        Permission::RefundOrders,
    ),
    route(
        "GET",
        "/admin/points/accounts/{openid}",
        Permission::ViewPoints,
    ),
    route(
        "POST",
        "/admin/points/accounts/{openid}/adjust",
        Permission::ManagePoints,
    ),
    route("GET", "/admin/points/statistics", Permission::ViewPoints),
    // admin-mall (H5): catalog, stock, orders, after-sales
    route("GET", "/admin/mall/categories", Permission::ViewMall),
    route("POST", "/admin/mall/categories", Permission::ManageCatalog),
    route(
        "POST",
        "/admin/mall/categories/reorder",
        Permission::ManageCatalog,
    ),
    route(
        "PUT",
        "/admin/mall/categories/{id}",
        Permission::ManageCatalog,
    ),
    route(
        "POST",
        "/admin/mall/categories/{id}/move",
        Permission::ManageCatalog,
    ),
    route("GET", "/admin/mall/products", Permission::ViewMall),
    route("GET", "/admin/mall/products/{id}", Permission::ViewMall),
    route("POST", "/admin/mall/products", Permission::ManageCatalog),
    route(
        "POST",
        "/admin/mall/products/{id}/publish",
        Permission::ManageCatalog,
    ),
    route(
        "POST",
        "/admin/mall/products/{id}/unpublish",
        Permission::ManageCatalog,
    ),
    route(
        "DELETE",
        "/admin/mall/products/{id}",
        Permission::ManageCatalog,
    ),
    route(
        "POST",
        "/admin/mall/skus/{id}/stock",
        Permission::ManageCatalog,
    ),
    route("GET", "/admin/mall/stock/low", Permission::ViewMall),
    route("GET", "/admin/mall/statistics", Permission::ViewMall),
    route("GET", "/admin/mall/orders", Permission::ViewMall),
    route("GET", "/admin/mall/orders/{orderNo}", Permission::ViewMall),
    route(
        "POST",
        "/admin/mall/orders/{orderNo}/ship",
        Permission::FulfilMallOrders,
    ),
    route(
        "POST",
        "/admin/mall/orders/{orderNo}/cancel",
        Permission::FulfilMallOrders,
    ),
    route("GET", "/admin/mall/after-sales", Permission::ViewMall),
    route("GET", "/admin/mall/after-sales/{id}", Permission::ViewMall),
    route(
        "POST",
        "/admin/mall/after-sales/{id}/approve",
        Permission::FulfilMallOrders,
    ),
    route(
        "POST",
        "/admin/mall/after-sales/{id}/reject",
        Permission::FulfilMallOrders,
    ),
    route(
        "POST",
        "/admin/mall/after-sales/{id}/receive",
        Permission::FulfilMallOrders,
    ),
    route(
        "POST",
        "/admin/mall/after-sales/{id}/refund",
        Permission::RefundOrders,
    ),
    route("GET", "/admin/mall/reviews", Permission::ViewMall),
    route(
        "POST",
        "/admin/mall/reviews/{id}/reply",
        Permission::ManageCatalog,
    ),
    route(
        "GET",
        "/admin/mall/logistics-companies",
        Permission::ViewMall,
    ),
    route(
        "PUT",
        "/admin/mall/logistics-companies/{code}",
        Permission::ManageCatalog,
    ),
    route("GET", "/admin/mall/freight-templates", Permission::ViewMall),
    route(
        "POST",
        "/admin/mall/freight-templates",
        Permission::ManageCatalog,
    ),
    route(
        "PUT",
        "/admin/mall/freight-templates/{id}",
        Permission::ManageCatalog,
    ),
    route(
        "POST",
        "/admin/mall/freight-templates/{id}/default",
        Permission::ManageCatalog,
    ),
    route(
        "DELETE",
        "/admin/mall/freight-templates/{id}",
        Permission::ManageCatalog,
    ),
    route(
        "PUT",
        "/admin/mall/products/{id}",
        Permission::ManageCatalog,
    ),
    route("PUT", "/admin/mall/skus/{id}", Permission::ManageCatalog),
];

/// The entry of `method path`, if it is a back-office route.
pub fn admin_route(method: &str, path: &str) -> Option<&'static AdminRoute> {
    ADMIN_ROUTES
        .iter()
        .find(|route| route.method.eq_ignore_ascii_case(method) && route.path == path)
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    use super::*;

    #[test]
    fn every_listed_route_is_documented_and_unique() {
        let doc = crate::http::openapi::ApiDoc::openapi();
        for (index, route) in ADMIN_ROUTES.iter().enumerate() {
            let item = doc
                .paths
                .paths
                .get(route.path)
                .unwrap_or_else(|| panic!("{} is not in the OpenAPI document", route.path));
            let documented = match route.method {
                "GET" => item.get.is_some(),
                "POST" => item.post.is_some(),
                "PUT" => item.put.is_some(),
                "PATCH" => item.patch.is_some(),
                "DELETE" => item.delete.is_some(),
                other => panic!("unexpected method {other}"),
            };
            assert!(
                documented,
                "{} {} is not documented",
                route.method, route.path
            );
            assert_eq!(
                ADMIN_ROUTES
                    .iter()
                    .position(|other| other.method == route.method && other.path == route.path),
                Some(index),
                "{} {} listed twice",
                route.method,
                route.path
            );
        }
    }
}
