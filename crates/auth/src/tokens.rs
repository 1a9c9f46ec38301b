//! Access tokens as HS256 JWTs: the domain's [`AccessTokenCodec`].
//!
//! Claims: `iss` = `elife`, `aud` = `shopper` | `admin`, `sub` (openid or admin id), `sid`
//! (the session), `iat`, `exp` (seconds). The audience is checked here, so a token issued
//! for one audience is refused for the other; expiry is checked against the caller's clock.

use std::fmt;

use chrono::{DateTime, Utc};
use elife_domain::accounts::tokens::{
    AccessClaims, AccessTokenCodec, Audience, SessionId, TokenError,
};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

const ISSUER: &str = "elife";

/// Shortest accepted signing secret, in bytes (HS256's key is 256 bits).
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtConfigError {
    #[error("JWT secret must be at least {MIN_SECRET_LEN} bytes, got {0}")]
    SecretTooShort(usize),
}

#[derive(Debug, Serialize, Deserialize)]
struct WireClaims {
    iss: String,
    aud: String,
    sub: String,
    sid: String,
    iat: i64,
    exp: i64,
}

/// Signs and verifies access tokens with one shared secret.
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for JwtCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtCodec { secret: <redacted> }")
    }
}

impl JwtCodec {
    pub fn new(secret: &[u8]) -> Result<Self, JwtConfigError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(JwtConfigError::SecretTooShort(secret.len()));
        }
        Ok(JwtCodec {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    fn validation() -> Validation {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry and audience are checked below, against the caller's clock and with an
        // error that says which one failed.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        validation
    }
}

fn timestamp(seconds: i64) -> Result<DateTime<Utc>, TokenError> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| TokenError::Malformed("timestamp out of range".into()))
}

impl AccessTokenCodec for JwtCodec {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let wire = WireClaims {
            iss: ISSUER.to_owned(),
            aud: claims.audience.as_str().to_owned(),
            sub: claims.subject.clone(),
            sid: claims.session.as_str().to_owned(),
            iat: claims.issued_at.timestamp(),
            exp: claims.expires_at.timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &wire, &self.encoding)
            .map_err(|error| TokenError::Issue(error.to_string()))
    }

    fn verify(
        &self,
        token: &str,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenError> {
        let data = jsonwebtoken::decode::<WireClaims>(token, &self.decoding, &Self::validation())
            .map_err(|error| {
            // The kind only: the error's text could quote the token.
            let kind = match error.kind() {
                ErrorKind::InvalidSignature => "signature",
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "algorithm",
                ErrorKind::InvalidIssuer => "issuer",
                ErrorKind::MissingRequiredClaim(_) => "missing claim",
                _ => "format",
            };
            TokenError::Malformed(kind.to_owned())
        })?;
        let wire = data.claims;
        let claimed: Audience = wire
            .aud
            .parse()
            .map_err(|_| TokenError::Malformed("audience".into()))?;
        if claimed != audience {
            return Err(TokenError::WrongAudience);
        }
        let expires_at = timestamp(wire.exp)?;
        if expires_at <= now {
            return Err(TokenError::Expired);
        }
        Ok(AccessClaims {
            audience: claimed,
            subject: wire.sub,
            session: SessionId::parse(&wire.sid)?,
            issued_at: timestamp(wire.iat)?,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 10, 18, 10, 0, 0).unwrap()
    }

    fn claims(audience: Audience) -> AccessClaims {
        AccessClaims {
            audience,
            subject: "o-subject".into(),
            session: SessionId::generate(),
            issued_at: t0(),
            expires_at: t0() + Duration::hours(2),
        }
    }

    #[test]
    fn a_token_round_trips() {
        let codec = JwtCodec::new(SECRET).unwrap();
        let issued = claims(Audience::Shopper);
        let token = codec.issue(&issued).unwrap();
        assert_eq!(token.split('.').count(), 3);
        let verified = codec
            .verify(&token, Audience::Shopper, t0() + Duration::minutes(1))
            .unwrap();
        assert_eq!(verified, issued);
    }

    #[test]
    fn a_token_of_one_audience_is_refused_for_the_other() {
        let codec = JwtCodec::new(SECRET).unwrap();
        let shopper = codec.issue(&claims(Audience::Shopper)).unwrap();
        let admin = codec.issue(&claims(Audience::Admin)).unwrap();
        assert_eq!(
            codec.verify(&shopper, Audience::Admin, t0()),
            Err(TokenError::WrongAudience)
        );
        assert_eq!(
            codec.verify(&admin, Audience::Shopper, t0()),
            Err(TokenError::WrongAudience)
        );
        assert!(codec.verify(&admin, Audience::Admin, t0()).is_ok());
    }

    #[test]
    fn expiry_is_checked_against_the_given_clock() {
        let codec = JwtCodec::new(SECRET).unwrap();
        let token = codec.issue(&claims(Audience::Shopper)).unwrap();
        let expiry = t0() + Duration::hours(2);
        assert!(
            codec
                .verify(&token, Audience::Shopper, expiry - Duration::seconds(1))
                .is_ok()
        );
        assert_eq!(
            codec.verify(&token, Audience::Shopper, expiry),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn another_secret_or_a_tampered_token_is_malformed() {
        let codec = JwtCodec::new(SECRET).unwrap();
        let other = JwtCodec::new(b"another-secret-another-secret-!!").unwrap();
        let token = codec.issue(&claims(Audience::Shopper)).unwrap();
        assert!(matches!(
            other.verify(&token, Audience::Shopper, t0()),
            Err(TokenError::Malformed(_))
        ));
        // Swap the payload for one claiming another subject, keeping the signature.
        let forged_claims = codec
            .issue(&AccessClaims {
                subject: "o-victim".into(),
                ..claims(Audience::Shopper)
            })
            .unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let forged_parts: Vec<&str> = forged_claims.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_parts[1], parts[2]);
        assert!(matches!(
            codec.verify(&forged, Audience::Shopper, t0()),
            Err(TokenError::Malformed(_))
        ));
        for garbage in ["", "a.b.c", "not a token"] {
            assert!(matches!(
                codec.verify(garbage, Audience::Shopper, t0()),
                Err(TokenError::Malformed(_))
            ));
        }
    }

    #[test]
    fn the_none_algorithm_is_refused() {
        use base64_url::encode;
        let codec = JwtCodec::new(SECRET).unwrap();
        let token = codec.issue(&claims(Audience::Shopper)).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let unsigned = format!("{}.{payload}.", encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert!(matches!(
            codec.verify(&unsigned, Audience::Shopper, t0()),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn short_secrets_are_refused_and_never_printed() {
        assert_eq!(
            JwtCodec::new(b"short").unwrap_err(),
            JwtConfigError::SecretTooShort(5)
        );
        let codec = JwtCodec::new(SECRET).unwrap();
        assert!(!format!("{codec:?}").contains("0123456789"));
    }

    /// Base64url without padding, enough for the test above.
    mod base64_url {
        pub fn encode(bytes: &[u8]) -> String {
            const ALPHABET: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
                let chars = chunk.len() + 1;
                for i in 0..chars {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
