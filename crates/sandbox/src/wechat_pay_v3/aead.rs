//! AEAD_AES_256_GCM with the APIv3 key, as notification resources and downloaded
//! certificates are encrypted: a 12-character nonce, `associated_data`, and
//! `ciphertext` = base64(ciphertext ‖ 16-byte tag).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::ids::random_alnum;

#[derive(Debug, thiserror::Error)]
pub enum AeadError {
    #[error("the APIv3 key must be 32 bytes, not {0}")]
    KeyLength(usize),
    #[error("AES-GCM encryption failed")]
    Encrypt,
}

/// An encrypted object in WeChat's layout (`resource` of notifications,
/// `encrypt_certificate` of `/v3/certificates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Encrypted {
    pub algorithm: &'static str,
    pub ciphertext: String,
    pub associated_data: String,
    pub nonce: String,
}

/// Checks the key once at start, so that encryption later cannot fail on it.
pub(crate) fn check_key(apiv3_key: &str) -> Result<(), AeadError> {
    match apiv3_key.len() {
        32 => Ok(()),
        other => Err(AeadError::KeyLength(other)),
    }
}

pub(crate) fn encrypt(
    apiv3_key: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<Encrypted, AeadError> {
    let cipher = Aes256Gcm::new_from_slice(apiv3_key.as_bytes())
        .map_err(|_| AeadError::KeyLength(apiv3_key.len()))?;
    let nonce = random_alnum(12);
    let mut nonce_bytes = [0u8; 12];
    nonce_bytes.copy_from_slice(nonce.as_bytes());
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce_bytes),
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| AeadError::Encrypt)?;
    Ok(Encrypted {
        algorithm: "AEAD_AES_256_GCM",
        ciphertext: STANDARD.encode(sealed),
        associated_data: associated_data.to_owned(),
        nonce,
    })
}
