//! `elife-bench`: the callback path beside the database's own limit, order creation,
//! `GET /orders/my`, paid → recharged latency, backlog drain, resources and start-up,
//! against real `elife` processes and a fresh database. Prints a Markdown table.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use elife_bench::bench::{Options, Scenario, run};

#[derive(Debug, Parser)]
#[command(
    name = "elife-bench",
    about = "Benchmarks of the elife server (see docs/benchmarks.md)"
)]
struct Cli {
    /// The database server: postgres://postgres@127.0.0.1:5432, mysql://root@127.0.0.1:3306
    /// or sqlite: (a fresh database is created for the run and dropped after it).
    #[arg(long)]
    database_url: String,
    /// Orders per phase (callback, limit, paced; requests of create and my-orders).
    #[arg(long, default_value_t = 5000)]
    orders: usize,
    /// Concurrent connections (closed loop) and database-limit workers.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Scenarios to run (they always run in the order listed here).
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Scenario::ALL)]
    scenarios: Vec<Scenario>,
    /// Callbacks per second of `paced` (default: half the closed-loop peak just measured).
    #[arg(long)]
    rate: Option<f64>,
    /// Orders of `recharge-latency`.
    #[arg(long, default_value_t = 1000)]
    recharge_orders: usize,
    /// Callbacks per second of `recharge-latency` (a moderate rate).
    #[arg(long, default_value_t = 100.0)]
    recharge_rate: f64,
    /// Paid, unclaimed orders of `drain`.
    #[arg(long, default_value_t = 1000)]
    backlog: usize,
    /// Seconds `drain` waits for the backlog before giving up.
    #[arg(long, default_value_t = 90)]
    drain_timeout: u64,
    /// Server starts timed by `startup`.
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Extra server environment, NAME=value (repeatable), e.g. TOPUP_CONCURRENCY=8.
    #[arg(long = "server-env", value_parser = parse_env)]
    server_env: Vec<(String, String)>,
    /// Also write the table to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected NAME=value, got {text:?}"))
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let options = Options {
        database_url: cli.database_url,
        orders: cli.orders,
        concurrency: cli.concurrency,
        scenarios: cli.scenarios,
        rate: cli.rate,
        recharge_orders: cli.recharge_orders,
        recharge_rate: cli.recharge_rate,
        backlog: cli.backlog,
        drain_timeout: Duration::from_secs(cli.drain_timeout),
        starts: cli.starts,
        server_env: cli.server_env,
    };
    match run(options).await {
        Ok(report) => {
            let text = report.markdown();
            println!("{text}");
            if let Some(path) = cli.markdown
                && let Err(error) = std::fs::write(&path, &text)
            {
                eprintln!("elife-bench: writing {}: {error}", path.display());
                std::process::exit(1);
            }
        }
        Err(error) => {
            eprintln!("elife-bench: {error}");
            std::process::exit(1);
        }
    }
}
