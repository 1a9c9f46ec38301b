//! Every admin route × every role: allowed or 403 exactly as the permission table says.
//! The routes come from the served OpenAPI document, so a new admin route missing from
//! `ADMIN_ROUTES` fails here.

use elife_domain::accounts::admins::Role;
use elife_domain::accounts::permissions::allows;
use elife_server::http::admin_routes::{ADMIN_ROUTES, RouteAccess, admin_route};
use serde_json::{Value, json};

use crate::admin_support::*;
use crate::helpers::*;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation of the document that belongs to the back office: under `/admin`, or
/// secured by an admin scheme.
fn admin_operations(document: &Value) -> Vec<(String, String)> {
    let mut operations = Vec::new();
    let paths = document["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let secured_as_admin = operation["security"].as_array().is_some_and(|schemes| {
                schemes.iter().any(|scheme| {
                    scheme.get("admin_token").is_some() || scheme.get("admin_bearer").is_some()
                })
            });
            if path.starts_with("/admin") || secured_as_admin {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// A concrete path for a templated one: an order number that names no order, an admin id
/// that exists, a shopper's openid.
fn concrete(path: &str, admin_id: i64) -> String {
    path.replace("{orderNumber}", "ORD1760754386127zzzzzzzzzzzz")
        .replace("{orderNo}", "ORD1760754386127zzzzzzzzzzzz")
        .replace("{openid}", "o-any-shopper")
        .replace("{code}", "no-such-carrier")
        .replace("{id}", &admin_id.to_string())
}

#[tokio::test]
async fn every_admin_route_answers_every_role_as_the_permission_table_says() {
    let app = spawn_app().await;
    let document = app.get("/api-json").await.body;
    let operations = admin_operations(&document);
    assert!(operations.len() >= ADMIN_ROUTES.len(), "{operations:?}");
    for (method, path) in &operations {
        assert!(
            admin_route(method, path).is_some(),
            "{method} {path} is an admin route of the OpenAPI document missing from ADMIN_ROUTES"
        );
    }
    for route in ADMIN_ROUTES {
        assert!(
            operations
                .iter()
                .any(|(method, path)| method == route.method && path == route.path),
            "{} {} is in ADMIN_ROUTES but not in the served document",
            route.method,
            route.path
        );
    }

    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role, token_of(&app, role.as_str()).await));
    }
    let target = create_admin(&app, "target-viewer", "viewer").await;
    let body = json!({});
    for route in ADMIN_ROUTES {
        let path = concrete(route.path, target);
        let body = (route.method != "GET").then_some(&body);
        match route.access {
            RouteAccess::Public => {
                let reply = call(&app, route.method, &path, None, body).await;
                assert!(
                    reply.status != 401 && reply.status != 403,
                    "{} {path} is public: {} {}",
                    route.method,
                    reply.status,
                    reply.body
                );
            }
            RouteAccess::Requires(permission) => {
                let anonymous = call(&app, route.method, &path, None, body).await;
                assert_error_envelope(&anonymous, 401, &path);
                let forged = call(&app, route.method, &path, Some("not-a-token"), body).await;
                assert_eq!(forged.status, 401, "{} {path}", route.method);
                for (role, token) in &tokens {
                    let reply = call(&app, route.method, &path, Some(token), body).await;
                    if allows(*role, permission) {
                        assert!(
                            reply.status != 401 && reply.status != 403,
                            "{role} may {} {path}: {} {}",
                            route.method,
                            reply.status,
                            reply.body
                        );
                    } else {
                        assert_error_envelope(&reply, 403, &path);
                        let message = reply.body["message"].as_str().unwrap_or_default();
                        assert!(
                            message.contains(role.as_str())
                                && message.contains(permission.as_str()),
                            "{message}"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_shopper_token_or_header_is_not_an_admin_credential() {
    let app = spawn_app().await;
    let user = app.user_get("o-user", "/admin/orders").await;
    assert_eq!(user.status, 401);
    // Statistics are admin routes too.
    let viewer = token_of(&app, "viewer").await;
    let figures = call(&app, "GET", "/statistics", Some(&viewer), None).await;
    assert_success_envelope(&figures, 200);
}
