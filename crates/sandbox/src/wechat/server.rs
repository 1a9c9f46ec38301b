//! Starting the simulator and driving it from Rust tests.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web;
use serde_json::Value;

use super::api;
use super::clock::SimClock;
use super::config::{ConfigUpdate, RuntimeConfig, WechatSimConfig};
use super::control::{self, ActiveFault, WechatFault};
use super::login::{self, LoginCodes};
use super::payer::{self, PayOptions};
use super::records::Ledger;
use super::store::LedgerStore;

#[derive(Debug, thiserror::Error)]
pub enum WechatSimError {
    #[error("cannot listen for the WeChat Pay simulator: {0}")]
    Listen(#[from] std::io::Error),
    #[error("cannot build the notification HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
}

/// Everything the handlers share.
pub(crate) struct SimState {
    pub appid: String,
    /// The mini-program's AppSecret `jscode2session` expects.
    pub app_secret: String,
    pub mch_id: String,
    pub source_header_value: String,
    pub runtime: Mutex<RuntimeConfig>,
    pub clock: SimClock,
    pub ledger: Mutex<LedgerStore>,
    pub faults: Mutex<Vec<ActiveFault>>,
    pub login_codes: Mutex<LoginCodes>,
    pub http: reqwest::Client,
}

/// A lock that survives a panicked holder: the simulator keeps serving.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub struct WechatPaySimulator;

impl WechatPaySimulator {
    /// Starts the simulator on 127.0.0.1 (port from the config, 0 for a free one).
    /// Must be called inside a Tokio runtime; it serves until [`RunningWechatSim::stop`].
    pub async fn start(config: WechatSimConfig) -> Result<RunningWechatSim, WechatSimError> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .timeout(config.callback_timeout)
            .build()?;
        let state = web::Data::new(SimState {
            appid: config.appid.clone(),
            app_secret: config.app_secret.clone(),
            mch_id: config.mch_id.clone(),
            source_header_value: config.source_header_value.clone(),
            runtime: Mutex::new(RuntimeConfig::from_config(&config)),
            clock: SimClock::default(),
            ledger: Mutex::new(LedgerStore::default()),
            faults: Mutex::new(Vec::new()),
            login_codes: Mutex::new(LoginCodes::default()),
            http,
        });
        let handle = crate::serve::spawn(listener, state.clone(), routes)?;
        tracing::info!(%addr, "WeChat Pay simulator listening");
        Ok(RunningWechatSim {
            addr,
            handle,
            state,
            // No idle connections kept: a kept one the server closes meanwhile fails the
            // next control call ("error sending request") under load.
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap_or_default(),
        })
    }
}

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/_/pay/{api}", web::post().to(api::pay_api))
        .route("/sns/jscode2session", web::get().to(login::jscode2session))
        .route(
            "/__sandbox/wechat/login-codes",
            web::post().to(login::mint_code),
        )
        .route("/__sandbox/pay/{out_trade_no}", web::post().to(payer::pay))
        .route(
            "/__sandbox/pay/{out_trade_no}/redeliver",
            web::post().to(payer::redeliver),
        )
        .route("/__sandbox/wechat/ledger", web::get().to(control::ledger))
        .route(
            "/__sandbox/wechat/ledger",
            web::delete().to(control::reset_ledger),
        )
        .route(
            "/__sandbox/wechat/config",
            web::get().to(control::get_config),
        )
        .route(
            "/__sandbox/wechat/config",
            web::post().to(control::update_config),
        )
        .route("/__sandbox/wechat/clock", web::get().to(control::get_clock))
        .route(
            "/__sandbox/wechat/clock",
            web::post().to(control::move_clock),
        )
        .route(
            "/__sandbox/wechat/faults",
            web::post().to(control::add_fault),
        )
        .route(
            "/__sandbox/wechat/faults",
            web::delete().to(control::clear_faults),
        )
        .route(
            "/__sandbox/wechat/refunds/{out_refund_no}/status",
            web::post().to(control::force_refund_status),
        );
}

/// A running simulator.
pub struct RunningWechatSim {
    addr: SocketAddr,
    handle: ServerHandle,
    state: web::Data<SimState>,
    client: reqwest::Client,
}

impl RunningWechatSim {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: where the `/__sandbox/...` paths live.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The pay API base to configure the adapter with (`.../_/pay`).
    pub fn base_url(&self) -> String {
        format!("{}/_/pay", self.url())
    }

    /// A fresh `wx.login()` code for `openid` (single-use, five minutes), as
    /// `POST /__sandbox/wechat/login-codes` mints it.
    pub fn login_code(&self, openid: &str, unionid: Option<&str>) -> String {
        lock(&self.state.login_codes).mint(openid, unionid, self.state.clock.now())
    }

    /// The mini-program's appid and AppSecret `jscode2session` accepts.
    pub fn login_credentials(&self) -> (String, String) {
        (self.state.appid.clone(), self.state.app_secret.clone())
    }

    pub fn set_callback_base_url(&self, url: Option<&str>) {
        lock(&self.state.runtime).apply(ConfigUpdate {
            callback_base_url: Some(url.unwrap_or_default().to_owned()),
            ..ConfigUpdate::default()
        });
    }

    pub fn update_config(&self, update: ConfigUpdate) {
        lock(&self.state.runtime).apply(update);
    }

    /// Moves the simulator's clock forward (e.g. past the five-minute close rule).
    pub fn advance_clock(&self, by: Duration) {
        self.state
            .clock
            .advance_ms(i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
    }

    /// A copy of the ledger.
    pub fn ledger(&self) -> Ledger {
        lock(&self.state.ledger).snapshot()
    }

    /// The next `times` calls of `api` (`*` for any) fail with `fault`.
    pub fn inject_fault(&self, api: &str, fault: WechatFault, times: u32) {
        lock(&self.state.faults).push(ActiveFault {
            api: api.to_owned(),
            fault,
            remaining: times,
        });
    }

    /// Pays an order through `POST /__sandbox/pay/{out_trade_no}`; answers its JSON body
    /// (`transaction_id`, ...) or the error status and text.
    pub async fn pay(&self, out_trade_no: &str, options: &PayOptions) -> Result<Value, String> {
        let response = self
            .client
            .post(format!("{}/__sandbox/pay/{out_trade_no}", self.url()))
            .json(options)
            .send()
            .await
            .map_err(|error| error.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|error| error.to_string())?;
        if !status.is_success() {
            return Err(format!("{status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|error| error.to_string())
    }

    /// Waits until `count` notification attempts for the order were acknowledged.
    pub async fn wait_for_acknowledged(
        &self,
        out_trade_no: &str,
        count: usize,
        timeout: Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let acknowledged = lock(&self.state.ledger).acknowledged_count(out_trade_no);
            if acknowledged >= count {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
