// The server future (actix + sea-orm + the simulators) is deep; release layout needs room.
#![recursion_limit = "256"]

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = elife_server::cli::Cli::parse();
    match Box::pin(elife_server::cli::run(cli)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
