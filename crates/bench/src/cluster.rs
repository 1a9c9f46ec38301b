//! The processes under test: `elife` server instances and the simulators, each its own OS
//! process so that a SIGKILL hits exactly one of them and the simulators' ledgers (the
//! truth the audit compares against) survive every server crash.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::machine::ProcessUsage;
use crate::shop;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "the elife binary was not found at {0} (build it with `cargo build --release -p elife-server`, or set ELIFE_BIN)"
    )]
    BinaryMissing(PathBuf),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what} did not become ready within {waited:?}; see {log}")]
    NotReady {
        what: String,
        waited: Duration,
        log: String,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
    let what = what.into();
    move |source| ClusterError::Io { what, source }
}

/// The `elife` executable the processes run.
#[derive(Debug, Clone)]
pub struct ElifeBinary {
    path: PathBuf,
}

impl ElifeBinary {
    /// `ELIFE_BIN` when set, else `elife` beside this executable (the same cargo profile).
    pub fn locate() -> Result<Self, ClusterError> {
        let path = match std::env::var_os("ELIFE_BIN") {
            Some(path) => PathBuf::from(path),
            None => std::env::current_exe()
                .map_err(io("locating this executable"))?
                .with_file_name("elife"),
        };
        if path.is_file() {
            Ok(ElifeBinary { path })
        } else {
            Err(ClusterError::BinaryMissing(path))
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A port free on 127.0.0.1 right now (the listener is closed before it is used).
pub fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(io("finding a free port"))?
        .port())
}

fn log_file(path: &Path) -> Result<(Stdio, Stdio), ClusterError> {
    let opened = || io(format!("opening {}", path.display()));
    let file = File::options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(opened())?;
    let copy = file.try_clone().map_err(opened())?;
    Ok((Stdio::from(file), Stdio::from(copy)))
}

/// Spawns `command` with no input and its output to `log` (see [`log_file`]); killed
/// when dropped.
fn spawn_logged(
    mut command: Command,
    (stdout, stderr): (Stdio, Stdio),
    what: &str,
) -> Result<Child, ClusterError> {
    command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .map_err(io(what))
}

/// Polls `url` until it answers 2xx, at most `limit`; the time it took.
pub async fn wait_until_ok(
    client: &reqwest::Client,
    url: &str,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(response) = client.get(url).send().await
            && response.status().is_success()
        {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

/// [`wait_until_ok`], or `NotReady` naming `what` and its `log`.
async fn wait_ready(
    client: &reqwest::Client,
    url: &str,
    limit: Duration,
    what: String,
    log: &Path,
) -> Result<Duration, ClusterError> {
    wait_until_ok(client, url, limit)
        .await
        .ok_or_else(|| ClusterError::NotReady {
            what,
            waited: limit,
            log: log.display().to_string(),
        })
}

fn signal_child(child: &Child, signal: Signal) {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        // The process may have exited already; nothing to do then.
        let _ = signal::kill(Pid::from_raw(pid), signal);
    }
}

/// `elife sandbox`: the WeChat Pay and Unitel simulators in their own process.
pub struct Simulators {
    child: Child,
    pub unitel_url: String,
    /// Base of the WeChat simulator (`/__sandbox/...` control paths hang off it).
    pub wechat_url: String,
}

impl Simulators {
    /// Starts the simulators; WeChat delivers each callback attempt to one of
    /// `callback_base_urls` at random, as a load balancer in front of the instances would.
    pub async fn start(
        binary: &ElifeBinary,
        callback_base_urls: &[String],
        log: &Path,
    ) -> Result<Simulators, ClusterError> {
        let unitel_port = free_port()?;
        let wechat_port = free_port()?;
        let log_files = log_file(log)?;
        let mut command = Command::new(binary.path());
        command
            .arg("sandbox")
            .arg("--unitel-port")
            .arg(unitel_port.to_string())
            .arg("--wechat-port")
            .arg(wechat_port.to_string())
            .arg("--callback-base-url")
            .arg(callback_base_urls.join(","))
            .env("LOG_LEVEL", "warn")
            .env("LOG_DIR", "");
        let child = spawn_logged(command, log_files, "starting elife sandbox")?;
        let simulators = Simulators {
            child,
            unitel_url: format!("http://127.0.0.1:{unitel_port}"),
            wechat_url: format!("http://127.0.0.1:{wechat_port}"),
        };
        let client = reqwest::Client::new();
        let limit = Duration::from_secs(20);
        for url in [
            shop::unitel_faults_url(&simulators.unitel_url),
            shop::wechat_config_url(&simulators.wechat_url),
        ] {
            wait_ready(&client, &url, limit, "elife sandbox".to_owned(), log).await?;
        }
        Ok(simulators)
    }

    /// The pay API base the server's WeChat adapter is pointed at.
    pub fn wechat_pay_api(&self) -> String {
        format!("{}/_/pay", self.wechat_url)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Memory and CPU used so far, from `/proc`.
    pub fn usage(&self) -> Option<ProcessUsage> {
        ProcessUsage::of(self.pid()?)
    }

    pub async fn stop(mut self) {
        signal_child(&self.child, Signal::SIGKILL);
        let _ = self.child.wait().await;
    }
}

/// What every server instance of a run shares.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub database_url: String,
    pub unitel_url: String,
    pub wechat_pay_api: String,
    /// Further variables (`TOPUP_CONCURRENCY`, `LOG_LEVEL`...); later entries win.
    pub extra_env: Vec<(String, String)>,
}

impl ServerConfig {
    /// The environment of an instance on `port`, talking to the out-of-process simulators
    /// exactly as to the real APIs (`SANDBOX=off`).
    fn environment(&self, port: u16) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("ELIFE_ENV", "development"),
            ("HOST", "127.0.0.1"),
            ("SANDBOX", "off"),
            ("LOG_DIR", ""),
            ("LOG_LEVEL", "warn"),
            ("UNITEL_USERNAME", "sandbox"),
            ("UNITEL_PASSWORD", "sandbox"),
            ("WECHAT_ENV_ID", "sandbox-env"),
            ("WECHAT_MCH_ID", "1712734762"),
            ("RATE_LIMIT_ORDERS", "1000000"),
            ("RATE_LIMIT_PAYMENTS", "1000000"),
            ("DB_MAX_RETRIES", "60"),
            ("DB_RETRY_DELAY", "500"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        env.push(("PORT".to_owned(), port.to_string()));
        env.push(("DATABASE_URL".to_owned(), self.database_url.clone()));
        env.push(("UNITEL_API_URL".to_owned(), self.unitel_url.clone()));
        env.push(("WECHAT_PAY_API_URL".to_owned(), self.wechat_pay_api.clone()));
        env.extend(self.extra_env.iter().cloned());
        env
    }
}

/// Where an instance on `port` answers.
pub fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// One `elife` server instance on a fixed port, which can be killed and started again.
pub struct ServerProcess {
    binary: ElifeBinary,
    port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
    client: reqwest::Client,
}

impl ServerProcess {
    pub fn new(
        binary: &ElifeBinary,
        config: &ServerConfig,
        log: PathBuf,
    ) -> Result<ServerProcess, ClusterError> {
        Ok(ServerProcess::on_port(binary, config, free_port()?, log))
    }

    /// An instance on `port`, known before it starts (e.g. for a balancer in front of it).
    pub fn on_port(
        binary: &ElifeBinary,
        config: &ServerConfig,
        port: u16,
        log: PathBuf,
    ) -> ServerProcess {
        ServerProcess {
            binary: binary.clone(),
            port,
            env: config.environment(port),
            log,
            child: None,
            client: reqwest::Client::new(),
        }
    }

    pub fn base_url(&self) -> String {
        base_url(self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    pub fn is_started(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the process and waits for its first healthy answer; the time that took.
    pub async fn start(&mut self, limit: Duration) -> Result<Duration, ClusterError> {
        let log_files = log_file(&self.log)?;
        let mut command = Command::new(self.binary.path());
        command.envs(self.env.iter().map(|(name, value)| (name, value)));
        let started = Instant::now();
        let child = spawn_logged(command, log_files, "starting elife")?;
        self.child = Some(child);
        let health = format!("{}/health", self.base_url());
        let what = format!("elife on port {}", self.port);
        wait_ready(&self.client, &health, limit, what, &self.log).await?;
        Ok(started.elapsed())
    }

    /// SIGKILL: no shutdown code runs, as in a crash or an OOM kill.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal_child(&child, Signal::SIGKILL);
            let _ = child.wait().await;
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; true when it exited alone.
    pub async fn terminate(&mut self, grace: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        signal_child(&child, Signal::SIGTERM);
        match tokio::time::timeout(grace, child.wait()).await {
            Ok(_) => true,
            Err(_) => {
                signal_child(&child, Signal::SIGKILL);
                let _ = child.wait().await;
                false
            }
        }
    }

    /// Memory and CPU used so far, from `/proc`.
    pub fn usage(&self) -> Option<ProcessUsage> {
        ProcessUsage::of(self.pid()?)
    }
}
