//! Prometheus metric names, and the recorder behind `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub const ORDERS_CREATED: &str = "elife_orders_created_total";
pub const CALLBACKS: &str = "elife_payment_callbacks_total";
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
