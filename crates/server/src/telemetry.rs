//! Logs: JSON lines to stdout and to a daily-rotated `combined.log`, filtered by `LOG_LEVEL`.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

/// Installs the global subscriber; keep the guard alive so the file writer flushes.
pub fn init(log_level: &str, log_dir: Option<&str>) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_new(log_level).unwrap_or_else(|error| {
        eprintln!("LOG_LEVEL {log_level:?} is invalid ({error}); using info");
        EnvFilter::new("info")
    });
    let stdout = fmt::layer().json().with_current_span(true).boxed();
    let (file, guard) = match log_dir {
        Some(dir) => {
            let appender = tracing_appender::rolling::daily(dir, "combined.log");
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(
                    fmt::layer()
                        .json()
                        .with_ansi(false)
                        .with_writer(writer)
                        .boxed(),
                ),
                Some(guard),
            )
        }
        None => (None, None),
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(stdout)
        .with(file)
        .try_init();
    if let Err(error) = installed {
        eprintln!("logging already initialised: {error}");
    }
    guard
}
