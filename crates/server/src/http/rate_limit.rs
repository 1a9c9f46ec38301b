//! Rate limits (GCRA, from `governor`): per user for authenticated routes (orders, payment
//! creation), per client IP for login and public routes, and separately for admin login.
//!
//! A limited caller gets 429 in the envelope with `Retry-After`. Handlers check a quota only
//! once the request has passed validation, so a rejected (4xx) request does not consume it.

use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::envelope::ApiError;
use super::identity::client_ip;
use crate::state::AppState;

/// Keys kept before the limiter forgets callers whose allowance has fully recovered.
const RETAIN_ABOVE: usize = 10_000;

/// One limit, counted separately for each key (an openid, a client IP).
#[derive(Debug)]
pub struct KeyedLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    /// What the 429 says, e.g. "10 orders per minute".
    what: String,
}

impl KeyedLimiter {
    /// `per_minute` calls a minute per key, all of which may come at once. Zero disables
    /// the limit (every call is allowed).
    pub fn per_minute(per_minute: u32, what: impl Into<String>) -> Self {
        let quota = NonZeroU32::new(per_minute)
            .map(Quota::per_minute)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX));
        KeyedLimiter {
            limiter: RateLimiter::keyed(quota),
            what: what.into(),
        }
    }

    /// Counts one call of `key`; a 429 with how long to wait when `key` is over its limit.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        if self.limiter.len() > RETAIN_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                ApiError::too_many_requests(format!(
                    "ThrottlerException: Too Many Requests ({})",
                    self.what
                ))
                .retry_after(retry_after_seconds(wait))
            })
    }
}

/// Whole seconds to wait, at least one (`Retry-After` has no fractions).
fn retry_after_seconds(wait: Duration) -> u64 {
    let rounded_up = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    rounded_up.max(1)
}

/// Every limiter of the server; sizes come from the `RATE_LIMIT_*` settings.
#[derive(Debug)]
pub struct RateLimits {
    /// Orders created, per user.
    pub orders: KeyedLimiter,
    /// Payments started, per user.
    pub payments: KeyedLimiter,
    /// Any authenticated call, per user.
    pub user_calls: KeyedLimiter,
    /// Public routes (no identity), per client IP.
    pub public_calls: KeyedLimiter,
    /// Shopper login and token refresh, per client IP.
    pub logins: KeyedLimiter,
    /// Admin login attempts, per client IP (the account lockout counts per account).
    pub admin_logins: KeyedLimiter,
}

/// Sizes of the limits, per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub orders: u32,
    pub payments: u32,
    pub user_calls: u32,
    pub public_calls: u32,
    pub logins: u32,
    pub admin_logins: u32,
}

impl RateLimits {
    pub fn new(limits: RateLimitSettings) -> Self {
        RateLimits {
            orders: KeyedLimiter::per_minute(
                limits.orders,
                format!("{} orders per minute", limits.orders),
            ),
            payments: KeyedLimiter::per_minute(
                limits.payments,
                format!("{} payments per minute", limits.payments),
            ),
            user_calls: KeyedLimiter::per_minute(
                limits.user_calls,
                format!("{} requests per minute per user", limits.user_calls),
            ),
            public_calls: KeyedLimiter::per_minute(
                limits.public_calls,
                format!("{} requests per minute per address", limits.public_calls),
            ),
            logins: KeyedLimiter::per_minute(
                limits.logins,
                format!("{} logins per minute per address", limits.logins),
            ),
            admin_logins: KeyedLimiter::per_minute(
                limits.admin_logins,
                format!(
                    "{} admin logins per minute per address",
                    limits.admin_logins
                ),
            ),
        }
    }
}

/// Which per-address limit a route pattern counts against; `None`: none (authenticated
/// routes count per user, WeChat's callbacks and probes are not limited).
fn address_limit<'a>(limits: &'a RateLimits, pattern: &str) -> Option<&'a KeyedLimiter> {
    match pattern {
        "/auth/wechat/login" | "/auth/refresh" => Some(&limits.logins),
        "/admin/auth/login" | "/admin/auth/refresh" => Some(&limits.admin_logins),
        "/exchange-rate/current"
        | "/unitel/products/services"
        | "/unitel/postpaid-bill"
        | "/api/payment/packages"
        | "/api/payment/packages/{id}" => Some(&limits.public_calls),
        _ => None,
    }
}

/// Counts login and public calls per client address before they reach their handler.
pub async fn limit_by_address(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refused = match (
        request.app_data::<web::Data<AppState>>(),
        request.match_pattern(),
    ) {
        (Some(state), Some(pattern)) => address_limit(&state.limits, &pattern)
            .and_then(|limiter| limiter.check(&client_ip(request.request())).err()),
        _ => None,
    };
    match refused {
        Some(error) => {
            let response = error.error_response();
            Ok(request.into_response(response))
        }
        None => Ok(next.call(request).await?.map_into_boxed_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_key_separately() {
        let limiter = KeyedLimiter::per_minute(2, "2 things per minute");
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        let refused = limiter.check("a").unwrap_err();
        assert_eq!(refused.status.as_u16(), 429);
        assert!(refused.message.contains("2 things per minute"));
        // The allowance comes back one call every 30 s.
        let wait = refused.retry_after_secs.expect("Retry-After");
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(limiter.check("b").is_ok());
    }

    #[test]
    fn zero_disables_the_limit() {
        let limiter = KeyedLimiter::per_minute(0, "unlimited");
        for _ in 0..1_000 {
            assert!(limiter.check("a").is_ok());
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(2_001)), 3);
    }
}
