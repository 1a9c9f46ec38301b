//! Starting the simulator, its routes, and driving it from Rust tests.

use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web;
use serde::Serialize;
use serde_json::Value;

use super::aead::{AeadError, check_key};
use super::bills::BillFiles;
use super::clock::SimClock;
use super::config::{RuntimeConfig, SigningMode, V3ConfigUpdate, WechatPayV3SimConfig};
use super::control::{self, V3SandboxKeys, keys_of};
use super::faults::{ArmedFaults, V3ApiFault, V3FaultRequest};
use super::keys::{KeyError, SimKeys};
use super::payer::{self, V3NotifyRequest, V3PayOptions};
use super::platform;
use super::records::{V3Ledger, V3RefundStatus};
use super::refund_routes;
use super::signing::{KeyRotation, SignatureFault};
use super::state::SimState;
use super::store::SharedLedger;
use super::transactions;

#[derive(Debug, thiserror::Error)]
pub enum WechatPayV3SimError {
    #[error("cannot listen for the WeChat Pay v3 simulator: {0}")]
    Listen(#[from] std::io::Error),
    #[error("cannot build the notification HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error("WeChat Pay v3 simulator keys: {0}")]
    Keys(#[from] KeyError),
    #[error("WeChat Pay v3 simulator APIv3 key: {0}")]
    ApiV3Key(#[from] AeadError),
}

pub struct WechatPayV3Simulator;

impl WechatPayV3Simulator {
    /// Starts the simulator on 127.0.0.1 (port from the config, 0 for a free one).
    /// Must be called inside a Tokio runtime; it serves until [`RunningWechatPayV3Sim::stop`].
    pub async fn start(
        config: WechatPayV3SimConfig,
    ) -> Result<RunningWechatPayV3Sim, WechatPayV3SimError> {
        check_key(&config.apiv3_key)?;
        let clock = SimClock::default();
        let keys = SimKeys::load(&config, clock.now())?;
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .timeout(config.notify_timeout)
            .build()?;
        let state = web::Data::new(SimState {
            appid: config.appid.clone(),
            mchid: config.mchid.clone(),
            apiv3_key: config.apiv3_key.clone(),
            max_clock_skew: config.max_clock_skew,
            base_url: format!("http://{addr}"),
            keys,
            rotation: KeyRotation::default(),
            runtime: Mutex::new(RuntimeConfig::from_config(&config)),
            clock,
            ledger: SharedLedger::default(),
            faults: ArmedFaults::default(),
            bills: BillFiles::default(),
            http,
        });
        let handle = crate::serve::spawn(listener, state.clone(), routes)?;
        tracing::info!(%addr, "WeChat Pay v3 simulator listening");
        Ok(RunningWechatPayV3Sim {
            addr,
            handle,
            state,
            client: reqwest::Client::new(),
        })
    }
}

pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route(
            "/v3/pay/transactions/jsapi",
            web::post().to(transactions::jsapi),
        )
        .route(
            "/v3/pay/transactions/native",
            web::post().to(transactions::native),
        )
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}",
            web::get().to(transactions::query_by_out_trade_no),
        )
        .route(
            "/v3/pay/transactions/id/{transaction_id}",
            web::get().to(transactions::query_by_transaction_id),
        )
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            web::post().to(transactions::close),
        )
        .route(
            "/v3/refund/domestic/refunds",
            web::post().to(refund_routes::create),
        )
        .route(
            "/v3/refund/domestic/refunds/{out_refund_no}",
            web::get().to(refund_routes::query),
        )
        .route("/v3/certificates", web::get().to(platform::certificates))
        .route(
            "/v3/bill/tradebill",
            web::get().to(platform::trade_bill_route),
        )
        .route(
            "/v3/bill/fundflowbill",
            web::get().to(platform::fund_flow_bill_route),
        )
        .route("/v3/billdownload/file", web::get().to(platform::download))
        .route("/sandbox/v3/pay/{out_trade_no}", web::post().to(payer::pay))
        .route(
            "/sandbox/v3/notify/{out_trade_no}",
            web::post().to(payer::notify_payment),
        )
        .route(
            "/sandbox/v3/refunds/{out_refund_no}/notify",
            web::post().to(payer::notify_refund),
        )
        .route(
            "/sandbox/v3/refunds/{out_refund_no}/status",
            web::post().to(payer::set_refund_status),
        )
        .route(
            "/sandbox/v3/notifications/{id}/replay",
            web::post().to(payer::replay),
        )
        .route("/sandbox/v3/keys", web::get().to(control::keys))
        .route("/sandbox/v3/ledger", web::get().to(control::ledger))
        .route(
            "/sandbox/v3/ledger",
            web::delete().to(control::reset_ledger),
        )
        .route("/sandbox/v3/config", web::get().to(control::get_config))
        .route("/sandbox/v3/config", web::post().to(control::update_config))
        .route("/sandbox/v3/faults", web::post().to(control::add_fault))
        .route(
            "/sandbox/v3/faults",
            web::delete().to(control::clear_faults),
        )
        .route("/sandbox/v3/clock", web::get().to(control::get_clock))
        .route("/sandbox/v3/clock", web::post().to(control::move_clock));
}

/// A running simulator.
pub struct RunningWechatPayV3Sim {
    addr: SocketAddr,
    handle: ServerHandle,
    state: web::Data<SimState>,
    client: reqwest::Client,
}

impl RunningWechatPayV3Sim {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the API base (`WECHAT_PAY_API_URL`), and where the
    /// `/sandbox/v3/...` paths live.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The ids, keys and certificate a merchant configures.
    pub fn keys(&self) -> V3SandboxKeys {
        keys_of(&self.state)
    }

    /// A copy of the ledger.
    pub fn ledger(&self) -> V3Ledger {
        self.state.ledger.read(|store| store.snapshot())
    }

    pub fn set_signing(&self, mode: SigningMode) {
        self.state.update_runtime(|runtime| runtime.signing = mode);
    }

    pub fn update_config(&self, update: V3ConfigUpdate) -> Result<(), String> {
        self.state.update_runtime(|runtime| runtime.apply(update))
    }

    /// The next `times` calls of `endpoint` (`jsapi`, `query`, ... or `*`) meet `fault`.
    pub fn inject_fault(&self, endpoint: &str, fault: V3ApiFault, times: u32) {
        self.state.faults.arm(V3FaultRequest {
            endpoint: endpoint.to_owned(),
            fault,
            times,
        });
    }

    /// Moves the simulator's clock forward.
    pub fn advance_clock(&self, by: Duration) {
        self.state
            .clock
            .advance_ms(i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
    }

    async fn post(&self, path: &str, body: &impl Serialize) -> Result<Value, String> {
        let response = self
            .client
            .post(format!("{}{path}", self.url()))
            .json(body)
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

    /// Pays an order as the user would (`POST /sandbox/v3/pay/{out_trade_no}`); answers
    /// `transaction_id`, `notification_id`, ... or the error status and text.
    pub async fn pay(&self, out_trade_no: &str, options: &V3PayOptions) -> Result<Value, String> {
        self.post(&format!("/sandbox/v3/pay/{out_trade_no}"), options)
            .await
    }

    /// Sends the order's payment notification again; with a fault, once, answering the
    /// merchant's answer in `attempt`.
    pub async fn notify_payment(
        &self,
        out_trade_no: &str,
        fault: Option<SignatureFault>,
    ) -> Result<Value, String> {
        self.post(
            &format!("/sandbox/v3/notify/{out_trade_no}"),
            &V3NotifyRequest { fault },
        )
        .await
    }

    /// Sends the refund's notification again (see [`Self::notify_payment`]).
    pub async fn notify_refund(
        &self,
        out_refund_no: &str,
        fault: Option<SignatureFault>,
    ) -> Result<Value, String> {
        self.post(
            &format!("/sandbox/v3/refunds/{out_refund_no}/notify"),
            &V3NotifyRequest { fault },
        )
        .await
    }

    /// Re-sends the exact bytes and headers of a notification's first attempt.
    pub async fn replay(&self, notification_id: &str) -> Result<Value, String> {
        self.post(
            &format!("/sandbox/v3/notifications/{notification_id}/replay"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Moves a refund to SUCCESS, CLOSED or ABNORMAL and notifies it.
    pub async fn set_refund_status(
        &self,
        out_refund_no: &str,
        status: V3RefundStatus,
    ) -> Result<Value, String> {
        self.post(
            &format!("/sandbox/v3/refunds/{out_refund_no}/status"),
            &serde_json::json!({ "status": status.as_str() }),
        )
        .await
    }

    /// Waits until the ledger satisfies `condition` (checked at every change); false on
    /// timeout.
    pub async fn wait_for(&self, timeout: Duration, condition: impl Fn(&V3Ledger) -> bool) -> bool {
        let mut changes = self.state.ledger.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if condition(&self.ledger()) {
                return true;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return condition(&self.ledger()),
            }
        }
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
