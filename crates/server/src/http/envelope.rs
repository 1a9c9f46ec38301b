//! The response envelope of the old backend, kept so that the mini-program works unchanged:
//! success `{code, data, message:"success", timestamp}`, errors
//! `{code, message, data:null, timestamp, path}` with the HTTP status equal to `code`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use chrono::{SecondsFormat, Utc};
use elife_domain::services::ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

/// ISO-8601 with milliseconds and `Z`, like JavaScript's `toISOString()`.
pub fn timestamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always 200 on success (201 responses too, as the old backend did).
    #[schema(example = 200)]
    pub code: u16,
    pub data: T,
    #[schema(example = "success")]
    pub message: &'static str,
    #[schema(example = "2025-10-18T10:00:00.000Z")]
    pub timestamp: String,
}

/// `200 OK` with the envelope.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope {
        code: 200,
        data,
        message: "success",
        timestamp: timestamp(),
    })
}

/// `201 Created` with the envelope (NestJS answered POSTs with 201 and `code: 200`).
pub fn created<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Created().json(Envelope {
        code: 200,
        data,
        message: "success",
        timestamp: timestamp(),
    })
}

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    #[schema(example = 400)]
    pub code: u16,
    #[schema(example = "phoneNumber must be 8 digits")]
    pub message: String,
    #[schema(value_type = Option<Object>, example = json!(null))]
    pub data: Option<()>,
    pub timestamp: String,
    #[schema(example = "/orders")]
    pub path: String,
}

/// An HTTP error in the envelope; the request path is filled in by [`add_error_path`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds for `Retry-After` (429 and 503).
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// Tells the caller when to try again.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(seconds);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// Carried on an error response until the middleware knows the path.
#[derive(Debug, Clone)]
struct PendingError(String);

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response =
            HttpResponse::build(self.status).json(body(self.status, &self.message, ""));
        if let Some(seconds) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
            .extensions_mut()
            .insert(PendingError(self.message.clone()));
        response
    }
}

/// The error envelope as JSON text (for answers written below actix-web).
pub fn error_json(status: StatusCode, message: &str, path: &str) -> String {
    serde_json::to_string(&body(status, message, path)).unwrap_or_default()
}

fn body(status: StatusCode, message: &str, path: &str) -> ErrorEnvelope {
    ErrorEnvelope {
        code: status.as_u16(),
        message: message.to_owned(),
        data: None,
        timestamp: timestamp(),
        path: path.to_owned(),
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match &error {
            ServiceError::Validation(message) => ApiError::bad_request(message.clone()),
            ServiceError::NotFound(message) => ApiError::not_found(message.clone()),
            ServiceError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, message.clone()),
            ServiceError::Upstream(message) => {
                tracing::warn!(%error, "upstream failure");
                ApiError::new(StatusCode::BAD_GATEWAY, message.clone())
            }
            ServiceError::Unavailable(_) => {
                tracing::error!(%error, "storage failure");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service temporarily unavailable, please retry",
                )
            }
        }
    }
}

/// Completes every error envelope with the request path, and wraps errors that did not
/// come from [`ApiError`] (actix's own 404/405 and extractor errors) in the envelope.
pub async fn add_error_path(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| request.path().to_owned());
    let response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(response);
    }
    let pending = response
        .response()
        .extensions()
        .get::<PendingError>()
        .cloned();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    let message = match pending {
        Some(PendingError(message)) => message,
        // Somebody else's JSON error (the payment callback's own answer) or a page (the
        // console's): leave it.
        None if is_json || is_html => return Ok(response),
        None => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    Ok(response.map_body(|head, _| {
        head.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        BoxBody::new(error_json(status, &message, &path))
    }))
}
