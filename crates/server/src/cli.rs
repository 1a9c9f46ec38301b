//! The `elife` command line: serve (default), migrations, the simulators alone, and
//! manual resolution of orders.

use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use elife_domain::accounts::audit::{AdminAct, AuditActor};
use elife_domain::order::OrderNumber;
use elife_domain::services::RechargeService;
use elife_persistence::{Migrator, MigratorTrait};

pub mod admin;

use crate::configuration::{Settings, VARIABLES};
use crate::http::routes::admin::parse_resolution;
use crate::http::views::{AdminOrderView, OrderEventView};
use crate::sandbox::Sandbox;
use crate::startup::{Application, Overrides, build_ports, connect_database};
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(name = "elife", version, about = "elife: Mongolian mobile top-ups paid with WeChat Pay", after_help = variables_help())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API and the jobs (the default).
    Serve,
    /// Database migrations.
    Migrate {
        #[arg(value_enum, default_value = "up")]
        action: MigrateAction,
    },
    /// Run the Unitel and WeChat Pay simulators alone.
    Sandbox {
        #[arg(long, default_value_t = 4001)]
        unitel_port: u16,
        #[arg(long, default_value_t = 4002)]
        wechat_port: u16,
        /// Where the WeChat simulator posts payment callbacks.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        callback_base_url: String,
    },
    /// Look at or resolve one order.
    Orders {
        #[command(subcommand)]
        action: OrdersAction,
    },
    /// Admin accounts: create, reset a password, disable (audited as `cli`).
    Admin {
        #[command(subcommand)]
        action: admin::AdminAction,
    },
    /// Personal data at rest: key rotation.
    Data {
        #[command(subcommand)]
        action: crate::key_rotation::DataAction,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MigrateAction {
    Up,
    Down,
    Status,
}

#[derive(Debug, Subcommand)]
pub enum OrdersAction {
    /// Print an order and its history.
    Show { order_number: String },
    /// Settle an `unknown` (or `failed`) top-up after checking with Unitel.
    Resolve {
        order_number: String,
        /// `succeeded` or `failed`.
        #[arg(long)]
        resolution: String,
        #[arg(long)]
        reason: String,
        /// Who decided, kept in the order history.
        #[arg(long, default_value = "cli")]
        admin: String,
    },
}

fn variables_help() -> String {
    let mut help = String::from("Environment (also read from .env):\n");
    for (name, default, meaning) in VARIABLES {
        help.push_str(&format!("  {name:<34} {meaning} [default: {default}]\n"));
    }
    help
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("configuration: {0}")]
    Config(#[from] crate::configuration::ConfigError),
    #[error(transparent)]
    Startup(#[from] crate::startup::StartupError),
    #[error("{0}")]
    Other(String),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        // Boxed: the application future is large.
        Command::Serve => Box::pin(serve(settings)).await,
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::Sandbox {
            unitel_port,
            wechat_port,
            callback_base_url,
        } => sandbox(&settings, unitel_port, wechat_port, callback_base_url).await,
        Command::Orders { action } => orders(&settings, action).await,
        Command::Admin { action } => {
            let account = admin::run_admin(&settings, action, admin::read_password).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&admin::summary(&account)).unwrap_or_default()
            );
            Ok(())
        }
        Command::Data { action } => crate::key_rotation::run(&settings, action).await,
    }
}

async fn serve(settings: Settings) -> Result<(), CliError> {
    let _guard = telemetry::init(&settings.log_level, settings.log_dir.as_deref());
    let environment = settings.environment;
    let sandboxed = settings.uses_sandbox();
    let admin = settings.admin_token.is_some();
    let development_keys = settings.personal_data.keyring.uses_development_keys();
    let database = redact(&settings.database.url);
    let application = Application::build(settings).await?;
    let endpoints = application.endpoints().clone();
    let mut banner = String::new();
    if sandboxed {
        banner.push_str(&format!(
            "\n{bar}\n  SANDBOX: no real money moves. WeChat Pay and Unitel are local simulators.\n{bar}\n",
            bar = "!".repeat(76)
        ));
    }
    banner.push_str(&format!(
        "\n  elife ({environment}) listening\n  API          {}\n  database     {database}\n",
        endpoints.api
    ));
    if let Some(swagger) = &endpoints.swagger {
        banner.push_str(&format!(
            "  Swagger UI   {swagger}\n  OpenAPI JSON {}/api-json\n",
            endpoints.api
        ));
    }
    banner.push_str(&format!("  metrics      {}/metrics\n", endpoints.api));
    banner.push_str(&format!(
        "  ops console  {}/console/ (admin accounts: elife admin create --username <name> --role super_admin)\n",
        endpoints.api
    ));
    if let (Some(unitel), Some(wechat)) = (&endpoints.unitel_sandbox, &endpoints.wechat_sandbox) {
        banner.push_str(&format!(
            "  Unitel sim   {unitel}\n  WeChat sim   {wechat}\n  pay an order POST {api}/__sandbox/pay/<orderNumber>\n  ledgers      GET {api}/__sandbox/unitel/ledger, GET {api}/__sandbox/wechat/ledger\n",
            api = endpoints.api
        ));
    }
    if let Some(v3) = &endpoints.wechat_pay_v3_sandbox {
        banner.push_str(&format!(
            "  WeChat v3    {v3} (PAY_CHANNEL=v3: /__sandbox/pay pays here)\n  v3 ledger    GET {}/__sandbox/wechat-pay-v3/ledger\n",
            endpoints.api
        ));
    }
    if development_keys {
        banner.push_str(
            "  personal data DEVELOPMENT keys (public): set PERSONAL_DATA_KEYS and PERSONAL_DATA_INDEX_KEY\n",
        );
    }
    if admin {
        banner.push_str(
            "  admin        break-glass ADMIN_TOKEN is set (acts as `break-glass`, every use logged)\n",
        );
    } else {
        banner.push_str(
            "  admin        log in at POST /admin/auth/login (accounts: elife admin create ...)\n",
        );
    }
    eprintln!("{banner}");
    application
        .run_until_stopped()
        .await
        .map_err(|error| CliError::Other(format!("server failed: {error}")))
}

async fn migrate(settings: &Settings, action: MigrateAction) -> Result<(), CliError> {
    let db = elife_persistence::connect(&settings.database.url, &settings.database.pool())
        .await
        .map_err(|error| CliError::Other(error.to_string()))?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None)
            .await
            .map_err(|error| CliError::Other(error.to_string()))?,
        MigrateAction::Down => Migrator::down(&db, Some(1))
            .await
            .map_err(|error| CliError::Other(error.to_string()))?,
        MigrateAction::Status => {}
    }
    for migration in Migrator::get_migration_with_status(&db)
        .await
        .map_err(|error| CliError::Other(error.to_string()))?
    {
        println!("{:<50} {}", migration.name(), migration.status());
    }
    Ok(())
}

async fn sandbox(
    settings: &Settings,
    unitel_port: u16,
    wechat_port: u16,
    callback_base_url: String,
) -> Result<(), CliError> {
    let _guard = telemetry::init(&settings.log_level, None);
    let sandbox = Sandbox::start(Some(callback_base_url.clone()), unitel_port, wechat_port)
        .await
        .map_err(|error| CliError::Other(error.to_string()))?;
    let (user, password) = Sandbox::unitel_credentials();
    eprintln!(
        "\nSANDBOX: no real money moves.\n  Unitel sim  {} (user {user}, password {password})\n  WeChat sim  {} (pay API {})\n  callbacks → {callback_base_url}\nCtrl-C to stop.",
        sandbox.unitel.base_url(),
        sandbox.wechat.url(),
        sandbox.wechat.base_url()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|error| CliError::Other(error.to_string()))?;
    sandbox.stop().await;
    Ok(())
}

async fn orders(settings: &Settings, action: OrdersAction) -> Result<(), CliError> {
    let db = connect_database(settings).await?;
    let ports = build_ports(settings, &db, None, &Overrides::default())?;
    let parse =
        |raw: &str| OrderNumber::parse(raw).map_err(|error| CliError::Other(error.to_string()));
    let print = |value: &serde_json::Value| {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    };
    match action {
        OrdersAction::Show { order_number } => {
            let number = parse(&order_number)?;
            let order = ports
                .orders
                .find(&number)
                .await
                .map_err(|error| CliError::Other(error.to_string()))?
                .ok_or_else(|| CliError::Other(format!("order {number} not found")))?;
            let events = ports
                .orders
                .events(&number)
                .await
                .map_err(|error| CliError::Other(error.to_string()))?;
            print(&serde_json::json!({
                "order": AdminOrderView::from(&order),
                "events": events.iter().map(OrderEventView::from).collect::<Vec<_>>(),
            }));
        }
        OrdersAction::Resolve {
            order_number,
            resolution,
            reason,
            admin,
        } => {
            let number = parse(&order_number)?;
            let resolution = parse_resolution(&resolution).ok_or_else(|| {
                CliError::Other("--resolution must be succeeded or failed".to_owned())
            })?;
            let recharge = Arc::new(RechargeService::new(ports));
            // Audited as the command line; who decided stays in the reason.
            let reason = if admin == AuditActor::CLI {
                reason
            } else {
                format!("{reason} (decided by {admin})")
            };
            let act = AdminAct::new(AuditActor::cli(), None);
            let order = recharge
                .resolve_by_admin(&number, resolution, &act, &reason)
                .await
                .map_err(|error| CliError::Other(error.to_string()))?;
            print(&serde_json::json!({ "order": AdminOrderView::from(&order) }));
        }
    }
    Ok(())
}

/// The database URL without its password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
