//! The rig under test: the database behind a proxy that can cut it, the simulators in
//! their own process, the WeChat side of the channel, the `elife` instances; Unitel's
//! faults set.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster::{ElifeBinary, ServerConfig, ServerProcess, Simulators, base_url, free_port};
use crate::database::{Engine, FreshDatabase};
use crate::shop;

use super::control::post_ok;
use super::error::{ChaosError, io};
use super::faults::{START_LIMIT, Servers};
use super::options::{Options, Sizes};
use super::proxy::TcpProxy;
use super::wechat::{Wechat, WechatRig};

/// Unitel's faults: 10% of money calls, from a fixed seed.
fn unitel_faults(seed: u64) -> Value {
    json!({"seed": seed, "mix": {"rate": 0.1, "faults": [
        {"kind": "slow", "hold_ms": 3000},
        {"kind": "apply_then_drop"},
        {"kind": "server_error", "status": 502, "apply": true},
        {"kind": "failed"},
        {"kind": "pending", "checks_until_success": 2}
    ]}})
}

/// The running processes and what the report says about how they were set up.
pub struct Rig {
    pub http: reqwest::Client,
    /// Between the servers and the database (none on SQLite: nothing to cut).
    pub db_proxy: Option<TcpProxy>,
    pub simulators: Simulators,
    pub wechat: WechatRig,
    pub servers: Servers,
    pub urls: Vec<String>,
    /// The servers' settings for the report (the channel's own, with keys, are not).
    pub server_env: Vec<(String, String)>,
    /// The servers' `ADMIN_TOKEN` (not for the report): the admin who puts the points
    /// packages on sale.
    pub admin_token: String,
    pub unitel_mode: String,
}

impl Rig {
    pub async fn start(
        options: &Options,
        binary: &ElifeBinary,
        fresh: &FreshDatabase,
        sizes: Sizes,
    ) -> Result<Rig, ChaosError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(ChaosError::HttpClient)?;

        // The database, through the proxy that cuts it.
        let (db_proxy, server_db_url) = if fresh.engine == Engine::Sqlite {
            (None, fresh.url.clone())
        } else {
            let (_, upstream) = through_proxy(&fresh.url, 0)?;
            let proxy = TcpProxy::start(vec![upstream])
                .await
                .map_err(io("starting the database proxy"))?;
            let (url, _) = through_proxy(&fresh.url, proxy.port)?;
            (Some(proxy), url)
        };

        // The simulators in their own process; callbacks are pointed at the instances below.
        let simulators = Simulators::start(
            binary,
            &["http://127.0.0.1:9".to_owned()],
            &options.work_dir.join("sandbox.log"),
        )
        .await?;

        let mut server_env: Vec<(String, String)> = [
            ("ORDER_EXPIRE_MINUTES", "2"),
            ("STALE_SUBMISSION_MINUTES", "1"),
            ("UNITEL_TIMEOUT", "5000"),
            ("AUTO_REFUND", "true"),
            ("LOG_LEVEL", "info"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
        server_env.extend(options.server_env.iter().cloned());

        // WeChat is readied for the instances' addresses before they start: with v3, their
        // `notify_url` is a balancer in front of them.
        let ports = (0..sizes.instances)
            .map(|_| free_port())
            .collect::<Result<Vec<u16>, _>>()?;
        let urls: Vec<String> = ports.iter().copied().map(base_url).collect();
        let wechat = WechatRig::start(
            options.channel,
            &http,
            &simulators,
            &urls,
            &options.work_dir,
        )
        .await?;
        // The user's `--server-env` last: it wins over the channel's settings.
        let admin_token = format!("chaos-{:032x}", rand::random::<u128>());
        let mut extra_env = wechat.server_env.clone();
        extra_env.push(("ADMIN_TOKEN".to_owned(), admin_token.clone()));
        extra_env.extend(server_env.iter().cloned());
        let config = ServerConfig {
            database_url: server_db_url,
            unitel_url: simulators.unitel_url.clone(),
            wechat_pay_api: wechat.pay_api.clone(),
            extra_env,
        };
        let servers = start_servers(options, binary, &config, &ports).await?;
        let unitel_mode = set_unitel_faults(&http, &simulators, options.seed).await?;
        Ok(Rig {
            http,
            db_proxy,
            simulators,
            wechat,
            servers,
            urls,
            server_env,
            admin_token,
            unitel_mode,
        })
    }

    /// The WeChat side as the workload drives it.
    pub fn wechat(&self) -> &Wechat {
        &self.wechat.wechat
    }

    /// Stops every process; the balancer (if the run needed one) goes before the database
    /// proxy.
    pub async fn stop(self, balancer: Option<TcpProxy>) {
        for server in self.servers.iter() {
            server.lock().await.terminate(Duration::from_secs(10)).await;
        }
        self.wechat.stop().await;
        self.simulators.stop().await;
        drop(balancer);
        drop(self.db_proxy);
    }
}

/// The first instance runs the migrations; the others start together after it.
async fn start_servers(
    options: &Options,
    binary: &ElifeBinary,
    config: &ServerConfig,
    ports: &[u16],
) -> Result<Servers, ChaosError> {
    let mut processes: Vec<ServerProcess> = ports
        .iter()
        .enumerate()
        .map(|(index, port)| {
            let log = options.work_dir.join(format!("elife-{index}.log"));
            ServerProcess::on_port(binary, config, *port, log)
        })
        .collect();
    if let Some(process) = processes.first_mut() {
        process.start(START_LIMIT).await?;
    }
    futures::future::try_join_all(
        processes
            .iter_mut()
            .skip(1)
            .map(|process| process.start(START_LIMIT)),
    )
    .await?;
    Ok(Arc::new(
        processes.into_iter().map(tokio::sync::Mutex::new).collect(),
    ))
}

/// Sets Unitel's fault mix, or definite failures on a simulator without it; how Unitel
/// behaves, for the report.
async fn set_unitel_faults(
    http: &reqwest::Client,
    simulators: &Simulators,
    seed: u64,
) -> Result<String, ChaosError> {
    let faults_url = shop::unitel_faults_url(&simulators.unitel_url);
    match post_ok(http, &faults_url, &unitel_faults(seed)).await {
        Ok(()) => Ok("10% of money calls faulted (slow 3 s, apply-then-drop, 502 after applying, failed, pending-then-success), seed ".to_owned() + &seed.to_string()),
        Err(error) => {
            println!("warning: the Unitel simulator refused the fault mix ({error}); falling back to 10% definite failures");
            post_ok(http, &faults_url, &json!({"seed": seed, "failure_rate": 0.1})).await?;
            Ok(format!("FALLBACK: fault mix unsupported by this simulator; 10% definite failures only, seed {seed}"))
        }
    }
}

/// The URL the servers use: the database through the proxy; and the proxy's upstream.
fn through_proxy(url: &str, port: u16) -> Result<(String, String), ChaosError> {
    let mut parsed = url::Url::parse(url)?;
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_owned();
    let upstream_port = parsed
        .port_or_known_default()
        .unwrap_or(match parsed.scheme() {
            "postgres" | "postgresql" => 5432,
            _ => 3306,
        });
    parsed.set_host(Some("127.0.0.1"))?;
    parsed
        .set_port(Some(port))
        .map_err(|()| ChaosError::DatabasePort)?;
    Ok((parsed.to_string(), format!("{host}:{upstream_port}")))
}
