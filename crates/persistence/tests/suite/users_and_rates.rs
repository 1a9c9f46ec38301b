use std::sync::Arc;

use chrono::TimeDelta;
use elife_domain::money::ExchangeRate;
use elife_domain::order::OpenId;
use elife_domain::ports::{CasOutcome, ExchangeRateRepository, UserRepository, WechatIdentity};
use elife_domain::testing::t0;
use elife_persistence::{SeaOrmExchangeRateRepository, SeaOrmUserRepository};
use rust_decimal_macros::dec;

use crate::common::TestDb;

fn identity(openid: &str, unionid: Option<&str>, appid: Option<&str>) -> WechatIdentity {
    WechatIdentity {
        openid: OpenId::parse(openid).unwrap(),
        unionid: unionid.map(str::to_owned),
        appid: appid.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_first_visit_creates_the_user_and_later_visits_refresh_it() {
    let test = TestDb::new().await;
    let users = SeaOrmUserRepository::new(test.db.clone());
    let created = users
        .upsert(&identity("o-1", None, Some("wx-app")), t0())
        .await
        .unwrap();
    assert_eq!(created.openid.as_str(), "o-1");
    assert_eq!(created.created_at, t0());
    assert_eq!(created.appid.as_deref(), Some("wx-app"));

    let later = t0() + TimeDelta::hours(1);
    let refreshed = users
        .upsert(&identity("o-1", Some("u-1"), None), later)
        .await
        .unwrap();
    assert_eq!(refreshed.created_at, t0());
    assert_eq!(refreshed.updated_at, later);
    assert_eq!(refreshed.unionid.as_deref(), Some("u-1"));
    // A missing appid does not erase the known one.
    assert_eq!(refreshed.appid.as_deref(), Some("wx-app"));
}

#[tokio::test]
async fn the_unionid_finds_the_same_person_under_another_openid() {
    let test = TestDb::new().await;
    let users = SeaOrmUserRepository::new(test.db.clone());
    users
        .upsert(&identity("o-app-a", Some("u-42"), Some("app-a")), t0())
        .await
        .unwrap();
    let found = users
        .upsert(
            &identity("o-app-b", Some("u-42"), Some("app-b")),
            t0() + TimeDelta::minutes(1),
        )
        .await
        .unwrap();
    assert_eq!(found.openid.as_str(), "o-app-a");
    assert_eq!(found.updated_at, t0() + TimeDelta::minutes(1));
    // As the old backend did, the app the person came from this time is recorded.
    assert_eq!(found.appid.as_deref(), Some("app-b"));
    // No second row was created.
    let again = users
        .upsert(
            &identity("o-app-a", None, None),
            t0() + TimeDelta::minutes(2),
        )
        .await
        .unwrap();
    assert_eq!(again.unionid.as_deref(), Some("u-42"));
    assert_eq!(again.appid.as_deref(), Some("app-b"));
    // Without an appid, the unionid match keeps the known one.
    let without_app = users
        .upsert(
            &identity("o-app-c", Some("u-42"), None),
            t0() + TimeDelta::minutes(3),
        )
        .await
        .unwrap();
    assert_eq!(without_app.openid.as_str(), "o-app-a");
    assert_eq!(without_app.appid.as_deref(), Some("app-b"));
}

#[tokio::test]
async fn concurrent_first_visits_of_one_user_all_succeed() {
    let test = TestDb::new().await;
    let users = Arc::new(SeaOrmUserRepository::new(test.db.clone()));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let users = Arc::clone(&users);
            tokio::spawn(async move { users.upsert(&identity("o-race", None, None), t0()).await })
        })
        .collect();
    for task in tasks {
        let user = task.await.unwrap().expect("every visit gets the user");
        assert_eq!(user.openid.as_str(), "o-race");
    }
}

#[tokio::test]
async fn the_seeded_rate_is_active_and_exact() {
    let test = TestDb::new().await;
    let rates = SeaOrmExchangeRateRepository::new(test.db.clone());
    let seeded = rates
        .active(ExchangeRate::MNT_TO_CNY)
        .await
        .unwrap()
        .expect("seeded by the migrations");
    assert_eq!(seeded.rate.value(), dec!(480.0000));
    assert_eq!(seeded.rate.value().to_string(), migration::SEED_MNT_TO_CNY);
    assert!(seeded.is_active);
    assert_eq!(rates.active("USD_TO_CNY").await.unwrap(), None);
}

#[tokio::test]
async fn setting_a_rate_round_trips_exactly_and_creates_missing_pairs() {
    let test = TestDb::new().await;
    let rates = SeaOrmExchangeRateRepository::new(test.db.clone());
    let mut now = t0() + TimeDelta::days(1);
    let mut current = ExchangeRate::new(dec!(480)).unwrap();
    for value in [
        dec!(470.1234),
        dec!(0.0001),
        dec!(999999.9999),
        dec!(481),
        dec!(481),
    ] {
        now += TimeDelta::seconds(1);
        let rate = ExchangeRate::new(value).unwrap();
        // The same value twice is a change too (MySQL counts changed rows: the time moves).
        let outcome = rates
            .set(ExchangeRate::MNT_TO_CNY, Some(current), rate, now, None)
            .await
            .unwrap();
        assert_eq!(outcome, CasOutcome::Won, "{value}");
        let active = rates
            .active(ExchangeRate::MNT_TO_CNY)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(active.rate.value(), value, "{value} changed in storage");
        assert_eq!(active.updated_at, now);
        current = rate;
    }

    let first = ExchangeRate::new(dec!(3450.5)).unwrap();
    let created = rates
        .set("MNT_TO_USD", None, first, now, None)
        .await
        .unwrap();
    assert_eq!(created, CasOutcome::Won);
    assert_eq!(
        rates
            .active("MNT_TO_USD")
            .await
            .unwrap()
            .unwrap()
            .rate
            .value()
            .to_string(),
        "3450.5000"
    );
}

#[tokio::test]
async fn a_rate_changed_meanwhile_is_not_overwritten() {
    let test = TestDb::new().await;
    let rates = SeaOrmExchangeRateRepository::new(test.db.clone());
    let seeded = ExchangeRate::new(dec!(480)).unwrap();
    let mine = ExchangeRate::new(dec!(490)).unwrap();
    let theirs = ExchangeRate::new(dec!(470)).unwrap();
    let now = t0() + TimeDelta::days(1);
    assert_eq!(
        rates
            .set(ExchangeRate::MNT_TO_CNY, Some(seeded), theirs, now, None)
            .await
            .unwrap(),
        CasOutcome::Won
    );
    // Decided on 480, which is no longer the rate.
    assert_eq!(
        rates
            .set(ExchangeRate::MNT_TO_CNY, Some(seeded), mine, now, None)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    // A pair that exists cannot be created again.
    assert_eq!(
        rates
            .set(ExchangeRate::MNT_TO_CNY, None, mine, now, None)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    let active = rates
        .active(ExchangeRate::MNT_TO_CNY)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.rate, theirs);
}

#[tokio::test]
async fn rates_at_the_limits_of_decimal_10_4_round_trip_exactly() {
    let test = TestDb::new().await;
    let rates = SeaOrmExchangeRateRepository::new(test.db.clone());
    let mut current = ExchangeRate::new(dec!(480)).unwrap();
    for value in [dec!(999999.9999), dec!(0.0001), dec!(470.1235)] {
        let rate = ExchangeRate::new(value).unwrap();
        let outcome = rates
            .set(ExchangeRate::MNT_TO_CNY, Some(current), rate, t0(), None)
            .await
            .unwrap();
        assert_eq!(outcome, CasOutcome::Won);
        current = rate;
        let active = rates
            .active(ExchangeRate::MNT_TO_CNY)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(active.rate.value(), value);
    }
}
