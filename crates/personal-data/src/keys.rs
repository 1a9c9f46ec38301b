//! The keys' configuration: `PERSONAL_DATA_KEYS` and `PERSONAL_DATA_INDEX_KEY`, parsed in
//! one place for the server and the migration.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// `id:base64,id:base64,…`: the data keys, the current (sealing) one first.
pub const KEYS_VARIABLE: &str = "PERSONAL_DATA_KEYS";
/// base64 of the blind index's key (at least [`KEY_BYTES`] bytes).
pub const INDEX_KEY_VARIABLE: &str = "PERSONAL_DATA_INDEX_KEY";
/// AES-256: 32-byte keys.
pub const KEY_BYTES: usize = 32;
/// The id of the development key, which is public and never accepted in production.
pub const DEVELOPMENT_KEY_ID: &str = "dev";

/// Development only, written in the source, therefore no secret at all.
pub(crate) const DEVELOPMENT_DATA_KEY: &[u8; KEY_BYTES] = b"elife-DEVELOPMENT-key-NOT-SECRET";
/// Development only, written in the source, therefore no secret at all.
pub(crate) const DEVELOPMENT_INDEX_KEY: &[u8; KEY_BYTES] = b"elife-dev-blind-index-NOT-SECRET";

/// Longest key id; ids are stored in every row.
const MAX_KEY_ID_LEN: usize = 16;

/// A key configuration that is missing or malformed; names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyConfigError {
    #[error("{name} must be set in production: {why}")]
    MissingInProduction {
        name: &'static str,
        why: &'static str,
    },
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The name of a data key, stored in each row it sealed: `[A-Za-z0-9_-]{1,16}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(raw: &str) -> Option<KeyId> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_KEY_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        valid.then(|| KeyId(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Key material as configured, before it becomes ciphers. Not `Debug`: it is the secret.
pub(crate) struct KeyMaterial {
    /// The current key first.
    pub data_keys: Vec<(KeyId, [u8; KEY_BYTES])>,
    pub index_key: Vec<u8>,
    /// Whether any of the two fell back to the development keys.
    pub development: bool,
}

/// Reads both variables. In production both are required and the development keys are
/// refused; in development a missing one falls back to its development key, and the
/// development data key stays readable (not current) beside configured keys.
pub(crate) fn read_material(
    lookup: impl Fn(&str) -> Option<String>,
    production: bool,
) -> Result<KeyMaterial, KeyConfigError> {
    let get = |name: &str| {
        lookup(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let mut development = false;
    let mut data_keys = match get(KEYS_VARIABLE) {
        Some(spec) => parse_data_keys(&spec)?,
        None if production => {
            return Err(KeyConfigError::MissingInProduction {
                name: KEYS_VARIABLE,
                why: "phone numbers are encrypted at rest; give `id:base64-of-32-bytes` (e.g. \
                      `k1:$(openssl rand -base64 32)`)",
            });
        }
        None => {
            development = true;
            Vec::new()
        }
    };
    let index_key = match get(INDEX_KEY_VARIABLE) {
        Some(encoded) => {
            let key = decode(INDEX_KEY_VARIABLE, "the index key", &encoded)?;
            if key.len() < KEY_BYTES {
                return Err(invalid(
                    INDEX_KEY_VARIABLE,
                    format!(
                        "must be at least {KEY_BYTES} bytes of base64, got {}",
                        key.len()
                    ),
                ));
            }
            key
        }
        None if production => {
            return Err(KeyConfigError::MissingInProduction {
                name: INDEX_KEY_VARIABLE,
                why: "phone numbers are looked up by a keyed index; give base64 of 32 random \
                      bytes (`openssl rand -base64 32`)",
            });
        }
        None => {
            development = true;
            DEVELOPMENT_INDEX_KEY.to_vec()
        }
    };
    if production {
        if data_keys
            .iter()
            .any(|(id, key)| id.as_str() == DEVELOPMENT_KEY_ID || key == DEVELOPMENT_DATA_KEY)
        {
            return Err(invalid(
                KEYS_VARIABLE,
                "the development key is public and not allowed in production".to_owned(),
            ));
        }
        if index_key.as_slice() == DEVELOPMENT_INDEX_KEY {
            return Err(invalid(
                INDEX_KEY_VARIABLE,
                "the development key is public and not allowed in production".to_owned(),
            ));
        }
    } else if !data_keys
        .iter()
        .any(|(id, _)| id.as_str() == DEVELOPMENT_KEY_ID)
    {
        // Last: the development key seals only when nothing else is configured.
        data_keys.push((development_key_id(), *DEVELOPMENT_DATA_KEY));
    }
    Ok(KeyMaterial {
        data_keys,
        index_key,
        development,
    })
}

pub(crate) fn development_key_id() -> KeyId {
    KeyId(DEVELOPMENT_KEY_ID.to_owned())
}

fn parse_data_keys(spec: &str) -> Result<Vec<(KeyId, [u8; KEY_BYTES])>, KeyConfigError> {
    let mut keys: Vec<(KeyId, [u8; KEY_BYTES])> = Vec::new();
    for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (id, encoded) = entry.split_once(':').ok_or_else(|| {
            invalid(
                KEYS_VARIABLE,
                "expected `id:base64,id:base64` (the current key first)".to_owned(),
            )
        })?;
        let id = KeyId::parse(id.trim()).ok_or_else(|| {
            invalid(
                KEYS_VARIABLE,
                format!(
                    "key id {:?} must be 1 to {MAX_KEY_ID_LEN} of A-Z a-z 0-9 _ -",
                    id.trim()
                ),
            )
        })?;
        if keys.iter().any(|(known, _)| *known == id) {
            return Err(invalid(
                KEYS_VARIABLE,
                format!("key id {id} is listed twice"),
            ));
        }
        let key = decode(KEYS_VARIABLE, &format!("key {id}"), encoded.trim())?;
        let key: [u8; KEY_BYTES] = key.as_slice().try_into().map_err(|_| {
            invalid(
                KEYS_VARIABLE,
                format!(
                    "key {id} must be exactly {KEY_BYTES} bytes of base64, got {}",
                    key.len()
                ),
            )
        })?;
        keys.push((id, key));
    }
    if keys.is_empty() {
        return Err(invalid(KEYS_VARIABLE, "lists no key".to_owned()));
    }
    Ok(keys)
}

/// Standard or URL-safe base64, padded or not. The error never repeats the value.
fn decode(name: &'static str, what: &str, encoded: &str) -> Result<Vec<u8>, KeyConfigError> {
    let unpadded = encoded.trim_end_matches('=');
    let padded = format!("{unpadded}{}", "=".repeat((4 - unpadded.len() % 4) % 4));
    STANDARD
        .decode(&padded)
        .or_else(|_| URL_SAFE.decode(&padded))
        .map_err(|_| invalid(name, format!("{what} is not base64")))
}

fn invalid(name: &'static str, reason: String) -> KeyConfigError {
    KeyConfigError::Invalid { name, reason }
}
