//! `elife admin create|reset-password|disable`: admin accounts from the command line,
//! through the same use cases as the API, audited as the actor `cli`.
//!
//! The password is read from `ELIFE_ADMIN_PASSWORD`, else from standard input (one line);
//! never from an argument, which would land in shell history and the process list.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use clap::Subcommand;
use elife_domain::accounts::admin_service::{AdminChanges, CreateAdmin};
use elife_domain::accounts::admin_sessions::{AdminSessionError, AdminSessions};
use elife_domain::accounts::admins::{AdminAccount, Role};
use elife_domain::accounts::audit::{AdminAct, AuditActor};
use elife_domain::ports::{Clock, SystemClock};

use super::CliError;
use crate::configuration::Settings;
use crate::startup::connect_database;

/// Where the password comes from when the variable is not set.
pub const PASSWORD_VARIABLE: &str = "ELIFE_ADMIN_PASSWORD";

#[derive(Debug, Clone, Subcommand)]
pub enum AdminAction {
    /// Create an admin account (password from ELIFE_ADMIN_PASSWORD or stdin, 12+ characters).
    Create {
        #[arg(long)]
        username: String,
        /// super_admin, admin, operator or viewer.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Set a new password (from ELIFE_ADMIN_PASSWORD or stdin); clears a lock and ends the
    /// account's sessions.
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// Disable an account (never the last enabled super admin); ends its sessions.
    Disable {
        #[arg(long)]
        username: String,
    },
}

/// The password of `ELIFE_ADMIN_PASSWORD`, else the first line of standard input.
pub fn read_password() -> Result<String, CliError> {
    if let Ok(password) = std::env::var(PASSWORD_VARIABLE)
        && !password.is_empty()
    {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (input is shown; prefer {PASSWORD_VARIABLE}): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|error| CliError::Other(format!("cannot read the password: {error}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(CliError::Other(format!(
            "no password: set {PASSWORD_VARIABLE} or pass it on standard input"
        )));
    }
    Ok(password)
}

fn refused(error: AdminSessionError) -> CliError {
    CliError::Other(error.to_string())
}

/// Runs one admin command on the configured database; `password` is asked only by the
/// commands that need one. Returns the account as it is afterwards.
pub async fn run_admin(
    settings: &Settings,
    action: AdminAction,
    password: impl FnOnce() -> Result<String, CliError>,
) -> Result<AdminAccount, CliError> {
    let db = connect_database(settings).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let admins = crate::admin::admin_service(&settings.admin, &db, Arc::clone(&clock));
    let sessions = crate::accounts::session_service(settings, &db, clock)?;
    let back_office = AdminSessions::new(Arc::clone(&admins), sessions);
    let act = AdminAct::new(AuditActor::cli(), None);
    let other =
        |error: elife_domain::accounts::admin_error::AdminError| CliError::Other(error.to_string());
    match action {
        AdminAction::Create {
            username,
            role,
            display_name,
        } => {
            let role: Role =
                role.parse()
                    .map_err(|error: elife_domain::accounts::admins::UnknownRole| {
                        CliError::Other(error.to_string())
                    })?;
            let password = password()?;
            admins
                .create(
                    &act,
                    CreateAdmin {
                        username,
                        password,
                        display_name,
                        role,
                    },
                )
                .await
                .map_err(other)
        }
        AdminAction::ResetPassword { username } => {
            let account = admins.find_by_username(&username).await.map_err(other)?;
            let password = password()?;
            back_office
                .reset_password(&act, account.id, &password)
                .await
                .map_err(refused)
        }
        AdminAction::Disable { username } => {
            let account = admins.find_by_username(&username).await.map_err(other)?;
            let changes = AdminChanges {
                enabled: Some(false),
                ..AdminChanges::default()
            };
            back_office
                .update(&act, account.id, &changes)
                .await
                .map_err(refused)
        }
    }
}

/// What the command prints: never the hash.
pub fn summary(account: &AdminAccount) -> serde_json::Value {
    serde_json::json!({
        "id": account.id.0,
        "username": account.username,
        "displayName": account.display_name,
        "role": account.role.as_str(),
        "enabled": account.enabled,
    })
}
