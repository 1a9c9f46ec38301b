//! The ops console as a browser sees it: login, sessions in cookies, what each role is shown
//! and allowed, and the assets compiled into the binary.

use crate::admin_support::{PASSWORD, create_admin};
use crate::console_support::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn pages_ask_for_a_login_and_a_wrong_password_is_told() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);

    let page = browser.get("/console/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/console/login"));
    let page = browser.get("/console/orders").await;
    assert_eq!(page.status, 303, "every page needs a login");

    let form = browser.get("/console/login").await.assert_status(200);
    assert!(form.shows("name=\"password\""));

    create_admin(&app, "ops", "operator").await;
    let wrong = [("username", "ops"), ("password", "not the password")];
    let page = browser
        .post_form("/console/login", &wrong)
        .await
        .assert_status(401);
    assert!(page.shows("invalid username or password"), "{}", page.body);
    assert!(page.shows("value=\"ops\""), "the username is kept");
    assert!(
        page.set_cookies().is_empty(),
        "no session for a wrong password"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_login_sets_http_only_strict_cookies_and_opens_the_dashboard() {
    let app = spawn_app().await;
    create_admin(&app, "boss", "super_admin").await;
    let browser = Browser::new(&app);
    let login = [("username", "boss"), ("password", PASSWORD)];
    let page = browser
        .post_form("/console/login", &login)
        .await
        .assert_status(303);
    assert_eq!(page.location(), Some("/console/"));
    let cookies = page.set_cookies();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for cookie in &cookies {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(cookie.contains("Path=/console"), "{cookie}");
    }

    let dashboard = browser.get("/console/").await.assert_status(200);
    for text in [
        "概览",
        "今日订单 Orders today",
        "充值未知 Unknown top-ups",
        "data-chart",
        "/console/admins",
    ] {
        assert!(dashboard.shows(text), "missing {text}");
    }
    let headers = &dashboard.headers;
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("script-src 'self'")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_viewer_is_shown_and_allowed_only_what_the_role_may() {
    let app = spawn_app().await;
    let viewer = Browser::logged_in(&app, "viewer").await;
    let dashboard = viewer.get("/console/").await.assert_status(200);
    assert!(
        !dashboard.shows("href=\"/console/admins\""),
        "a viewer is not offered the admins page"
    );
    let admins = viewer.get("/console/admins").await.assert_status(403);
    assert!(admins.shows("manage_admins"), "{}", admins.body);
    app.stop().await;
}

#[tokio::test]
async fn a_form_from_another_site_is_refused() {
    let app = spawn_app().await;
    let admin = Browser::logged_in(&app, "super_admin").await;
    let form = [("rate", "500"), ("confirm", "true")];
    let page = admin
        .post_from("https://evil.example", "/console/exchange-rate", &form)
        .await
        .assert_status(400);
    assert!(page.shows("another site"), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_access_token_is_renewed_from_the_refresh_cookie() {
    let app = spawn_app().await;
    let admin = Browser::logged_in(&app, "admin").await;
    let before = admin.jar();

    app.clock.advance(chrono::Duration::minutes(16));
    let page = admin.get("/console/").await.assert_status(200);
    assert_eq!(page.set_cookies().len(), 2, "both tokens renewed");
    assert_ne!(before, admin.jar());
    admin.get("/console/").await.assert_status(200);
    app.stop().await;
}

#[tokio::test]
async fn logging_out_ends_the_session_and_clears_the_cookies() {
    let app = spawn_app().await;
    let admin = Browser::logged_in(&app, "admin").await;
    let kept = admin.jar();

    let page = admin
        .post_form("/console/logout", &[])
        .await
        .assert_status(303);
    assert_eq!(page.location(), Some("/console/login"));
    assert!(admin.jar().is_empty());

    // The old cookies no longer open anything: the session ended on the server.
    admin.set_jar(kept);
    admin.get("/console/").await.assert_status(303);
    app.stop().await;
}

#[tokio::test]
async fn the_assets_are_served_from_the_binary() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    for (name, kind) in [
        ("htmx.min.js", "text/javascript"),
        ("echarts.min.js", "text/javascript"),
        ("console.js", "text/javascript"),
        ("console.css", "text/css"),
    ] {
        let page = browser.get(&format!("/console/assets/{name}")).await;
        assert_eq!(page.status, 200, "{name}");
        let content_type = page.headers["content-type"].to_str().expect("type");
        assert!(content_type.starts_with(kind), "{name}: {content_type}");
        assert!(page.body.len() > 100, "{name}");
    }
    let missing = browser.get("/console/assets/nope.js").await;
    missing.assert_status(404);
    app.stop().await;
}
