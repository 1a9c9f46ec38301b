//! The personal-data keys of migrations that seal or open rows: the variables the server
//! reads (`PERSONAL_DATA_KEYS`, `PERSONAL_DATA_INDEX_KEY`), parsed by the same library.

use elife_personal_data::Keyring;
use sea_orm_migration::DbErr;

/// The keys from the process environment (the server has loaded `.env` into it by then).
/// Production (`ELIFE_ENV`, or the old `NODE_ENV`, set to `production`/`prod`) requires
/// both; elsewhere the public development keys stand in.
pub fn keyring_from_env() -> Result<Keyring, DbErr> {
    let lookup = |name: &str| std::env::var(name).ok();
    Keyring::from_lookup(lookup, is_production(lookup))
        .map_err(|error| DbErr::Migration(format!("personal data keys: {error}")))
}

fn is_production(lookup: impl Fn(&str) -> Option<String>) -> bool {
    let environment = lookup("ELIFE_ENV")
        .filter(|value| !value.trim().is_empty())
        .or_else(|| lookup("NODE_ENV"));
    matches!(
        environment.as_deref().map(str::trim),
        Some("production" | "prod")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_is_read_as_the_server_reads_it() {
        let of = |pairs: &'static [(&'static str, &'static str)]| {
            is_production(move |name: &str| {
                pairs
                    .iter()
                    .find(|(known, _)| *known == name)
                    .map(|(_, value)| (*value).to_owned())
            })
        };
        assert!(of(&[("ELIFE_ENV", "production")]));
        assert!(of(&[("NODE_ENV", "prod")]));
        assert!(of(&[("ELIFE_ENV", " "), ("NODE_ENV", "production")]));
        assert!(!of(&[
            ("ELIFE_ENV", "development"),
            ("NODE_ENV", "production")
        ]));
        assert!(!of(&[]));
    }
}
