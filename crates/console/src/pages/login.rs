//! Logging in and out with an admin account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use elife_domain::accounts::admin_error::AdminError;
use elife_domain::accounts::admin_sessions::AdminSessionError;
use elife_domain::accounts::sessions::LogoutCredential;
use serde::Deserialize;

use super::context::html;
use crate::error::ConsoleError;
use crate::paths;
use crate::services::Console;
use crate::session::{self, Operator};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    assets: &'static str,
    username: String,
    error: Option<String>,
}

fn page(status: StatusCode, page: LoginPage) -> Result<HttpResponse, ConsoleError> {
    Ok(html(status, page.render()?))
}

async fn form() -> Result<HttpResponse, ConsoleError> {
    page(
        StatusCode::OK,
        LoginPage {
            assets: paths::ASSETS,
            username: String::new(),
            error: None,
        },
    )
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(
    console: web::Data<Console>,
    request: HttpRequest,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, ConsoleError> {
    let address = request
        .connection_info()
        .realip_remote_addr()
        .map(str::to_owned);
    let outcome = console
        .services
        .admin_sessions
        .login(form.username.trim(), &form.password, address.as_deref())
        .await;
    match outcome {
        Ok((_, issued)) => {
            let mut response = HttpResponse::SeeOther();
            response.insert_header(("Location", paths::HOME));
            for cookie in session::session_cookies(&issued.tokens, console.secure_cookies) {
                response.cookie(cookie);
            }
            Ok(response.finish())
        }
        Err(AdminSessionError::Admin(error)) => page(
            StatusCode::UNAUTHORIZED,
            LoginPage {
                assets: paths::ASSETS,
                username: form.username.clone(),
                error: Some(refusal(&error)),
            },
        ),
        Err(error) => Err(error.into()),
    }
}

async fn logout(
    console: web::Data<Console>,
    operator: Option<Operator>,
) -> Result<HttpResponse, ConsoleError> {
    if let Some(operator) = operator {
        // A session that already ended is no reason to keep the cookies.
        if let Err(error) = console
            .services
            .admin_sessions
            .logout(LogoutCredential::Session(operator.session))
            .await
        {
            tracing::warn!(%error, "console: logout could not end the session");
        }
    }
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header(("Location", paths::LOGIN))
        .insert_header(("HX-Redirect", paths::LOGIN));
    for cookie in session::cleared_cookies(console.secure_cookies) {
        response.cookie(cookie);
    }
    Ok(response.finish())
}

/// Why a login was refused, Chinese first.
fn refusal(error: &AdminError) -> String {
    let chinese = match error {
        AdminError::InvalidCredentials => "用户名或密码错误",
        AdminError::Locked { .. } => "多次登录失败，账号已暂时锁定，请稍后再试",
        AdminError::Throttled { .. } => "该地址登录失败次数过多，请稍后再试",
        AdminError::Disabled => "账号已停用",
        AdminError::Forbidden(_)
        | AdminError::Validation(_)
        | AdminError::NotFound(_)
        | AdminError::Conflict(_) => "无法登录",
        AdminError::Unavailable(_) => "服务暂不可用，请重试",
    };
    format!("{chinese} · {error}")
}
