//! What can go wrong on a console page, and the page (or htmx fragment) that says so.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use elife_domain::accounts::admin_error::AdminError;
use elife_domain::accounts::admin_sessions::AdminSessionError;
use elife_domain::accounts::permissions::Permission;
use elife_domain::services::ServiceError;

use crate::paths;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session, or it ended: the browser is sent to the login page.
    #[error("please log in")]
    LoginRequired,
    #[error("your role does not allow this ({0})")]
    Forbidden(Permission),
    #[error("{0}")]
    NotFound(String),
    /// The input is wrong; nothing changed.
    #[error("{0}")]
    Invalid(String),
    /// The order (or account, or rate) is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// WeChat Pay, Unitel or storage failed for now; nothing changed, try again.
    #[error("{0}")]
    Unavailable(String),
    #[error("the page could not be drawn: {0}")]
    Render(#[from] askama::Error),
}

impl From<ServiceError> for ConsoleError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Validation(message) => ConsoleError::Invalid(message),
            ServiceError::NotFound(message) => ConsoleError::NotFound(message),
            ServiceError::Conflict(message) => ConsoleError::Conflict(message),
            ServiceError::Upstream(message) | ServiceError::Unavailable(message) => {
                tracing::warn!(error = %message, "console: a dependency failed");
                ConsoleError::Unavailable(message)
            }
        }
    }
}

impl From<AdminError> for ConsoleError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::InvalidCredentials
            | AdminError::Locked { .. }
            | AdminError::Throttled { .. }
            | AdminError::Disabled
            | AdminError::Forbidden(_)
            | AdminError::Validation(_) => ConsoleError::Invalid(error.to_string()),
            AdminError::NotFound(message) => ConsoleError::NotFound(message),
            AdminError::Conflict(message) => ConsoleError::Conflict(message),
            AdminError::Unavailable(message) => ConsoleError::Unavailable(message),
        }
    }
}

impl From<AdminSessionError> for ConsoleError {
    fn from(error: AdminSessionError) -> Self {
        match error {
            AdminSessionError::Admin(error) => error.into(),
            AdminSessionError::Session(error) => {
                tracing::warn!(%error, "console: session refused");
                ConsoleError::LoginRequired
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
}

impl ConsoleError {
    fn title(&self) -> &'static str {
        match self {
            ConsoleError::LoginRequired => "请登录 Please log in",
            ConsoleError::Forbidden(_) => "无权限 Not allowed",
            ConsoleError::NotFound(_) => "未找到 Not found",
            ConsoleError::Invalid(_) => "输入有误 Invalid input",
            ConsoleError::Conflict(_) => "状态不允许 Not possible now",
            ConsoleError::Unavailable(_) => "暂不可用 Unavailable, try again",
            ConsoleError::Render(_) => "页面错误 Page error",
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::LoginRequired => StatusCode::SEE_OTHER,
            ConsoleError::Forbidden(_) => StatusCode::FORBIDDEN,
            ConsoleError::NotFound(_) => StatusCode::NOT_FOUND,
            ConsoleError::Invalid(_) => StatusCode::BAD_REQUEST,
            ConsoleError::Conflict(_) => StatusCode::CONFLICT,
            ConsoleError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ConsoleError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ConsoleError::LoginRequired = self {
            // htmx follows HX-Redirect; a plain browser follows Location.
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, paths::LOGIN))
                .insert_header(("HX-Redirect", paths::LOGIN))
                .finish();
        }
        if let ConsoleError::Render(error) = self {
            tracing::error!(%error, "console: template failed");
        }
        let page = ErrorPage {
            status: self.status_code().as_u16(),
            title: self.title(),
            message: self.to_string(),
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("{}: {}", page.title, page.message));
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            // htmx swaps error answers into the page's message area, not the target.
            .insert_header(("HX-Retarget", "#flash"))
            .insert_header(("HX-Reswap", "innerHTML"))
            .body(body)
    }
}
