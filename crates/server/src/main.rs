// The server future (actix + sea-orm + the simulators) is deep; release layout needs room.
#![recursion_limit = "256"]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = elife_server::cli::Cli::parse();
    // The main runtime runs the jobs, the top-ups after callbacks and the pool's upkeep;
    // HTTP is served by actix's own worker threads (`HTTP_WORKERS`). One thread is enough
    // here and every extra one costs memory and cross-thread wake-ups; `TOKIO_WORKER_THREADS`
    // overrides it.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(1);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(Box::pin(elife_server::cli::run(cli))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
