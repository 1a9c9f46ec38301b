//! The command line of `elife-chaos`, and the run's sizes derived from it.

use std::path::PathBuf;
use std::time::Duration;

use crate::database::Engine;

use super::wechat::Channel;

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "elife-chaos",
    about = "Torture test: elife instances killed, the database cut, hostile simulators; then an audit of every order",
    long_about = None
)]
pub struct Options {
    /// The database server (a fresh database is created on it and dropped at the end):
    /// `postgres://postgres@127.0.0.1:5432`, `mysql://root@127.0.0.1:3306`, or `sqlite:`
    /// (one instance, no database cut).
    #[arg(long, env = "ELIFE_CHAOS_DATABASE_URL")]
    pub database_url: String,
    /// The WeChat Pay channel the servers take money through: `cloud` (Cloud Hosting's open
    /// interface, simulated by `elife sandbox`) or `v3` (WeChat Pay API v3 direct, its
    /// simulator run by this process).
    #[arg(long, value_enum, default_value_t = Channel::Cloud)]
    pub channel: Channel,
    /// `elife` server processes.
    #[arg(long, default_value_t = 3)]
    pub instances: usize,
    /// Orders in all (default 2000; 300 with --short).
    #[arg(long)]
    pub orders: Option<usize>,
    /// Percentage of the orders that buy a points package (the second kind of goods on the
    /// payments core) instead of a top-up, one late order among them; 0 leaves points out.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub points_percent: u32,
    /// Seed of the workload and of Unitel's faults.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// A random instance is SIGKILLed this often during the main phase (and restarted).
    #[arg(long, default_value_t = 5)]
    pub kill_every_secs: u64,
    /// How long the database is cut mid-run (default 20; 6 with --short).
    #[arg(long)]
    pub db_cut_secs: Option<u64>,
    /// The drain time (last fault over → no paid order pending) above which the run fails.
    #[arg(long, default_value_t = 60)]
    pub drain_bound_secs: u64,
    /// The CI version: ~300 orders, one kill, one short database cut.
    #[arg(long)]
    pub short: bool,
    /// Markdown file whose section for this engine and mode is (re)written.
    #[arg(long, default_value = "docs/reliability.md")]
    pub report: PathBuf,
    /// Do not write the report file.
    #[arg(long)]
    pub no_report: bool,
    /// Logs of every process go here.
    #[arg(long, default_value = "target/chaos")]
    pub work_dir: PathBuf,
    /// Keep the database at the end (its URL is printed).
    #[arg(long)]
    pub keep: bool,
    /// Customers buying at once in the main phase.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Further server environment, `NAME=VALUE` (repeatable), e.g. `TOPUP_CONCURRENCY=8`.
    #[arg(long = "server-env", value_parser = parse_env)]
    pub server_env: Vec<(String, String)>,
}

fn parse_env(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {raw:?}"))
}

/// The run's sizes, from the options.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub instances: usize,
    pub main: usize,
    pub burst: usize,
    pub late: usize,
    pub db_cut: Duration,
    /// Main phase pace: it should last about this long without faults.
    pub main_target: Duration,
    pub kills_in_main: bool,
}

impl Sizes {
    pub fn of(options: &Options, engine: Engine) -> Sizes {
        let total = options
            .orders
            .unwrap_or(if options.short { 300 } else { 2000 })
            .max(20);
        let late = (total / 100).max(3);
        let burst = total / 5;
        let db_cut =
            Duration::from_secs(
                options
                    .db_cut_secs
                    .unwrap_or(if options.short { 6 } else { 20 }),
            );
        Sizes {
            instances: if engine == Engine::Sqlite {
                1
            } else {
                options.instances.max(1)
            },
            main: total - late - burst,
            burst,
            late,
            db_cut,
            main_target: (db_cut * 3).max(Duration::from_secs(if options.short { 20 } else { 60 })),
            kills_in_main: !options.short,
        }
    }
}
