//! The caller's own account: `GET /users/me` and `PATCH /users/me`.

use actix_web::{HttpResponse, get, patch, web};
use chrono::{DateTime, Utc};
use elife_domain::accounts::profile::{FieldUpdate, ProfileUpdate};
use elife_domain::ports::User;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::State;
use crate::http::envelope::{self, ApiError, Envelope, ErrorEnvelope};
use crate::http::identity::CurrentUser;
use crate::http::views::js_time;

/// The stored user.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub openid: String,
    pub unionid: Option<String>,
    pub appid: Option<String>,
    #[schema(example = "小明")]
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    /// `male`, `female`, `unknown`, or `null` when never set.
    #[schema(example = "female")]
    pub gender: Option<String>,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            openid: user.openid.to_string(),
            unionid: user.unionid.clone(),
            appid: user.appid.clone(),
            nickname: user.profile.nickname.clone(),
            avatar_url: user.profile.avatar_url.clone(),
            gender: user.profile.gender.map(|gender| gender.as_str().to_owned()),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// Only the fields sent change; `null` clears one.
#[derive(ToSchema)]
#[schema(example = json!({"nickname": "小明", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/abc/132", "gender": "female"}))]
#[allow(dead_code)] // The OpenAPI description of the body, read as a JSON object.
pub struct ProfilePatchBody {
    /// 1 to 32 characters.
    nickname: Option<String>,
    /// An http(s) URL of at most 512 characters.
    #[schema(rename = "avatarUrl")]
    avatar_url: Option<String>,
    /// `male`, `female`, `unknown` (or WeChat's 1, 2, 0).
    gender: Option<String>,
}

const PROFILE_FIELDS: [&str; 3] = ["nickname", "avatarUrl", "gender"];

/// One field of the body: absent (keep), `null` (clear), or a value.
fn field(
    body: &Map<String, Value>,
    name: &str,
    numbers_allowed: bool,
    problems: &mut Vec<String>,
) -> FieldUpdate<String> {
    match body.get(name) {
        None => FieldUpdate::Keep,
        Some(Value::Null) => FieldUpdate::Clear,
        Some(Value::String(text)) => FieldUpdate::Set(text.clone()),
        Some(Value::Number(number)) if numbers_allowed => FieldUpdate::Set(number.to_string()),
        Some(_) => {
            problems.push(format!("{name} must be a string or null"));
            FieldUpdate::Keep
        }
    }
}

fn profile_update(body: &Map<String, Value>) -> Result<ProfileUpdate, ApiError> {
    let mut problems: Vec<String> = body
        .keys()
        .filter(|key| !PROFILE_FIELDS.contains(&key.as_str()))
        .map(|key| format!("property {key} should not exist"))
        .collect();
    let update = ProfileUpdate {
        nickname: field(body, "nickname", false, &mut problems),
        avatar_url: field(body, "avatarUrl", false, &mut problems),
        gender: field(body, "gender", true, &mut problems),
    };
    if problems.is_empty() {
        Ok(update)
    } else {
        Err(ApiError::bad_request(problems.join("; ")))
    }
}

#[utoipa::path(
    tag = "users",
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    responses(
        (status = 200, description = "the caller's account", body = Envelope<UserView>),
        (status = 401, description = "not identified: no Cloud Hosting identity and no valid access token", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable while identifying the caller or reading: retry", body = ErrorEnvelope),
    )
)]
#[get("/users/me")]
pub async fn me(state: State, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let stored = state.accounts.shoppers.me(&user.openid).await?;
    Ok(envelope::ok(UserView::from(&stored)))
}

#[utoipa::path(
    tag = "users",
    security(("cloud_hosting" = []), ("shopper_bearer" = [])),
    request_body = ProfilePatchBody,
    responses(
        (status = 200, description = "the account with its new profile", body = Envelope<UserView>),
        (status = 400, description = "a field too long, not a URL, an unknown gender or property", body = ErrorEnvelope),
        (status = 401, description = "not identified", body = ErrorEnvelope),
        (status = 503, description = "storage unavailable: retry", body = ErrorEnvelope),
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    state: State,
    user: CurrentUser,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    let update = profile_update(&body)?;
    let stored = state
        .accounts
        .shoppers
        .update_profile(&user.openid, update)
        .await?;
    Ok(envelope::ok(UserView::from(&stored)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn absent_null_and_values_are_told_apart() {
        let update = profile_update(&body(json!({"nickname": "a", "gender": null}))).unwrap();
        assert_eq!(update.nickname, FieldUpdate::Set("a".into()));
        assert_eq!(update.avatar_url, FieldUpdate::Keep);
        assert_eq!(update.gender, FieldUpdate::Clear);
        let numeric = profile_update(&body(json!({"gender": 2}))).unwrap();
        assert_eq!(numeric.gender, FieldUpdate::Set("2".into()));
    }

    #[test]
    fn wrong_types_and_unknown_properties_are_refused_together() {
        let error = profile_update(&body(json!({"nickname": 5, "openid": "x"}))).unwrap_err();
        assert!(
            error.message.contains("nickname must be a string"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("openid should not exist"),
            "{}",
            error.message
        );
    }
}
