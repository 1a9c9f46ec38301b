//! Every variable the server reads, with its default and meaning.

/// Every variable the server reads, with its default and meaning (for `.env.example`
/// and `--help`).
pub const VARIABLES: &[(&str, &str, &str)] = &[
    ("ELIFE_ENV", "development", "development | production"),
    ("HOST", "127.0.0.1", "address to listen on"),
    ("PORT", "3000", "port to listen on"),
    (
        "DATABASE_URL",
        "sqlite://elife.db?mode=rwc",
        "sqlite://, mysql:// or postgres:// URL",
    ),
    ("DB_MAX_RETRIES", "5", "connection attempts at start-up"),
    (
        "DB_RETRY_DELAY",
        "3000",
        "milliseconds between connection attempts",
    ),
    (
        "LOG_LEVEL",
        "info",
        "tracing filter, e.g. info or elife=debug",
    ),
    (
        "LOG_DIR",
        "logs",
        "directory of the daily-rotated combined.log; empty: stdout only",
    ),
    (
        "CORS_ALLOWED_ORIGINS",
        "",
        "comma-separated origins; empty: same-origin only",
    ),
    (
        "ORDER_EXPIRE_MINUTES",
        "30",
        "minutes an order may be paid (WeChat's time_expire too); unpaid orders are closed after this",
    ),
    (
        "STALE_SUBMISSION_MINUTES",
        "10",
        "an unanswered top-up claim older than this becomes unknown",
    ),
    (
        "TOPUP_CONCURRENCY",
        "16",
        "top-ups one instance has in flight at once; a crash leaves at most this many unknown",
    ),
    (
        "RECHARGE_INTERVAL_SECONDS",
        "10",
        "how often the recharge job drains paid, stale and confirming top-ups (also at start-up)",
    ),
    (
        "STUCK_ALERT_MINUTES",
        "30",
        "paid top-ups or refunds still in flight after this are alerted",
    ),
    (
        "AUTO_REFUND",
        "false",
        "refund definitively failed top-ups automatically",
    ),
    (
        "ALERT_WEBHOOK_URL",
        "",
        "WeCom robot webhook for alerts; empty: log only",
    ),
    (
        "ADMIN_TOKEN",
        "",
        "bearer token of the admin endpoints; empty: admin disabled",
    ),
    (
        "MOCK_IDENTITY_ENABLED",
        "false",
        "honour X-Mock-Openid (never in production)",
    ),
    (
        "OPERATOR_PREFIXES",
        "Unitel:80,86,88,89;Mobicom:85,94,95,99;Skytel:90,91,96;G-Mobile:93,97,98;Ondo:60",
        "number ranges per operator",
    ),
    (
        "SANDBOX",
        "auto",
        "auto | on | off: use the in-process simulators",
    ),
    (
        "JOBS_ENABLED",
        "true",
        "run the scheduled jobs in this instance",
    ),
    (
        "REPORT_TIMEZONE",
        "Asia/Shanghai",
        "timezone of the daily report at 02:00",
    ),
    (
        "SWAGGER_ENABLED",
        "true outside production",
        "serve Swagger UI at /api",
    ),
    (
        "CALLBACK_TIMEOUT_MS",
        "4000",
        "bound on handling one payment callback",
    ),
    ("BODY_LIMIT_BYTES", "65536", "largest accepted JSON body"),
    (
        "HTTP_WORKERS",
        "half the cores, at least 1",
        "HTTP worker threads (each its own single-threaded runtime)",
    ),
    (
        "TOKIO_WORKER_THREADS",
        "1",
        "threads of the runtime that runs jobs and top-ups (read by tokio)",
    ),
    ("RATE_LIMIT_ORDERS", "10", "orders per minute per user"),
    (
        "RATE_LIMIT_PAYMENTS",
        "20",
        "payment creations per minute per user",
    ),
    (
        "WECHAT_PAY_API_URL",
        "http://api.weixin.qq.com/_/pay",
        "Cloud Hosting pay API",
    ),
    (
        "WECHAT_ENV_ID",
        "",
        "Cloud Hosting environment id (CBR_ENV_ID also read)",
    ),
    (
        "WECHAT_MCH_ID",
        "",
        "merchant number bound in the Cloud Hosting console",
    ),
    (
        "WECHAT_PAYMENT_CALLBACK_SERVICE",
        "elife",
        "Cloud Hosting service receiving callbacks",
    ),
    (
        "WECHAT_PAYMENT_CALLBACK_PATH",
        "/payment/callback",
        "path of the payment callback",
    ),
    ("WECHAT_TIMEOUT", "10000", "milliseconds per pay API call"),
    (
        "UNITEL_API_URL",
        "https://api.unitel.mn/api/v1",
        "Unitel API base",
    ),
    ("UNITEL_USERNAME", "", "Unitel basic-auth user"),
    ("UNITEL_PASSWORD", "", "Unitel basic-auth password"),
    (
        "UNITEL_TIMEOUT",
        "30000",
        "milliseconds per Unitel call; a top-up's whole deadline, token included",
    ),
];
