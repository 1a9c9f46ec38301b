//! Keys of personal data at rest: `PERSONAL_DATA_KEYS` (`id:base64,…`, the current key
//! first) and `PERSONAL_DATA_INDEX_KEY`. Parsed by `elife_personal_data`, as the migration
//! that encrypts existing rows parses them.

use elife_personal_data::{KeyConfigError, Keyring};

use super::{ConfigError, Environment};

/// The keyring prints its key ids only.
#[derive(Debug, Clone)]
pub struct PersonalDataSettings {
    pub keyring: Keyring,
}

impl PersonalDataSettings {
    /// Required in production (a missing or short key names its variable); development
    /// falls back to the public development keys (key id `dev`).
    pub fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        environment: Environment,
    ) -> Result<PersonalDataSettings, ConfigError> {
        let keyring =
            Keyring::from_lookup(get, environment.is_production()).map_err(
                |error| match error {
                    KeyConfigError::MissingInProduction { name, why } => {
                        ConfigError::MissingInProduction {
                            name,
                            why: why.to_owned(),
                        }
                    }
                    KeyConfigError::Invalid { name, reason } => {
                        ConfigError::Invalid { name, reason }
                    }
                },
            )?;
        Ok(PersonalDataSettings { keyring })
    }
}
