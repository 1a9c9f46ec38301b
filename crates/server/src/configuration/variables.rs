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
        "DB_POOL_MAX",
        "10",
        "connections per instance at most (every instance's share of the database's limit)",
    ),
    ("DB_POOL_MIN", "1", "connections per instance kept open"),
    (
        "DB_CONNECT_TIMEOUT",
        "10000",
        "milliseconds to open a connection",
    ),
    (
        "DB_ACQUIRE_TIMEOUT",
        "30000",
        "milliseconds a query waits for a free connection before failing",
    ),
    (
        "DB_IDLE_TIMEOUT",
        "600",
        "seconds before an idle connection is closed; 0: never",
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
        "MALL_PAY_MINUTES",
        "30",
        "minutes a mall order may be paid; then it is cancelled (after asking WeChat) and its stock released",
    ),
    (
        "MALL_AUTO_RECEIPT_DAYS",
        "7",
        "days after shipping when a mall order is received automatically",
    ),
    (
        "MALL_JOB_INTERVAL_MS",
        "1000",
        "how often mall deadlines (unpaid, receipt) and the trade outbox are checked",
    ),
    (
        "KUAIDI100_URL",
        "",
        "parcel-tracking API base URL (Kuaidi100 real-time query, https://poll.kuaidi100.com when unset; the simulator in sandbox mode)",
    ),
    ("KUAIDI100_CUSTOMER", "", "Kuaidi100 customer id"),
    (
        "KUAIDI100_KEY",
        "",
        "secret: Kuaidi100 key that signs each tracking query",
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
        "break-glass bearer token: acts as the super admin `break-glass`, logged on every use",
    ),
    (
        "ADMIN_JWT_EXPIRES_IN",
        "15m",
        "lifetime of an admin access token (900, 15m, 1h; at most 24h)",
    ),
    (
        "ADMIN_LOGIN_MAX_FAILURES",
        "5",
        "failed admin logins in a row after which the account is locked",
    ),
    (
        "ADMIN_LOGIN_LOCK_MINUTES",
        "15",
        "minutes a locked admin account refuses every login",
    ),
    (
        "EXCHANGE_RATE_MAX_CHANGE",
        "0.2",
        "largest change of the exchange rate (fraction of the current) without confirm: true",
    ),
    (
        "MOCK_IDENTITY_ENABLED",
        "false",
        "honour X-Mock-Openid (never in production)",
    ),
    (
        "IDENTITY",
        "both",
        "cloud | token | both: Cloud Hosting headers, bearer access tokens, or headers when present else a token",
    ),
    (
        "JWT_SECRET",
        "random per process (required in production)",
        "at least 32 bytes: signs access tokens",
    ),
    (
        "JWT_EXPIRES_IN",
        "2h",
        "shopper access token lifetime (7200, 900s, 15m, 2h, 7d)",
    ),
    (
        "JWT_REFRESH_EXPIRES_IN",
        "7d",
        "refresh token lifetime, granted again at each rotation",
    ),
    ("WECHAT_APPID", "", "mini-program appid for WeChat login"),
    (
        "WECHAT_SECRET",
        "",
        "mini-program AppSecret for WeChat login",
    ),
    (
        "WECHAT_API_URL",
        "https://api.weixin.qq.com",
        "base of WeChat's jscode2session",
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
    (
        "RATE_LIMIT_ORDERS",
        "10",
        "orders per minute per user (rejected requests do not count); 0: no limit",
    ),
    (
        "RATE_LIMIT_PAYMENTS",
        "20",
        "payment creations per minute per user; 0: no limit",
    ),
    (
        "RATE_LIMIT_USER_CALLS",
        "600",
        "authenticated requests per minute per user; 0: no limit",
    ),
    (
        "RATE_LIMIT_PUBLIC",
        "300",
        "requests per minute per client address on public routes; 0: no limit",
    ),
    (
        "RATE_LIMIT_LOGINS",
        "30",
        "shopper logins and token refreshes per minute per client address; 0: no limit",
    ),
    (
        "RATE_LIMIT_ADMIN_LOGINS",
        "10",
        "admin login attempts per minute per client address; 0: no limit",
    ),
    (
        "PAY_CHANNEL",
        "cloud",
        "cloud | v3: WeChat Pay through Cloud Hosting's open interface, or API v3 direct",
    ),
    (
        "WECHAT_PAY_API_URL",
        "http://api.weixin.qq.com/_/pay (cloud), https://api.mch.weixin.qq.com (v3)",
        "base of the selected channel's pay API",
    ),
    ("WECHAT_PAY_APP_ID", "", "v3: appid bound to the merchant"),
    ("WECHAT_PAY_MCH_ID", "", "v3: merchant number"),
    (
        "WECHAT_PAY_SERIAL_NO",
        "",
        "v3: serial of the merchant API certificate",
    ),
    (
        "WECHAT_PAY_PRIVATE_KEY_PATH",
        "",
        "v3: file of the merchant API private key (apiclient_key.pem)",
    ),
    (
        "WECHAT_PAY_PRIVATE_KEY",
        "",
        "v3: the merchant API private key as inline PEM (instead of the path)",
    ),
    ("WECHAT_PAY_APIV3_KEY", "", "v3: the 32-byte APIv3 key"),
    (
        "WECHAT_PAY_PUBLIC_KEY_PATH",
        "",
        "v3: file of the WeChat Pay public key (public-key mode; with its id)",
    ),
    (
        "WECHAT_PAY_PUBLIC_KEY_ID",
        "",
        "v3: id of the WeChat Pay public key, PUB_KEY_ID_...",
    ),
    (
        "WECHAT_PAY_PLATFORM_CERTS",
        "auto",
        "v3: auto | off: download platform certificates at start-up and every 12 h",
    ),
    (
        "WECHAT_PAY_NOTIFY_URL",
        "",
        "v3: https URL of POST /payment/notify/wechat as WeChat Pay reaches it",
    ),
    (
        "WECHAT_PAY_REFUND_NOTIFY_URL",
        "the notify URL + /refund",
        "v3: https URL of POST /payment/notify/wechat/refund",
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
    (
        "PERSONAL_DATA_KEYS",
        "public development key `dev` (required in production)",
        "AES-256-GCM keys of phone numbers at rest, `id:base64-of-32-bytes,...`, the current first",
    ),
    (
        "PERSONAL_DATA_INDEX_KEY",
        "public development key (required in production)",
        "base64 of at least 32 bytes: key of the blind index that finds orders by phone number",
    ),
];
