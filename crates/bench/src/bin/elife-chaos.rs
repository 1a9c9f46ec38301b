//! `elife-chaos`: see `elife_bench::chaos` and `docs/reliability.md`.

use clap::Parser;
use elife_bench::chaos::{Options, run};

#[tokio::main]
async fn main() {
    let options = Options::parse();
    let code = match run(options).await {
        Ok(true) => 0,
        Ok(false) => {
            eprintln!("elife-chaos: FAILED (see the table above)");
            1
        }
        Err(error) => {
            eprintln!("elife-chaos: could not run: {error}");
            2
        }
    };
    std::process::exit(code);
}
