//! `elife data rotate-keys`: moves every order's phone number to the current personal-data
//! key, so that an old key can be removed from `PERSONAL_DATA_KEYS`.

use clap::Subcommand;
use elife_persistence::{PhoneKeyRotation, RotationReport};

use crate::cli::CliError;
use crate::configuration::Settings;
use crate::startup::connect_database;

#[derive(Debug, Subcommand)]
pub enum DataAction {
    /// Re-encrypt phone numbers sealed with an older key (or still in plaintext) under the
    /// current key, the first of PERSONAL_DATA_KEYS. Safe to run while the service runs and
    /// to run again; each row is a compare-and-set.
    RotateKeys {
        /// Re-encrypt every row and recompute its blind index (after changing
        /// PERSONAL_DATA_INDEX_KEY).
        #[arg(long)]
        reindex: bool,
        /// Rows read per query.
        #[arg(long, default_value_t = PhoneKeyRotation::DEFAULT_BATCH)]
        batch: u64,
    },
}

pub async fn run(settings: &Settings, action: DataAction) -> Result<(), CliError> {
    match action {
        DataAction::RotateKeys { reindex, batch } => {
            let db = connect_database(settings).await?;
            let keyring = settings.personal_data.keyring.clone();
            eprintln!(
                "re-encrypting phone numbers under key {:?} (configured: {:?})",
                keyring.current_key_id(),
                keyring.key_ids()
            );
            let report = PhoneKeyRotation::new(db, keyring)
                .run(reindex, batch)
                .await
                .map_err(|error| CliError::Other(format!("rotation stopped: {error}")))?;
            println!("{}", describe(&report));
            if report.failures.is_empty() {
                Ok(())
            } else {
                Err(CliError::Other(format!(
                    "{} rows could not be decrypted (is their key still in PERSONAL_DATA_KEYS?)",
                    report.failures.len()
                )))
            }
        }
    }
}

fn describe(report: &RotationReport) -> String {
    let mut text = format!(
        "examined {}, re-encrypted {}, plaintext encrypted {}, changed meanwhile (left alone) {}",
        report.examined, report.resealed, report.sealed_plaintext, report.changed_meanwhile
    );
    for failure in &report.failures {
        text.push_str(&format!("\nfailed: {failure}"));
    }
    text
}
