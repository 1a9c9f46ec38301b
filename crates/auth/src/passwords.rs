//! Argon2id password hashes in PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
//!
//! Parameters: OWASP's recommended minimum for argon2id (19 MiB of memory, 2 passes, one
//! lane): tens of milliseconds per hash on a server core, which is what an attacker pays
//! per guess too. A stored hash carries its own parameters, so raising them later keeps old
//! hashes verifiable.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{
    self, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use elife_domain::accounts::admins::{PasswordHashError, PasswordHasher};

/// OWASP (2023) minimum for argon2id: m=19456 KiB, t=2, p=1.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// The argon2id hasher of admin passwords.
#[derive(Clone)]
pub struct Argon2Passwords {
    argon2: Argon2<'static>,
}

impl std::fmt::Debug for Argon2Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Argon2Passwords(argon2id)")
    }
}

impl Default for Argon2Passwords {
    fn default() -> Self {
        Self::new()
    }
}

impl Argon2Passwords {
    pub fn new() -> Self {
        // The constants are valid parameters; `Params::DEFAULT` is the same triple.
        let params =
            Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or(Params::DEFAULT);
        Argon2Passwords {
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        }
    }

    /// A real hash of a random password, made once: verifying against it costs exactly what
    /// verifying a real account's hash costs.
    fn dummy_hash(&self) -> &'static str {
        static DUMMY: OnceLock<String> = OnceLock::new();
        DUMMY.get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            self.argon2
                .hash_password(salt.as_str().as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .unwrap_or_default()
        })
    }
}

fn hash_error(error: password_hash::Error) -> PasswordHashError {
    PasswordHashError(error.to_string())
}

impl PasswordHasher for Argon2Passwords {
    fn hash(&self, password: &str) -> Result<String, PasswordHashError> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(hash_error)
    }

    /// Uses the parameters stored in `hash`; the comparison of digests is constant-time
    /// (`password_hash::Output` compares with `subtle`).
    fn verify(&self, password: &str, hash: &str) -> Result<bool, PasswordHashError> {
        let parsed = PasswordHash::new(hash).map_err(hash_error)?;
        match self.argon2.verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(password_hash::Error::Password) => Ok(false),
            Err(other) => Err(hash_error(other)),
        }
    }

    fn verify_dummy(&self, password: &str) {
        // The answer is meaningless; only the time spent matters.
        let _ = self.verify(password, self.dummy_hash());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_owasp_parameters_and_fresh_salts() {
        let hasher = Argon2Passwords::new();
        let one = hasher.hash("correct horse battery").unwrap();
        let two = hasher.hash("correct horse battery").unwrap();
        assert!(one.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{one}");
        assert_ne!(one, two, "each hash has its own salt");
        assert!(!one.contains("correct horse"));
    }

    #[test]
    fn only_the_right_password_verifies() {
        let hasher = Argon2Passwords::new();
        let hash = hasher.hash("correct horse battery").unwrap();
        assert_eq!(hasher.verify("correct horse battery", &hash), Ok(true));
        assert_eq!(hasher.verify("correct horse batterY", &hash), Ok(false));
        assert_eq!(hasher.verify("", &hash), Ok(false));
    }

    #[test]
    fn a_malformed_stored_hash_is_an_error_not_a_match() {
        let hasher = Argon2Passwords::new();
        assert!(hasher.verify("anything", "not-a-phc-string").is_err());
        assert!(hasher.verify("anything", "").is_err());
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        // A hash made with weaker parameters (e.g. before they were raised).
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = weak
            .hash_password(b"an older passphrase", &salt)
            .unwrap()
            .to_string();
        let hasher = Argon2Passwords::new();
        assert_eq!(hasher.verify("an older passphrase", &old), Ok(true));
        assert_eq!(hasher.verify("another passphrase", &old), Ok(false));
    }

    #[test]
    fn the_dummy_verification_costs_about_as_much_as_a_real_one() {
        let hasher = Argon2Passwords::new();
        let hash = hasher.hash("correct horse battery").unwrap();
        hasher.verify_dummy("warm up the dummy hash");
        let time = |f: &dyn Fn()| {
            let started = Instant::now();
            for _ in 0..3 {
                f();
            }
            started.elapsed()
        };
        let real = time(&|| {
            let _ = hasher.verify("wrong guess", &hash);
        });
        let dummy = time(&|| hasher.verify_dummy("wrong guess"));
        let ratio = dummy.as_secs_f64() / real.as_secs_f64();
        assert!(
            // Wide bounds: the machine may be busy; a skipped verification would be ~1000x off.
            (0.2..5.0).contains(&ratio),
            "dummy {dummy:?} vs real {real:?}"
        );
    }
}
