//! Prometheus metric names, and the recorder behind `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const ORDERS_CREATED: &str = "elife_orders_created_total";
pub const CALLBACKS: &str = "elife_payment_callbacks_total";
/// WeChat Pay API v3 notifications by outcome (`unverified` included).
pub const WECHAT_PAY_NOTIFICATIONS: &str = "elife_wechat_pay_notifications_total";
pub const TOP_UPS: &str = "elife_top_ups_total";
pub const JOB_RUNS: &str = "elife_job_runs_total";
/// Statement payments held against our orders, by outcome (matched, recovered, mismatch).
pub const RECONCILED_PAYMENTS: &str = "elife_reconciled_payments_total";
pub const HTTP_REQUESTS: &str = "elife_http_requests_total";
pub const HTTP_LATENCY: &str = "elife_http_request_duration_seconds";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder (installed once, shared by every app in a test process).
pub fn prometheus() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed; /metrics will be empty");
                None
            }
        })
        .clone()
}

/// Folds histogram samples into their summaries every few seconds on the current runtime:
/// the exporter keeps every raw sample until it renders or runs upkeep, so without this a
/// server nobody scrapes would grow by every request it serves.
pub fn spawn_upkeep() {
    if let Some(handle) = prometheus() {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        });
    }
}

/// The `method` label: the standard methods by name, anything else `other`.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        let long = "X".repeat(4000);
        for made_up in ["FOO", "get", long.as_str()] {
            let method = Method::from_bytes(made_up.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{made_up}");
        }
    }
}
