//! Personal data at rest: AES-256-GCM under rotating, named keys, and a keyed blind index
//! (HMAC-SHA-256) so that encrypted values can still be looked up.
//!
//! Pure: no I/O. Used by the persistence adapter (every write seals, every read opens) and
//! by the migration that encrypts the rows written before (both read their keys through
//! [`Keyring::from_lookup`], so the two cannot disagree on the configuration).
//!
//! ```
//! use elife_personal_data::Keyring;
//!
//! let keyring = Keyring::development();
//! let stored = keyring.seal_phone("88112233");
//! assert_eq!(stored.masked, "8811****");
//! let phone = keyring.open_phone(&stored.key_id, &stored.cipher).unwrap();
//! assert_eq!(phone, "88112233");
//! assert_eq!(stored.index, keyring.phone_index("88112233"));
//! ```
//!
//! - A sealed value is `base64(nonce ‖ ciphertext ‖ tag)` with a fresh random 96-bit nonce,
//!   stored next to the id of the key that sealed it. New values use the current key (the
//!   first of `PERSONAL_DATA_KEYS`); older keys stay listed to open older rows until they
//!   are re-sealed (`elife data rotate-keys`).
//! - The associated data names the field, so a value sealed for another field does not open
//!   as a phone number.
//! - The blind index has a key of its own and does not rotate with the data keys.

mod keyring;
mod keys;

pub use keyring::{CipherError, Keyring, StoredPhone};
pub use keys::{
    DEVELOPMENT_KEY_ID, INDEX_KEY_VARIABLE, KEY_BYTES, KEYS_VARIABLE, KeyConfigError, KeyId,
};
