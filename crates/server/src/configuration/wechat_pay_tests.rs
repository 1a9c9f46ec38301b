//! `PAY_CHANNEL` and the API v3 settings: defaults by channel, production refusals that
//! name the variable, no secret in `Debug` or in an error.

use std::collections::HashMap;
use std::io::Write;

use super::super::{ConfigError, Settings};
use super::*;

type Vars = Vec<(String, String)>;

fn settings(vars: &[(String, String)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = vars.iter().cloned().collect();
    Settings::from_lookup(|name| map.get(name).cloned())
}

fn pairs(raw: &[(&str, &str)]) -> Vars {
    raw.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Production without the payment settings (Unitel, tokens and personal data are set).
const PRODUCTION: &[(&str, &str)] = &[
    ("ELIFE_ENV", "production"),
    ("JWT_SECRET", "test-jwt-secret-0123456789abcdef-0123456789"),
    ("UNITEL_USERNAME", "u"),
    ("UNITEL_PASSWORD", "p"),
    (
        "PERSONAL_DATA_KEYS",
        "k1:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
    ),
    (
        "PERSONAL_DATA_INDEX_KEY",
        "SUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUlJSUk=",
    ),
];

const APIV3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

fn pem_file(pem: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(pem.as_bytes()).expect("written");
    file
}

fn merchant_key_file() -> tempfile::NamedTempFile {
    pem_file(elife_sandbox::wechat_pay_v3::sandbox_merchant_private_key_pem())
}

fn public_key_file() -> tempfile::NamedTempFile {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../wechatpay/testdata/java_wechat_pay_public_key.pem"
    ))
    .expect("test public key");
    pem_file(&pem)
}

/// Production with a complete v3 merchant (the key file must outlive the settings).
fn production_v3(key: &tempfile::NamedTempFile) -> Vars {
    let mut all = pairs(PRODUCTION);
    all.extend(pairs(&[
        ("PAY_CHANNEL", "v3"),
        ("WECHAT_PAY_APP_ID", "wxd2565e6a04246fd1"),
        ("WECHAT_PAY_MCH_ID", "1900009191"),
        (
            "WECHAT_PAY_SERIAL_NO",
            "5A1D8E3C0F4B6A7D9E2C1B0A3F5E7D9C8B6A4E21",
        ),
        ("WECHAT_PAY_APIV3_KEY", APIV3_KEY),
        (
            "WECHAT_PAY_NOTIFY_URL",
            "https://pay.example.com/payment/notify/wechat",
        ),
    ]));
    with(
        all,
        "WECHAT_PAY_PRIVATE_KEY_PATH",
        &key.path().display().to_string(),
    )
}

fn without(mut all: Vars, name: &str) -> Vars {
    all.retain(|(k, _)| k != name);
    all
}

fn with(all: Vars, name: &str, value: &str) -> Vars {
    let mut all = without(all, name);
    all.push((name.to_owned(), value.to_owned()));
    all
}

fn error_naming(all: &[(String, String)], name: &str) -> String {
    let error = settings(all).expect_err("refused").to_string();
    assert!(error.contains(name), "{name}: {error}");
    error
}

#[test]
fn the_channel_is_cloud_by_default_and_keeps_its_api_url() {
    let cloud = settings(&[]).unwrap();
    assert_eq!(cloud.wechat_pay.channel, PayChannel::Cloud);
    assert!(cloud.wechat_pay.v3.is_none());
    assert_eq!(cloud.wechat.api_url, "http://api.weixin.qq.com/_/pay");

    let custom = settings(&pairs(&[(
        "WECHAT_PAY_API_URL",
        "http://127.0.0.1:9/_/pay",
    )]))
    .unwrap();
    assert_eq!(custom.wechat.api_url, "http://127.0.0.1:9/_/pay");
    // Nothing of v3 is read with cloud: not even a broken key stops it.
    let ignored = settings(&pairs(&[
        (
            "WECHAT_PAY_PRIVATE_KEY_PATH",
            "/nonexistent/apiclient_key.pem",
        ),
        ("WECHAT_PAY_APIV3_KEY", "short"),
    ]))
    .unwrap();
    assert!(ignored.wechat_pay.v3.is_none());
}

#[test]
fn with_v3_the_api_url_is_v3s_and_cloud_keeps_its_default() {
    let v3 = settings(&pairs(&[("PAY_CHANNEL", "v3")])).unwrap();
    assert_eq!(v3.wechat_pay.channel, PayChannel::V3);
    let merchant = v3.wechat_pay.v3.as_ref().unwrap();
    assert_eq!(merchant.api_url, "https://api.mch.weixin.qq.com");
    assert_eq!(merchant.platform_certificates, PlatformCertificates::Auto);
    assert_eq!(v3.wechat.api_url, "http://api.weixin.qq.com/_/pay");

    let simulated = settings(&pairs(&[
        ("PAY_CHANNEL", "V3"),
        ("WECHAT_PAY_API_URL", "http://127.0.0.1:9"),
    ]))
    .unwrap();
    assert_eq!(
        simulated.wechat_pay.v3.unwrap().api_url,
        "http://127.0.0.1:9"
    );
    assert_eq!(simulated.wechat.api_url, "http://api.weixin.qq.com/_/pay");
}

#[test]
fn unknown_values_are_refused_by_name() {
    error_naming(&pairs(&[("PAY_CHANNEL", "v2")]), "PAY_CHANNEL");
    error_naming(
        &pairs(&[("PAY_CHANNEL", "v3"), ("WECHAT_PAY_PLATFORM_CERTS", "on")]),
        "WECHAT_PAY_PLATFORM_CERTS",
    );
}

#[test]
fn development_without_v3_credentials_uses_the_sandbox() {
    let v3 = settings(&pairs(&[("PAY_CHANNEL", "v3")])).unwrap();
    assert!(v3.uses_sandbox());
    // Cloud Hosting's credentials do not count with v3; v3's do.
    let key = merchant_key_file();
    let mut all = without(production_v3(&key), "ELIFE_ENV");
    assert!(!settings(&all).unwrap().uses_sandbox());
    all = without(all, "WECHAT_PAY_APIV3_KEY");
    assert!(settings(&all).unwrap().uses_sandbox());
}

#[test]
fn development_without_the_sandbox_needs_the_credentials_too() {
    let error = error_naming(
        &pairs(&[("PAY_CHANNEL", "v3"), ("SANDBOX", "off")]),
        "WECHAT_PAY_APP_ID",
    );
    assert!(error.contains("sandbox"), "{error}");
}

#[test]
fn production_with_a_complete_v3_merchant_starts_without_cloud_hosting_settings() {
    let key = merchant_key_file();
    let production = settings(&production_v3(&key)).unwrap();
    assert!(!production.uses_sandbox());
    let merchant = production.wechat_pay.v3.as_ref().unwrap();
    assert_eq!(merchant.apiv3_key(), Some(APIV3_KEY));
    assert_eq!(
        merchant.refund_notify_url.as_deref(),
        Some("https://pay.example.com/payment/notify/wechat/refund"),
        "the refund URL defaults to the notify URL's /refund"
    );
    let explicit = settings(&with(
        production_v3(&key),
        "WECHAT_PAY_REFUND_NOTIFY_URL",
        "https://pay.example.com/refunds",
    ))
    .unwrap();
    assert_eq!(
        explicit.wechat_pay.v3.unwrap().refund_notify_url.as_deref(),
        Some("https://pay.example.com/refunds")
    );
}

#[test]
fn production_refuses_each_missing_credential_by_name() {
    let key = merchant_key_file();
    for name in [
        "WECHAT_PAY_APP_ID",
        "WECHAT_PAY_MCH_ID",
        "WECHAT_PAY_SERIAL_NO",
        "WECHAT_PAY_PRIVATE_KEY_PATH",
        "WECHAT_PAY_APIV3_KEY",
        "WECHAT_PAY_NOTIFY_URL",
    ] {
        let error = settings(&without(production_v3(&key), name)).unwrap_err();
        assert!(
            matches!(&error, ConfigError::MissingInProduction { name: named, .. } if *named == name),
            "{name}: {error}"
        );
    }
}

#[test]
fn production_refuses_an_unreadable_or_invalid_key_by_name() {
    let key = merchant_key_file();
    let error = error_naming(
        &with(
            production_v3(&key),
            "WECHAT_PAY_PRIVATE_KEY_PATH",
            "/nonexistent/apiclient_key.pem",
        ),
        "WECHAT_PAY_PRIVATE_KEY_PATH",
    );
    assert!(error.contains("/nonexistent/apiclient_key.pem"), "{error}");

    let garbage =
        pem_file("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    let error = error_naming(
        &with(
            production_v3(&key),
            "WECHAT_PAY_PRIVATE_KEY_PATH",
            &garbage.path().display().to_string(),
        ),
        "WECHAT_PAY_PRIVATE_KEY_PATH",
    );
    assert!(!error.contains("bm90IGEga2V5"), "{error}");

    let both = with(
        production_v3(&key),
        "WECHAT_PAY_PRIVATE_KEY",
        elife_sandbox::wechat_pay_v3::sandbox_merchant_private_key_pem(),
    );
    error_naming(&both, "WECHAT_PAY_PRIVATE_KEY");
}

#[test]
fn the_apiv3_key_must_have_32_bytes_and_is_never_printed() {
    let key = merchant_key_file();
    let short = "short-secret-apiv3-key";
    let error = error_naming(
        &with(production_v3(&key), "WECHAT_PAY_APIV3_KEY", short),
        "WECHAT_PAY_APIV3_KEY",
    );
    assert!(!error.contains(short), "{error}");
}

#[test]
fn an_inline_key_works_with_escaped_line_breaks() {
    let key = merchant_key_file();
    let inline =
        elife_sandbox::wechat_pay_v3::sandbox_merchant_private_key_pem().replace('\n', "\\n");
    let all = with(
        without(production_v3(&key), "WECHAT_PAY_PRIVATE_KEY_PATH"),
        "WECHAT_PAY_PRIVATE_KEY",
        &inline,
    );
    let production = settings(&all).unwrap();
    let merchant = production.wechat_pay.v3.unwrap();
    assert_eq!(
        merchant.private_key.as_ref().map(|key| key.setting),
        Some("WECHAT_PAY_PRIVATE_KEY")
    );
}

#[test]
fn debug_shows_no_secret() {
    let key = merchant_key_file();
    let production = settings(&production_v3(&key)).unwrap();
    let printed = format!("{production:?}");
    assert!(!printed.contains(APIV3_KEY), "{printed}");
    assert!(!printed.contains("PRIVATE KEY"), "{printed}");
    assert!(printed.contains("1900009191"), "{printed}");
}

#[test]
fn production_notify_urls_are_https_without_a_query() {
    let key = merchant_key_file();
    for (name, url) in [
        (
            "WECHAT_PAY_NOTIFY_URL",
            "http://pay.example.com/payment/notify/wechat",
        ),
        (
            "WECHAT_PAY_NOTIFY_URL",
            "https://pay.example.com/notify?order=1",
        ),
        (
            "WECHAT_PAY_REFUND_NOTIFY_URL",
            "http://pay.example.com/refund",
        ),
        ("WECHAT_PAY_NOTIFY_URL", "not a url"),
    ] {
        error_naming(&with(production_v3(&key), name, url), name);
    }
}

#[test]
fn the_public_key_comes_with_its_id_and_replaces_certificates_only_when_set() {
    let key = merchant_key_file();
    let public = public_key_file();
    let path = public.path().display().to_string();
    error_naming(
        &with(production_v3(&key), "WECHAT_PAY_PUBLIC_KEY_PATH", &path),
        "WECHAT_PAY_PUBLIC_KEY_ID",
    );
    error_naming(
        &with(
            production_v3(&key),
            "WECHAT_PAY_PUBLIC_KEY_ID",
            "PUB_KEY_ID_0114232134912410000000000000",
        ),
        "WECHAT_PAY_PUBLIC_KEY_PATH",
    );
    let wrong_id = with(
        with(production_v3(&key), "WECHAT_PAY_PUBLIC_KEY_PATH", &path),
        "WECHAT_PAY_PUBLIC_KEY_ID",
        "1234",
    );
    error_naming(&wrong_id, "WECHAT_PAY_PUBLIC_KEY_ID");
    let unreadable = with(
        with(
            production_v3(&key),
            "WECHAT_PAY_PUBLIC_KEY_PATH",
            "/nonexistent/pub_key.pem",
        ),
        "WECHAT_PAY_PUBLIC_KEY_ID",
        "PUB_KEY_ID_0114232134912410000000000000",
    );
    error_naming(&unreadable, "WECHAT_PAY_PUBLIC_KEY_PATH");

    let certificates_off = with(production_v3(&key), "WECHAT_PAY_PLATFORM_CERTS", "off");
    error_naming(&certificates_off, "WECHAT_PAY_PUBLIC_KEY_PATH");
    let public_key_only = with(
        with(certificates_off, "WECHAT_PAY_PUBLIC_KEY_PATH", &path),
        "WECHAT_PAY_PUBLIC_KEY_ID",
        "PUB_KEY_ID_0114232134912410000000000000",
    );
    let settings = settings(&public_key_only).unwrap();
    let merchant = settings.wechat_pay.v3.unwrap();
    assert_eq!(merchant.platform_certificates, PlatformCertificates::Off);
    assert_eq!(
        merchant.public_key.map(|key| key.id),
        Some("PUB_KEY_ID_0114232134912410000000000000".to_owned())
    );
}

#[test]
fn cloud_in_production_still_needs_its_own_credentials() {
    let error = settings(&pairs(PRODUCTION)).unwrap_err();
    assert!(
        matches!(
            &error,
            ConfigError::MissingInProduction {
                name: "WECHAT_ENV_ID",
                ..
            }
        ),
        "{error}"
    );
}
