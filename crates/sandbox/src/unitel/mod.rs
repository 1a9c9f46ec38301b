//! Unitel simulator: the same paths and answers as Unitel's top-up API (answers taken
//! from the real ones in `fixtures/unitel/`), a ledger of what it applied, and fault
//! injection, so the whole flow runs locally without credentials and tests can drive
//! every failure, including the worst one: a top-up applied whose answer never arrives.
//!
//! Unitel paths: `POST /auth` (Basic), `/service/servicetype`, `/service/unitel`,
//! `/service/recharge`, `/service/datapackage`, `/service/payment`,
//! `/service/check_transaction_result` (Bearer).
//!
//! Test paths: `GET /__sandbox/ledger` ([`LedgerView`]), `GET|POST /__sandbox/faults`
//! ([`Faults`] as JSON, mixed faults in [`FaultMix`]), `POST /__sandbox/reset`, `POST /__sandbox/expire-tokens`.
//!
//! Subscribers are chosen by the number's last digit: see [`catalogue`].
//!
//! Simulator-specific refusal codes (Unitel's real codes are undocumented): `101`
//! unknown subscriber, `102` wrong kind of subscriber (prepaid/postpaid) or owner,
//! `103` product not in the subscriber's list, `104` amount does not match, `105`
//! injected failure, `400` malformed request (HTTP 400), `401` token refused (HTTP 401),
//! `404` unknown transaction.

pub mod catalogue;
mod config;
mod connection;
mod faults;
mod ledger;
mod money;
mod routes;
mod state;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

pub use config::UnitelSimConfig;
pub use faults::{FaultMix, Faults, FaultsError, TopUpFault};
pub use ledger::{EntryStatus, LedgerEntry, LedgerView, Operation};

use catalogue::Catalogue;
use state::SimState;

#[derive(Debug, thiserror::Error)]
pub enum UnitelSimError {
    #[error("unitel sandbox fixtures are invalid: {0}")]
    Fixtures(#[from] serde_json::Error),
    #[error("unitel sandbox cannot listen: {0}")]
    Bind(#[from] std::io::Error),
    #[error("unitel sandbox faults are invalid: {0}")]
    InvalidFaults(#[from] FaultsError),
}

pub struct UnitelSimulator;

impl UnitelSimulator {
    /// Starts the simulator on 127.0.0.1 (`config.port`, or a free port when 0) in the
    /// current tokio runtime. It stops when [`RunningUnitelSim::stop`] is awaited or the
    /// handle is dropped.
    pub async fn start(config: UnitelSimConfig) -> Result<RunningUnitelSim, UnitelSimError> {
        config.faults.validate()?;
        let state = web::Data::from(Arc::new(SimState::new(&config, Catalogue::load()?)));
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .configure(routes::configure)
        })
        .on_connect(connection::remember_socket)
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .bind(("127.0.0.1", config.port))?;
        let addr = server
            .addrs()
            .into_iter()
            .next()
            .ok_or_else(|| std::io::Error::other("bound to no address"))?;
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        tracing::info!(%addr, "unitel sandbox listening");
        Ok(RunningUnitelSim {
            addr,
            handle,
            state,
        })
    }
}

/// A running simulator. Its state is also reachable in-process (ledger, faults) for tests
/// that would rather not go through HTTP.
pub struct RunningUnitelSim {
    addr: SocketAddr,
    handle: ServerHandle,
    state: web::Data<SimState>,
}

impl RunningUnitelSim {
    /// `http://127.0.0.1:<port>`, to use as the Unitel base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn ledger(&self) -> LedgerView {
        self.state.ledger()
    }

    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    pub fn set_faults(&self, faults: Faults) -> Result<(), UnitelSimError> {
        Ok(self.state.set_faults(faults)?)
    }

    /// Every token issued so far stops working (the next business call answers 401).
    pub fn expire_tokens(&self) {
        self.state.expire_tokens();
    }

    pub fn reset(&self) {
        self.state.reset();
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl Drop for RunningUnitelSim {
    fn drop(&mut self) {
        // The stop command is sent when `stop` is called; awaiting only waits for it.
        drop(self.handle.stop(false));
    }
}
