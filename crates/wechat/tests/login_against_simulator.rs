//! The `jscode2session` client against the simulator: codes minted or named, single use,
//! wrong credentials, a busy WeChat.

use elife_domain::accounts::shoppers::{LoginCode, LoginError, WechatLogin};
use elife_sandbox::wechat::{
    LOGIN_API_NAME, RunningWechatSim, WechatFault, WechatPaySimulator, WechatSimConfig,
};
use elife_wechat::{WechatLoginClient, WechatLoginConfig};

async fn simulator() -> RunningWechatSim {
    WechatPaySimulator::start(WechatSimConfig::default())
        .await
        .expect("simulator starts")
}

fn client(sim: &RunningWechatSim, secret: Option<&str>) -> WechatLoginClient {
    let (appid, real_secret) = sim.login_credentials();
    WechatLoginClient::new(
        WechatLoginConfig::new(appid, secret.unwrap_or(&real_secret)).with_base_url(sim.url()),
    )
    .unwrap()
}

fn code(raw: &str) -> LoginCode {
    LoginCode::parse(raw).unwrap()
}

#[tokio::test]
async fn a_minted_code_logs_in_once() {
    let sim = simulator().await;
    let client = client(&sim, None);
    let minted = sim.login_code("o-minted", Some("u-minted"));
    let session = client.code_to_session(&code(&minted)).await.unwrap();
    assert_eq!(session.openid.as_str(), "o-minted");
    assert_eq!(session.unionid.as_deref(), Some("u-minted"));
    assert_eq!(session.appid, Some(sim.login_credentials().0));

    let again = client.code_to_session(&code(&minted)).await;
    assert!(
        matches!(again, Err(LoginError::InvalidCode(_))),
        "{again:?}"
    );
    let unknown = client.code_to_session(&code("0unknowncode")).await;
    assert!(matches!(unknown, Err(LoginError::InvalidCode(_))));
    sim.stop().await;
}

#[tokio::test]
async fn a_named_code_logs_in_its_openid() {
    let sim = simulator().await;
    let client = client(&sim, None);
    let session = client.code_to_session(&code("sim:o-named")).await.unwrap();
    assert_eq!(session.openid.as_str(), "o-named");
    assert_eq!(session.unionid, None);
    sim.stop().await;
}

#[tokio::test]
async fn wrong_credentials_are_a_configuration_fault() {
    let sim = simulator().await;
    let wrong_secret = client(&sim, Some("not-the-secret"));
    let result = wrong_secret.code_to_session(&code("sim:o-1")).await;
    assert!(
        matches!(result, Err(LoginError::Misconfigured(ref m)) if m.contains("40125")),
        "{result:?}"
    );

    let wrong_app = WechatLoginClient::new(
        WechatLoginConfig::new("wx-unknown", sim.login_credentials().1).with_base_url(sim.url()),
    )
    .unwrap();
    let result = wrong_app.code_to_session(&code("sim:o-1")).await;
    assert!(
        matches!(result, Err(LoginError::Misconfigured(ref m)) if m.contains("40013")),
        "{result:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_busy_or_failing_wechat_is_unavailable() {
    let sim = simulator().await;
    let client = client(&sim, None);
    sim.inject_fault(LOGIN_API_NAME, WechatFault::SystemBusy, 1);
    sim.inject_fault(LOGIN_API_NAME, WechatFault::Http500, 1);
    for _ in 0..2 {
        let result = client.code_to_session(&code("sim:o-busy@1")).await;
        assert!(
            matches!(result, Err(LoginError::Unavailable(_))),
            "{result:?}"
        );
    }
    // The code was not spent by the failures.
    client.code_to_session(&code("sim:o-busy@1")).await.unwrap();
    sim.stop().await;
}
