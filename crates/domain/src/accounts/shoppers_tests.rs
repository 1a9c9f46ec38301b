use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;

use super::*;
use crate::accounts::profile::{FieldUpdate, Gender, Profile};
use crate::accounts::session_fakes::{InMemorySessions, InMemoryUsers, MovableClock, PlainCodec};
use crate::accounts::sessions::{SessionError, SessionTtls};
use crate::testing::t0;

struct Harness {
    service: ShopperService,
    users: InMemoryUsers,
    clock: MovableClock,
}

fn harness_with(wechat: MockWechatLogin, capacity: usize) -> Harness {
    let users = InMemoryUsers::default();
    let clock = MovableClock::at(t0());
    let sessions = Arc::new(SessionService::new(
        Arc::new(InMemorySessions::default()),
        Arc::new(PlainCodec),
        Arc::new(clock.clone()),
        SessionTtls::default(),
    ));
    let service = ShopperService::new(
        Arc::new(users.clone()),
        Arc::new(wechat),
        sessions,
        Arc::new(clock.clone()),
        capacity,
    );
    Harness {
        service,
        users,
        clock,
    }
}

fn harness() -> Harness {
    harness_with(MockWechatLogin::new(), 100)
}

fn openid(raw: &str) -> OpenId {
    OpenId::parse(raw).unwrap()
}

fn cloud(raw: &str, unionid: Option<&str>, appid: Option<&str>) -> WechatIdentity {
    WechatIdentity {
        openid: openid(raw),
        unionid: unionid.map(str::to_owned),
        appid: appid.map(str::to_owned),
    }
}

fn wechat_answering(answer: Result<WechatSession, LoginError>) -> MockWechatLogin {
    let mut wechat = MockWechatLogin::new();
    wechat
        .expect_code_to_session()
        .returning(move |_| answer.clone());
    wechat
}

fn session_of(raw: &str) -> WechatSession {
    WechatSession {
        openid: openid(raw),
        unionid: None,
        appid: Some("wx-app".into()),
    }
}

#[tokio::test]
async fn login_stores_the_user_and_opens_a_shopper_session() {
    let h = harness_with(wechat_answering(Ok(session_of("o-login"))), 100);
    let login = h.service.login("code-1").await.unwrap();
    assert_eq!(login.user.openid.as_str(), "o-login");
    assert_eq!(login.user.appid.as_deref(), Some("wx-app"));
    assert_eq!(login.session.subject, "o-login");
    assert_eq!(h.users.writes(), 1);
    let claims = h
        .service
        .sessions()
        .authenticate(&login.session.tokens.access_token, Audience::Shopper)
        .await
        .unwrap();
    assert_eq!(claims.subject, "o-login");

    // A second login of the same, unchanged user opens a session without writing.
    h.service.login("code-2").await.unwrap();
    assert_eq!(h.users.writes(), 1);
}

#[tokio::test]
async fn login_errors_say_whose_fault_it_is() {
    let cases = [
        (LoginError::InvalidCode("40163".into()), "InvalidCode"),
        (LoginError::Throttled, "LoginThrottled"),
        (
            LoginError::Misconfigured("40125".into()),
            "WechatUnavailable",
        ),
        (LoginError::Unavailable("-1".into()), "WechatUnavailable"),
    ];
    for (error, expected) in cases {
        let h = harness_with(wechat_answering(Err(error)), 100);
        let result = h.service.login("code").await;
        let got = match result {
            Err(ShopperError::InvalidCode(_)) => "InvalidCode",
            Err(ShopperError::LoginThrottled) => "LoginThrottled",
            Err(ShopperError::WechatUnavailable) => "WechatUnavailable",
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(got, expected);
        assert_eq!(h.users.writes(), 0);
    }
}

#[tokio::test]
async fn a_malformed_code_never_reaches_wechat() {
    // The mock has no expectation: a call would panic.
    let h = harness();
    for bad in ["", "  ", "with space", &"x".repeat(129)] {
        assert!(matches!(
            h.service.login(bad).await,
            Err(ShopperError::Validation(_))
        ));
    }
}

#[tokio::test]
async fn a_storage_failure_during_login_is_a_storage_error() {
    let h = harness_with(wechat_answering(Ok(session_of("o-1"))), 100);
    h.users.storage_down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.service.login("code").await,
        Err(ShopperError::Storage(_))
    ));
}

#[tokio::test]
async fn recognise_writes_once_then_answers_from_memory() {
    let h = harness();
    let identity = cloud("o-cloud", None, Some("wx-app"));
    for _ in 0..20 {
        h.clock.advance(Duration::seconds(1));
        let openid = h.service.recognise(&identity).await.unwrap();
        assert_eq!(openid.as_str(), "o-cloud");
    }
    assert_eq!(h.users.writes(), 1);
    // Only the first call read the database.
    assert_eq!(h.users.reads.load(Ordering::SeqCst), 1);
    assert_eq!(
        h.users.row("o-cloud").unwrap().updated_at,
        t0() + Duration::seconds(1)
    );
}

#[tokio::test]
async fn recognise_writes_again_only_when_the_identity_changes() {
    let h = harness();
    h.service
        .recognise(&cloud("o-1", None, Some("app-a")))
        .await
        .unwrap();
    h.service
        .recognise(&cloud("o-1", Some("u-1"), Some("app-a")))
        .await
        .unwrap();
    assert_eq!(h.users.writes(), 2);
    assert_eq!(h.users.row("o-1").unwrap().unionid.as_deref(), Some("u-1"));
    // Less information than stored (no appid header) changes nothing: read, no write.
    h.service
        .recognise(&cloud("o-1", None, None))
        .await
        .unwrap();
    assert_eq!(h.users.writes(), 2);
}

#[tokio::test]
async fn another_instance_reads_before_writing() {
    let h = harness();
    h.service
        .recognise(&cloud("o-1", None, Some("app")))
        .await
        .unwrap();
    // A second instance (an empty cache) on the same storage.
    let second = ShopperService::new(
        Arc::new(h.users.clone()),
        Arc::new(MockWechatLogin::new()),
        Arc::clone(h.service.sessions()),
        Arc::new(h.clock.clone()),
        100,
    );
    second
        .recognise(&cloud("o-1", None, Some("app")))
        .await
        .unwrap();
    assert_eq!(h.users.writes(), 1);
}

#[tokio::test]
async fn recognise_finds_the_person_by_unionid_across_apps() {
    let h = harness();
    h.service
        .recognise(&cloud("o-app-a", Some("u-42"), Some("app-a")))
        .await
        .unwrap();
    let openid = h
        .service
        .recognise(&cloud("o-app-b", Some("u-42"), Some("app-a")))
        .await
        .unwrap();
    assert_eq!(openid.as_str(), "o-app-a");
    assert_eq!(h.users.writes(), 1);
}

#[tokio::test]
async fn the_identity_cache_is_bounded() {
    let h = harness_with(MockWechatLogin::new(), 3);
    for n in 0..50 {
        h.service
            .recognise(&cloud(&format!("o-{n}"), None, None))
            .await
            .unwrap();
        assert!(h.service.recognised_count() <= 6);
    }
    // A forgotten identity is read again, not rewritten.
    let writes = h.users.writes();
    h.service
        .recognise(&cloud("o-0", None, None))
        .await
        .unwrap();
    assert_eq!(h.users.writes(), writes);
}

#[tokio::test]
async fn a_storage_failure_while_recognising_is_not_cached() {
    let h = harness();
    h.users.storage_down.store(true, Ordering::SeqCst);
    let identity = cloud("o-1", None, None);
    assert!(matches!(
        h.service.recognise(&identity).await,
        Err(ShopperError::Storage(_))
    ));
    h.users.storage_down.store(false, Ordering::SeqCst);
    h.service.recognise(&identity).await.unwrap();
    assert_eq!(h.users.writes(), 1);
}

#[tokio::test]
async fn profile_updates_are_validated_and_merged() {
    let h = harness();
    let me = h
        .service
        .recognise(&cloud("o-1", None, None))
        .await
        .unwrap();
    let updated = h
        .service
        .update_profile(
            &me,
            ProfileUpdate {
                nickname: FieldUpdate::Set("小明".into()),
                avatar_url: FieldUpdate::Set("https://thirdwx.qlogo.cn/a/132".into()),
                gender: FieldUpdate::Set("1".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        updated.profile,
        Profile {
            nickname: Some("小明".into()),
            avatar_url: Some("https://thirdwx.qlogo.cn/a/132".into()),
            gender: Some(Gender::Male),
        }
    );
    let refused = h
        .service
        .update_profile(
            &me,
            ProfileUpdate {
                nickname: FieldUpdate::Set("x".repeat(33)),
                ..ProfileUpdate::default()
            },
        )
        .await;
    assert!(matches!(refused, Err(ShopperError::Validation(_))));
    assert_eq!(
        h.service.me(&me).await.unwrap().profile.nickname.as_deref(),
        Some("小明")
    );
    let cleared = h
        .service
        .update_profile(
            &me,
            ProfileUpdate {
                gender: FieldUpdate::Clear,
                ..ProfileUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.profile.gender, None);
    assert_eq!(cleared.profile.nickname.as_deref(), Some("小明"));
}

#[tokio::test]
async fn me_of_an_unknown_user_is_not_found() {
    let h = harness();
    assert!(matches!(
        h.service.me(&openid("nobody")).await,
        Err(ShopperError::NotFound)
    ));
    assert!(matches!(
        h.service
            .update_profile(&openid("nobody"), ProfileUpdate::default())
            .await,
        Err(ShopperError::NotFound)
    ));
}

#[tokio::test]
async fn session_errors_pass_through_login() {
    let h = harness_with(wechat_answering(Ok(session_of("o-1"))), 100);
    let login = h.service.login("code").await.unwrap();
    h.service
        .sessions()
        .logout(
            Audience::Shopper,
            crate::accounts::sessions::LogoutCredential::Session(login.session.session.clone()),
        )
        .await
        .unwrap();
    let refreshed = h
        .service
        .sessions()
        .refresh(Audience::Shopper, &login.session.tokens.refresh_token)
        .await;
    assert!(matches!(refreshed, Err(SessionError::Ended)));
}

#[test]
fn secrets_do_not_print() {
    let code = LoginCode::parse("0a1b2c3d").unwrap();
    assert!(!format!("{code:?}").contains("0a1b2c3d"));
    let session = WechatSession {
        openid: openid("o-secret-openid"),
        unionid: Some("u-secret".into()),
        appid: None,
    };
    let printed = format!("{session:?}");
    assert!(!printed.contains("o-secret-openid") && !printed.contains("u-secret"));
}
