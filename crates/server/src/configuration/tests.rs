use super::*;

fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::from_lookup(|name| map.get(name).cloned())
}

const REAL: &[(&str, &str)] = &[
    ("ELIFE_ENV", "production"),
    ("JWT_SECRET", "test-jwt-secret-0123456789abcdef-0123456789"),
    ("UNITEL_USERNAME", "u"),
    ("UNITEL_PASSWORD", "p"),
    ("WECHAT_ENV_ID", "prod-1"),
    ("WECHAT_MCH_ID", "1712734762"),
    (
        "PERSONAL_DATA_KEYS",
        "k1:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
    ),
    (
        "PERSONAL_DATA_INDEX_KEY",
        "SUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUk=",
    ),
];

#[test]
fn no_configuration_means_development_with_sqlite_and_the_sandbox() {
    let settings = settings(&[]).unwrap();
    assert_eq!(settings.environment, Environment::Development);
    assert_eq!(settings.port, 3000);
    assert_eq!(settings.host, "127.0.0.1");
    assert_eq!(settings.database.url, "sqlite://elife.db?mode=rwc");
    assert_eq!(settings.jobs.order_expire_minutes, 30);
    assert!(!settings.jobs.auto_refund);
    assert!(settings.uses_sandbox());
    assert!(settings.swagger_enabled);
}

#[test]
fn production_with_credentials_starts_without_the_sandbox() {
    let settings = settings(REAL).unwrap();
    assert!(!settings.uses_sandbox());
    assert!(!settings.swagger_enabled);
}

#[test]
fn production_refuses_the_sandbox_and_names_the_setting() {
    let mut pairs = REAL.to_vec();
    pairs.push(("SANDBOX", "on"));
    let error = settings(&pairs).unwrap_err().to_string();
    assert!(error.contains("SANDBOX"), "{error}");
}

#[test]
fn production_refuses_missing_credentials() {
    let pairs: Vec<_> = REAL
        .iter()
        .copied()
        .filter(|(k, _)| *k != "WECHAT_MCH_ID")
        .collect();
    let error = settings(&pairs).unwrap_err().to_string();
    assert!(error.contains("WECHAT_MCH_ID"), "{error}");
}

#[test]
fn the_callback_path_must_be_one_the_server_routes() {
    for routed in ["/payment/callback", "/payment/callback/ORD"] {
        assert!(
            settings(&[("WECHAT_PAYMENT_CALLBACK_PATH", routed)]).is_ok(),
            "{routed}"
        );
    }
    for unrouted in [
        "payment/callback",
        "/callback",
        "/payment/callback/a/b",
        "/payment/callback/",
    ] {
        let error = settings(&[("WECHAT_PAYMENT_CALLBACK_PATH", unrouted)])
            .unwrap_err()
            .to_string();
        assert!(error.contains("WECHAT_PAYMENT_CALLBACK_PATH"), "{error}");
    }
}

#[test]
fn production_refuses_the_mock_identity() {
    let mut pairs = REAL.to_vec();
    pairs.push(("MOCK_IDENTITY_ENABLED", "true"));
    let error = settings(&pairs).unwrap_err().to_string();
    assert!(error.contains("MOCK_IDENTITY_ENABLED"), "{error}");
}

#[test]
fn the_env_example_documents_every_variable() {
    let example = include_str!("../../../../.env.example");
    for (name, _, _) in VARIABLES {
        assert!(
            example.contains(&format!("{name}=")),
            "{name} missing from .env.example"
        );
    }
}

#[test]
fn the_staleness_bound_is_compared_with_the_exact_unitel_timeout() {
    let short = settings(&[
        ("UNITEL_TIMEOUT", "5000"),
        ("STALE_SUBMISSION_MINUTES", "1"),
    ])
    .unwrap();
    assert_eq!(short.jobs.stale_submission_minutes, 1);
    for timeout in ["60000", "61000"] {
        let error = settings(&[
            ("UNITEL_TIMEOUT", timeout),
            ("STALE_SUBMISSION_MINUTES", "1"),
        ])
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("STALE_SUBMISSION_MINUTES"), "{error}");
        assert!(error.contains(&format!("{timeout} ms")), "{error}");
    }
}

#[test]
fn top_ups_in_flight_and_the_recharge_interval_are_bounded() {
    let defaults = settings(&[]).unwrap();
    assert_eq!(defaults.jobs.topup_concurrency, 16);
    assert_eq!(defaults.jobs.recharge_interval, Duration::from_secs(10));
    let set = settings(&[
        ("TOPUP_CONCURRENCY", "4"),
        ("RECHARGE_INTERVAL_SECONDS", "2"),
    ])
    .unwrap();
    assert_eq!(set.jobs.topup_concurrency, 4);
    assert_eq!(set.jobs.recharge_interval, Duration::from_secs(2));
    for (name, value) in [
        ("TOPUP_CONCURRENCY", "0"),
        ("TOPUP_CONCURRENCY", "100000"),
        ("RECHARGE_INTERVAL_SECONDS", "0"),
        ("RECHARGE_INTERVAL_SECONDS", "601"),
    ] {
        let error = settings(&[(name, value)]).unwrap_err().to_string();
        assert!(error.starts_with(name), "{name}={value}: {error}");
    }
}

#[test]
fn malformed_values_name_their_variable() {
    for (name, value) in [
        ("PORT", "eighty"),
        ("AUTO_REFUND", "maybe"),
        ("ELIFE_ENV", "staging"),
        ("SANDBOX", "sometimes"),
        ("REPORT_TIMEZONE", "Mars/Olympus"),
        ("OPERATOR_PREFIXES", "Unitel:8x"),
        ("STALE_SUBMISSION_MINUTES", "0"),
        ("STUCK_ALERT_MINUTES", "0"),
    ] {
        let error = settings(&[(name, value)]).unwrap_err().to_string();
        assert!(error.starts_with(name), "{name}: {error}");
    }
}

#[test]
fn debug_never_prints_a_secret() {
    let mut pairs: Vec<(String, String)> = [
        ("UNITEL_USERNAME", "shop-user"),
        ("UNITEL_PASSWORD", "unitel-pass-5ecret"),
        ("ADMIN_TOKEN", "admin-token-5ecret-0123456789"),
        (
            "DATABASE_URL",
            "mysql://elife:db-pass-5ecret@db.internal:3306/elife",
        ),
        (
            "ALERT_WEBHOOK_URL",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=webhook-key-5ecret",
        ),
        (
            "PERSONAL_DATA_KEYS",
            "k2:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=,k1:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
        ),
        (
            "PERSONAL_DATA_INDEX_KEY",
            "SUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUk=",
        ),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
    .collect();
    // Any other secret a later setting adds is covered too, with a long distinctive value.
    for (name, _, _) in VARIABLES {
        let secret_like = ["SECRET", "PASSWORD", "TOKEN"]
            .iter()
            .any(|word| name.contains(word));
        if secret_like && !pairs.iter().any(|(known, _)| known == name) {
            pairs.push((
                (*name).to_owned(),
                format!("{name}-5ecret-value-0123456789abcdef0123456789abcdef"),
            ));
        }
    }
    let lookup: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let settings = settings(&lookup).unwrap();
    let printed = format!("{settings:?}");
    assert!(printed.contains("shop-user"), "the rest is still printed");
    assert!(printed.contains("db.internal"), "{printed}");
    for secret in [
        "unitel-pass-5ecret",
        "admin-token-5ecret",
        "db-pass-5ecret",
        "webhook-key-5ecret",
        "QkJCQkJCQkJCQkJCQkJC",
        "QUFBQUFBQUFBQUFBQUFB",
        "SUlJSUlJSUlJSUlJSUlJ",
        "5ecret-value",
    ] {
        assert!(!printed.contains(secret), "{secret} printed in {printed}");
    }
}

#[test]
fn production_requires_the_personal_data_keys_and_names_them() {
    for (name, short) in [
        ("PERSONAL_DATA_KEYS", "k1:c2hvcnQ="),
        ("PERSONAL_DATA_INDEX_KEY", "c2hvcnQ="),
    ] {
        let without: Vec<_> = REAL.iter().copied().filter(|(k, _)| *k != name).collect();
        let error = settings(&without).unwrap_err().to_string();
        assert!(error.contains(name), "{error}");
        let mut with_short = without.clone();
        with_short.push((name, short));
        let error = settings(&with_short).unwrap_err().to_string();
        assert!(error.contains(name), "{error}");
        assert!(
            !error.contains("c2hvcnQ"),
            "the key is not repeated: {error}"
        );
    }
    // Development runs on the public development keys.
    let development = settings(&[]).unwrap();
    assert!(development.personal_data.keyring.uses_development_keys());
    assert_eq!(development.personal_data.keyring.current_key_id(), "dev");
}

#[test]
fn the_connection_pool_is_configured_and_checked() {
    let defaults = settings(&[]).unwrap().database.pool();
    assert_eq!(defaults.max_connections, 10);
    assert_eq!(defaults.min_connections, 1);
    assert_eq!(defaults.connect_timeout, Duration::from_secs(10));
    assert_eq!(defaults.acquire_timeout, Duration::from_secs(30));
    assert_eq!(defaults.idle_timeout, Some(Duration::from_secs(600)));

    let pool = settings(&[
        ("DB_POOL_MAX", "4"),
        ("DB_POOL_MIN", "2"),
        ("DB_CONNECT_TIMEOUT", "2500"),
        ("DB_ACQUIRE_TIMEOUT", "5000"),
        ("DB_IDLE_TIMEOUT", "0"),
    ])
    .unwrap()
    .database
    .pool();
    assert_eq!(pool.max_connections, 4);
    assert_eq!(pool.min_connections, 2);
    assert_eq!(pool.connect_timeout, Duration::from_millis(2500));
    assert_eq!(pool.acquire_timeout, Duration::from_secs(5));
    assert_eq!(pool.idle_timeout, None, "0 keeps idle connections");

    for (pairs, named) in [
        (&[("DB_POOL_MAX", "0")][..], "DB_POOL_MAX"),
        (
            &[("DB_POOL_MAX", "3"), ("DB_POOL_MIN", "4")][..],
            "DB_POOL_MIN",
        ),
        (&[("DB_ACQUIRE_TIMEOUT", "10")][..], "DB_ACQUIRE_TIMEOUT"),
        (&[("DB_POOL_MAX", "many")][..], "DB_POOL_MAX"),
    ] {
        let error = settings(pairs).unwrap_err().to_string();
        assert!(error.contains(named), "{pairs:?}: {error}");
    }
}
