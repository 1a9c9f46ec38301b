//! What a shopper tells about themself: nickname, avatar and gender, bounded and checked
//! here so that every adapter stores the same thing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest nickname, in characters (WeChat's own limit is in this range).
pub const NICKNAME_MAX_CHARS: usize = 32;
/// Longest avatar URL, in bytes.
pub const AVATAR_URL_MAX_LEN: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Unknown,
    Male,
    Female,
}

impl Gender {
    pub const ALL: [Gender; 3] = [Gender::Unknown, Gender::Male, Gender::Female];

    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Unknown => "unknown",
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }

    /// WeChat's numeric code (`userInfo.gender`).
    fn wechat_code(self) -> &'static str {
        match self {
            Gender::Unknown => "0",
            Gender::Male => "1",
            Gender::Female => "2",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Gender {
    type Err = ProfileError;
    /// `male`, `female`, `unknown`, or WeChat's codes `1`, `2`, `0`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Gender::ALL
            .into_iter()
            .find(|gender| gender.as_str().eq_ignore_ascii_case(s) || gender.wechat_code() == s)
            .ok_or_else(|| ProfileError(format!("gender {s:?} must be male, female or unknown")))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(pub String);

/// A shopper's profile; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    pub gender: Option<Gender>,
}

/// One field of a partial update: left alone, cleared, or set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FieldUpdate<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> FieldUpdate<T> {
    fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            FieldUpdate::Keep => current,
            FieldUpdate::Clear => None,
            FieldUpdate::Set(value) => Some(value),
        }
    }
}

/// A `PATCH` of the profile as it arrived (raw strings, checked by [`ProfileUpdate::apply_to`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub nickname: FieldUpdate<String>,
    pub avatar_url: FieldUpdate<String>,
    pub gender: FieldUpdate<String>,
}

impl ProfileUpdate {
    pub fn is_empty(&self) -> bool {
        matches!(
            (&self.nickname, &self.avatar_url, &self.gender),
            (FieldUpdate::Keep, FieldUpdate::Keep, FieldUpdate::Keep)
        )
    }

    /// The profile after this update, or every problem found (one message).
    pub fn apply_to(self, current: Profile) -> Result<Profile, ProfileError> {
        let mut problems = Vec::new();
        let nickname = check(self.nickname, nickname, &mut problems);
        let avatar_url = check(self.avatar_url, avatar_url, &mut problems);
        let gender = check(self.gender, |raw| raw.parse::<Gender>(), &mut problems);
        if !problems.is_empty() {
            return Err(ProfileError(problems.join("; ")));
        }
        Ok(Profile {
            nickname: nickname.apply(current.nickname),
            avatar_url: avatar_url.apply(current.avatar_url),
            gender: gender.apply(current.gender),
        })
    }
}

fn check<T>(
    update: FieldUpdate<String>,
    parse: impl Fn(&str) -> Result<T, ProfileError>,
    problems: &mut Vec<String>,
) -> FieldUpdate<T> {
    match update {
        FieldUpdate::Keep => FieldUpdate::Keep,
        FieldUpdate::Clear => FieldUpdate::Clear,
        FieldUpdate::Set(raw) => match parse(&raw) {
            Ok(value) => FieldUpdate::Set(value),
            Err(ProfileError(problem)) => {
                problems.push(problem);
                FieldUpdate::Keep
            }
        },
    }
}

/// Trimmed, 1 to [`NICKNAME_MAX_CHARS`] characters, no control characters.
pub fn nickname(raw: &str) -> Result<String, ProfileError> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > NICKNAME_MAX_CHARS {
        return Err(ProfileError(format!(
            "nickname must be 1 to {NICKNAME_MAX_CHARS} characters (send null to clear it)"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ProfileError(
            "nickname must not contain control characters".to_owned(),
        ));
    }
    Ok(trimmed.to_owned())
}

/// An `https://` (or `http://`) URL of at most [`AVATAR_URL_MAX_LEN`] bytes, without spaces.
pub fn avatar_url(raw: &str) -> Result<String, ProfileError> {
    let trimmed = raw.trim();
    if trimmed.len() > AVATAR_URL_MAX_LEN {
        return Err(ProfileError(format!(
            "avatarUrl must be at most {AVATAR_URL_MAX_LEN} characters"
        )));
    }
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    let valid = rest.is_some_and(|rest| {
        !rest.is_empty() && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    if !valid {
        return Err(ProfileError(
            "avatarUrl must be an http(s) URL without spaces".to_owned(),
        ));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_reads_names_and_wechat_codes() {
        for gender in Gender::ALL {
            assert_eq!(gender.as_str().parse::<Gender>(), Ok(gender));
            assert_eq!(gender.wechat_code().parse::<Gender>(), Ok(gender));
        }
        assert_eq!("Female".parse::<Gender>(), Ok(Gender::Female));
        assert!("3".parse::<Gender>().is_err());
        assert!("other".parse::<Gender>().is_err());
    }

    #[test]
    fn nickname_is_bounded_in_characters_not_bytes() {
        assert_eq!(nickname("  小明 ").unwrap(), "小明");
        // 32 four-byte characters are fine, 33 are not.
        assert!(nickname(&"😀".repeat(NICKNAME_MAX_CHARS)).is_ok());
        assert!(nickname(&"😀".repeat(NICKNAME_MAX_CHARS + 1)).is_err());
        assert!(nickname("   ").is_err());
        assert!(nickname("a\u{0}b").is_err());
    }

    #[test]
    fn avatar_url_must_be_a_bounded_http_url() {
        assert!(avatar_url("https://thirdwx.qlogo.cn/mmopen/abc/132").is_ok());
        assert!(avatar_url("javascript:alert(1)").is_err());
        assert!(avatar_url("https://").is_err());
        assert!(avatar_url("https://a b").is_err());
        let long = format!("https://{}", "a".repeat(AVATAR_URL_MAX_LEN));
        assert!(avatar_url(&long).is_err());
    }

    #[test]
    fn an_update_keeps_clears_or_sets_each_field() {
        let current = Profile {
            nickname: Some("old".into()),
            avatar_url: Some("https://a/1".into()),
            gender: Some(Gender::Male),
        };
        let update = ProfileUpdate {
            nickname: FieldUpdate::Set(" new ".into()),
            avatar_url: FieldUpdate::Clear,
            gender: FieldUpdate::Keep,
        };
        assert_eq!(
            update.apply_to(current.clone()).unwrap(),
            Profile {
                nickname: Some("new".into()),
                avatar_url: None,
                gender: Some(Gender::Male),
            }
        );
        assert!(ProfileUpdate::default().is_empty());
        assert_eq!(
            ProfileUpdate::default().apply_to(current.clone()).unwrap(),
            current
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let update = ProfileUpdate {
            nickname: FieldUpdate::Set(String::new()),
            avatar_url: FieldUpdate::Set("ftp://x".into()),
            gender: FieldUpdate::Set("x".into()),
        };
        let ProfileError(message) = update.apply_to(Profile::default()).unwrap_err();
        assert!(message.contains("nickname"), "{message}");
        assert!(message.contains("avatarUrl"), "{message}");
        assert!(message.contains("gender"), "{message}");
    }
}
