//! The admin credential: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use subtle::ConstantTimeEq;

use super::envelope::ApiError;
use crate::state::AppState;

/// Proof that the caller holds the admin token.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Who acted, for the order history.
    pub name: String,
}

/// Whether `presented` equals `expected`, in time independent of where they differ.
pub fn token_matches(expected: &str, presented: &str) -> bool {
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let expected = request
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.admin_token.clone());
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim);
        let result = match (expected, presented) {
            (None, _) => Err(ApiError::unauthorized(
                "admin endpoints are disabled: ADMIN_TOKEN is not set",
            )),
            (Some(_), None) => Err(ApiError::unauthorized("admin token required")),
            (Some(expected), Some(presented)) if token_matches(&expected, presented) => Ok(Admin {
                name: request
                    .headers()
                    .get("x-admin-name")
                    .and_then(|value| value.to_str().ok())
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .unwrap_or("admin")
                    .chars()
                    .take(64)
                    .collect(),
            }),
            (Some(_), Some(_)) => Err(ApiError::unauthorized("invalid admin token")),
        };
        ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::token_matches;

    #[test]
    fn only_the_exact_token_matches() {
        assert!(token_matches("s3cret-token", "s3cret-token"));
        assert!(!token_matches("s3cret-token", "s3cret-tokem"));
        assert!(!token_matches("s3cret-token", "s3cret"));
        assert!(!token_matches("s3cret-token", ""));
    }
}
