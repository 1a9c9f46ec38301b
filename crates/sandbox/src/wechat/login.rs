//! Mini-program login, as `https://api.weixin.qq.com/sns/jscode2session` answers it
//! (小程序登录 `code2Session`):
//!
//! `GET /sns/jscode2session?appid=APPID&secret=SECRET&js_code=CODE&grant_type=authorization_code`
//! answers HTTP 200 and JSON in every case (labelled `text/plain`, as WeChat does):
//! `{"openid","session_key","unionid"?}` on success, `{"errcode","errmsg"}` on failure —
//! 41002/41004/41008 for a missing appid/secret/code, 40013 for an unknown appid, 40125 for
//! a wrong secret, 40002 for another grant type, 40029 for an unknown or expired code,
//! 40163 for a code already used, -1 when busy (an injected fault).
//!
//! Where codes come from (WeChat mints them in `wx.login()`; here):
//! - `POST /__sandbox/wechat/login-codes {"openid", "unionid"?}` → `{"code", "openid",
//!   "unionid", "expires_in": 300}`: a random code valid five minutes on the simulator's clock;
//! - any code of the form `sim:<openid>` or `sim:<openid>@<anything>` (no minting needed,
//!   handy in a local walk-through): it logs in `<openid>`, without unionid.
//!
//! Every code is single-use, minted or not.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::control::{WechatFault, take_fault};
use super::server::{SimState, lock};

/// How long a minted code is valid, as WeChat documents.
const CODE_LIFETIME_SECONDS: i64 = 300;
/// Prefix of the codes accepted without minting.
pub const UNMINTED_CODE_PREFIX: &str = "sim:";
/// The fault-injection name of this API.
pub const API_NAME: &str = "jscode2session";

#[derive(Debug, Clone)]
struct MintedCode {
    openid: String,
    unionid: Option<String>,
    expires_at: DateTime<Utc>,
}

/// Codes minted and codes spent.
#[derive(Debug, Default)]
pub(crate) struct LoginCodes {
    minted: HashMap<String, MintedCode>,
    used: HashSet<String>,
}

impl LoginCodes {
    pub(crate) fn mint(
        &mut self,
        openid: &str,
        unionid: Option<&str>,
        now: DateTime<Utc>,
    ) -> String {
        let random: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        // The real codes start with a digit and are 32 characters long.
        let code = format!("0{}", &random[1..]);
        self.minted.insert(
            code.clone(),
            MintedCode {
                openid: openid.to_owned(),
                unionid: unionid.map(str::to_owned),
                expires_at: now + ChronoDuration::seconds(CODE_LIFETIME_SECONDS),
            },
        );
        code
    }

    /// Spends a code: who it logs in, or the errcode.
    fn redeem(
        &mut self,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<MintedCode, (i64, &'static str)> {
        if self.used.contains(code) {
            return Err((40163, "code been used"));
        }
        let found = match self.minted.remove(code) {
            Some(minted) if minted.expires_at > now => Some(minted),
            Some(_) => None,
            None => code
                .strip_prefix(UNMINTED_CODE_PREFIX)
                .map(|rest| rest.split('@').next().unwrap_or_default())
                .filter(|openid| !openid.is_empty())
                .map(|openid| MintedCode {
                    openid: openid.to_owned(),
                    unionid: None,
                    expires_at: now,
                }),
        };
        match found {
            Some(minted) => {
                self.used.insert(code.to_owned());
                Ok(minted)
            }
            None => Err((40029, "invalid code")),
        }
    }
}

/// Body of `POST /__sandbox/wechat/login-codes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintCodeRequest {
    pub openid: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

fn wechat_error(errcode: i64, errmsg: &str) -> HttpResponse {
    // WeChat appends a request id to every message.
    let rid: u32 = rand::rng().random();
    HttpResponse::Ok().content_type("text/plain").body(
        json!({ "errcode": errcode, "errmsg": format!("{errmsg}, rid: {rid:08x}") }).to_string(),
    )
}

pub(crate) async fn jscode2session(
    query: web::Query<HashMap<String, String>>,
    state: web::Data<SimState>,
) -> HttpResponse {
    let param = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let fault = take_fault(&state, API_NAME);
    match fault {
        Some(WechatFault::Http500) => return HttpResponse::InternalServerError().finish(),
        Some(WechatFault::SystemBusy | WechatFault::SystemError | WechatFault::NotBound) => {
            return wechat_error(-1, "system error");
        }
        Some(WechatFault::EmptyAnswer) => return HttpResponse::Ok().finish(),
        Some(WechatFault::Slow { delay_ms }) => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        Some(WechatFault::LostAnswer) | None => {}
    }
    let Some(appid) = param("appid") else {
        return wechat_error(41002, "appid missing");
    };
    let Some(secret) = param("secret") else {
        return wechat_error(41004, "appsecret missing");
    };
    let Some(code) = param("js_code") else {
        return wechat_error(41008, "missing code");
    };
    if appid != state.appid {
        return wechat_error(40013, "invalid appid");
    }
    if secret != state.app_secret {
        return wechat_error(40125, "invalid appsecret");
    }
    if param("grant_type") != Some("authorization_code") {
        return wechat_error(40002, "invalid grant_type");
    }
    let now = state.clock.now();
    let redeemed = lock(&state.login_codes).redeem(code, now);
    if fault == Some(WechatFault::LostAnswer) {
        // The code is spent, the answer lost.
        return HttpResponse::InternalServerError().finish();
    }
    match redeemed {
        Err((errcode, errmsg)) => wechat_error(errcode, errmsg),
        Ok(minted) => {
            let session_key: String = rand::rng()
                .sample_iter(&Alphanumeric)
                .take(24)
                .map(char::from)
                .collect();
            let mut answer = json!({ "openid": minted.openid, "session_key": session_key });
            if let Some(unionid) = minted.unionid {
                answer["unionid"] = json!(unionid);
            }
            HttpResponse::Ok()
                .content_type("text/plain")
                .body(answer.to_string())
        }
    }
}

pub(crate) async fn mint_code(
    body: web::Json<MintCodeRequest>,
    state: web::Data<SimState>,
) -> HttpResponse {
    let request = body.into_inner();
    if request.openid.trim().is_empty() {
        return HttpResponse::BadRequest().json(json!({ "error": "openid is required" }));
    }
    let code = lock(&state.login_codes).mint(
        &request.openid,
        request.unionid.as_deref(),
        state.clock.now(),
    );
    HttpResponse::Ok().json(json!({
        "code": code,
        "openid": request.openid,
        "unionid": request.unionid,
        "expires_in": CODE_LIFETIME_SECONDS,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 18, 10, 0, 0).unwrap()
    }

    #[test]
    fn a_minted_code_logs_in_once_within_five_minutes() {
        let mut codes = LoginCodes::default();
        let code = codes.mint("o-1", Some("u-1"), t0());
        assert_eq!(code.len(), 32);
        let minted = codes.redeem(&code, t0()).unwrap();
        assert_eq!(minted.openid, "o-1");
        assert_eq!(minted.unionid.as_deref(), Some("u-1"));
        assert_eq!(codes.redeem(&code, t0()).unwrap_err().0, 40163);

        let late = codes.mint("o-1", None, t0());
        assert_eq!(
            codes
                .redeem(&late, t0() + ChronoDuration::seconds(300))
                .unwrap_err()
                .0,
            40029
        );
    }

    #[test]
    fn unminted_codes_name_their_openid_and_are_single_use_too() {
        let mut codes = LoginCodes::default();
        assert_eq!(codes.redeem("sim:o-alice", t0()).unwrap().openid, "o-alice");
        assert_eq!(codes.redeem("sim:o-alice", t0()).unwrap_err().0, 40163);
        assert_eq!(
            codes.redeem("sim:o-alice@2", t0()).unwrap().openid,
            "o-alice"
        );
        assert_eq!(codes.redeem("sim:", t0()).unwrap_err().0, 40029);
        assert_eq!(codes.redeem("random", t0()).unwrap_err().0, 40029);
    }
}
