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
    ("UNITEL_USERNAME", "u"),
    ("UNITEL_PASSWORD", "p"),
    ("WECHAT_ENV_ID", "prod-1"),
    ("WECHAT_MCH_ID", "1712734762"),
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
    let example = include_str!("../../../.env.example");
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
