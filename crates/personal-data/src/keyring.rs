//! The keys as ciphers: sealing and opening values, and the blind index.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use elife_domain::privacy::mask_phone;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::keys::{
    DEVELOPMENT_DATA_KEY, DEVELOPMENT_INDEX_KEY, KEY_BYTES, KeyConfigError, KeyId, KeyMaterial,
    development_key_id, read_material,
};

const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
/// Hex characters of the blind index kept: 128 bits, no collision in any realistic table,
/// and short enough for an index column.
const INDEX_HEX_LEN: usize = 32;

/// What a sealed value cannot be opened for. Never carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("sealed with key {0:?}, which is not configured (PERSONAL_DATA_KEYS)")]
    UnknownKey(String),
    #[error("the sealed value is not base64 of nonce, ciphertext and tag")]
    Malformed,
    /// The wrong key, the wrong field, or a tampered ciphertext: GCM cannot tell them apart.
    #[error("the sealed value does not authenticate under key {0:?}")]
    Inauthentic(String),
    #[error("the opened value is not UTF-8")]
    NotText,
}

/// A phone number as an order row stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhone {
    /// `8811****`, for people reading the table with SQL.
    pub masked: String,
    /// `base64(nonce ‖ ciphertext ‖ tag)`.
    pub cipher: String,
    pub key_id: String,
    /// The blind index ([`Keyring::phone_index`]).
    pub index: String,
}

#[derive(Clone)]
struct DataKey {
    id: KeyId,
    cipher: Aes256Gcm,
}

/// The configured data keys (the first seals) and the blind index key.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<DataKey>,
    index: Hmac<Sha256>,
    development: bool,
}

/// Key ids only.
impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current_key_id())
            .field(
                "keys",
                &self
                    .keys
                    .iter()
                    .map(|key| key.id.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("index_key", &"***")
            .field("development", &self.development)
            .finish()
    }
}

impl Keyring {
    /// From `PERSONAL_DATA_KEYS` and `PERSONAL_DATA_INDEX_KEY` as `lookup` gives them (see
    /// [`crate::KEYS_VARIABLE`]): required in production, development keys otherwise.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        production: bool,
    ) -> Result<Keyring, KeyConfigError> {
        read_material(lookup, production).map(Keyring::from_material)
    }

    /// The public development keys (id `dev`): tests and local runs.
    pub fn development() -> Keyring {
        Keyring::from_material(KeyMaterial {
            data_keys: vec![(development_key_id(), *DEVELOPMENT_DATA_KEY)],
            index_key: DEVELOPMENT_INDEX_KEY.to_vec(),
            development: true,
        })
    }

    /// Explicit keys, the current one first (tests of rotation).
    pub fn with_keys(
        data_keys: &[(&str, [u8; KEY_BYTES])],
        index_key: &[u8],
    ) -> Result<Keyring, KeyConfigError> {
        let invalid = |reason: String| KeyConfigError::Invalid {
            name: crate::KEYS_VARIABLE,
            reason,
        };
        let mut keys = Vec::new();
        for (id, key) in data_keys {
            let id = KeyId::parse(id).ok_or_else(|| invalid(format!("bad key id {id:?}")))?;
            keys.push((id, *key));
        }
        if keys.is_empty() {
            return Err(invalid("lists no key".to_owned()));
        }
        if index_key.len() < KEY_BYTES {
            return Err(KeyConfigError::Invalid {
                name: crate::INDEX_KEY_VARIABLE,
                reason: format!("must be at least {KEY_BYTES} bytes"),
            });
        }
        Ok(Keyring::from_material(KeyMaterial {
            data_keys: keys,
            index_key: index_key.to_vec(),
            development: false,
        }))
    }

    fn from_material(material: KeyMaterial) -> Keyring {
        let keys = material
            .data_keys
            .into_iter()
            .map(|(id, key)| DataKey {
                id,
                cipher: Aes256Gcm::new(&key.into()),
            })
            .collect();
        let index = <Hmac<Sha256> as KeyInit>::new_from_slice(&material.index_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Keyring {
            keys,
            index,
            development: material.development,
        }
    }

    /// The key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        self.keys.first().map_or("", |key| key.id.as_str())
    }

    /// Every configured key id, the current one first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|key| key.id.as_str()).collect()
    }

    /// Whether a development key is in use (warn about it).
    pub fn uses_development_keys(&self) -> bool {
        self.development
    }

    /// Whether a value sealed with `key_id` should be sealed again with the current key.
    pub fn is_stale(&self, key_id: &str) -> bool {
        key_id != self.current_key_id()
    }

    /// Seals `plaintext` with the current key, bound to `context` (authenticated, not
    /// stored): the same context must be given to open it. Returns (key id, sealed).
    pub fn seal(&self, plaintext: &str, context: &str) -> (String, String) {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_else(|_| unreachable!("AES-GCM seals any short text"));
        let mut stored = Vec::with_capacity(NONCE_BYTES + sealed.len());
        stored.extend_from_slice(&nonce);
        stored.extend_from_slice(&sealed);
        (key.id.as_str().to_owned(), STANDARD.encode(stored))
    }

    /// Opens what [`Keyring::seal`] gave, with the key it names and the same context.
    pub fn open(&self, key_id: &str, sealed: &str, context: &str) -> Result<String, CipherError> {
        let key = self
            .keys
            .iter()
            .find(|key| key.id.as_str() == key_id)
            .ok_or_else(|| CipherError::UnknownKey(key_id.to_owned()))?;
        let bytes = STANDARD
            .decode(sealed.trim())
            .map_err(|_| CipherError::Malformed)?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(CipherError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| CipherError::Malformed)?;
        let plaintext = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Inauthentic(key_id.to_owned()))?;
        String::from_utf8(plaintext).map_err(|_| CipherError::NotText)
    }

    /// A keyed, deterministic digest of `value` within `kind` (so that equal values of
    /// different kinds do not match): truncated hex of HMAC-SHA-256.
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        let mut mac = self.index.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(INDEX_HEX_LEN);
        for byte in digest.iter().take(INDEX_HEX_LEN / 2) {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }

    /// The blind index of a phone number (trimmed), as stored in `orders.phone_index`.
    pub fn phone_index(&self, phone: &str) -> String {
        self.blind_index("phone", phone.trim())
    }

    /// A phone number as an order row stores it.
    pub fn seal_phone(&self, phone: &str) -> StoredPhone {
        let (key_id, cipher) = self.seal(phone, PHONE_CONTEXT);
        StoredPhone {
            masked: mask_phone(phone),
            cipher,
            key_id,
            index: self.phone_index(phone),
        }
    }

    /// The phone number from an order row's cipher and key id.
    pub fn open_phone(&self, key_id: &str, cipher: &str) -> Result<String, CipherError> {
        self.open(key_id, cipher, PHONE_CONTEXT)
    }
}

/// The associated data of phone ciphers: a value sealed for another field does not open as
/// a phone number. Not the order number: rows are copied under new numbers (the benchmark's
/// clones), and a copy must still open.
const PHONE_CONTEXT: &str = "orders.phone_number";

#[cfg(test)]
mod tests;
