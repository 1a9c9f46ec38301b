//! The rig under test: the database behind a proxy that can cut it, the simulators in
//! their own process, the `elife` instances; WeChat's retries and Unitel's faults set.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster::{ElifeBinary, ServerConfig, ServerProcess, Simulators};
use crate::database::{Engine, FreshDatabase};
use crate::shop;

use super::error::{ChaosError, io};
use super::faults::{START_LIMIT, Servers};
use super::options::{Options, Sizes};
use super::proxy::TcpProxy;

/// WeChat's compressed retry schedule: about 40 s of retries over 17 attempts, so that a
/// notification outlives a kill and a database cut, as real WeChat's (hours) does.
pub const CALLBACK_RETRY_DELAYS_MS: [u64; 16] = [
    200, 300, 500, 800, 1000, 1500, 2000, 3000, 3000, 3000, 3000, 3000, 4000, 4000, 4000, 4000,
];

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
    pub servers: Servers,
    pub urls: Vec<String>,
    pub server_env: Vec<(String, String)>,
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
        let config = ServerConfig {
            database_url: server_db_url,
            unitel_url: simulators.unitel_url.clone(),
            wechat_pay_api: simulators.wechat_pay_api(),
            extra_env: server_env.clone(),
        };
        let (servers, urls) = start_servers(options, binary, &config, sizes.instances).await?;

        post_ok(
            &http,
            &shop::wechat_config_url(&simulators.wechat_url),
            &json!({
                "callback_base_url": urls.join(","),
                "callback_retry_delays_ms": CALLBACK_RETRY_DELAYS_MS,
            }),
        )
        .await?;
        let unitel_mode = set_unitel_faults(&http, &simulators, options.seed).await?;
        Ok(Rig {
            http,
            db_proxy,
            simulators,
            servers,
            urls,
            server_env,
            unitel_mode,
        })
    }

    /// Stops every process; the balancer (if the run needed one) goes before the database
    /// proxy.
    pub async fn stop(self, balancer: Option<TcpProxy>) {
        for server in self.servers.iter() {
            server.lock().await.terminate(Duration::from_secs(10)).await;
        }
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
    instances: usize,
) -> Result<(Servers, Vec<String>), ChaosError> {
    let mut processes = Vec::new();
    for index in 0..instances {
        processes.push(ServerProcess::new(
            binary,
            config,
            options.work_dir.join(format!("elife-{index}.log")),
        )?);
    }
    let urls: Vec<String> = processes.iter().map(ServerProcess::base_url).collect();
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
    let servers: Servers = Arc::new(processes.into_iter().map(tokio::sync::Mutex::new).collect());
    Ok((servers, urls))
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

/// POSTs `body` to a simulator's control path; `Err` unless it answers 2xx.
pub async fn post_ok(http: &reqwest::Client, url: &str, body: &Value) -> Result<(), ChaosError> {
    let response =
        http.post(url)
            .json(body)
            .send()
            .await
            .map_err(|source| ChaosError::Unreachable {
                url: url.to_owned(),
                source,
            })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        let text = response.text().await.unwrap_or_default();
        Err(ChaosError::Refused {
            url: url.to_owned(),
            status,
            text,
        })
    }
}
