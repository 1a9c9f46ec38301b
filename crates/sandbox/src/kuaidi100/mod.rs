//! Kuaidi100 simulator: the real-time query (快递100 实时快递查询), written from Kuaidi100's
//! public documentation, sharing no code with the client in `elife-logistics`.
//!
//! `POST /poll/query.do`, form fields `customer`, `sign` (uppercase hex MD5 of
//! `param + key + customer`) and `param` (JSON `{com, num, phone?, resultv2?, order?}`).
//! The answer is a plausible track derived from the number alone, so the same number always
//! gives the same track (see [`track`]): its last digit picks the state — `0` delivered
//! (签收), `1` collected (揽收), `2` problem (疑难), `4` returned (退签), `5` out for
//! delivery (派件), `6` on its way back (退回), `9` no record yet (`returnCode` 500), any
//! other in transit (在途).
//!
//! Refusals, as Kuaidi100 words them (`{"result":false,"returnCode":…,"message":…}`):
//! `400` missing fields, malformed `param`, a number not 6 to 32 characters or an unknown
//! company; `408` no phone for a carrier that needs one (shunfeng, zhongtong); `503` a
//! wrong signature or customer; `500` no record.

mod routes;
#[cfg(test)]
mod tests;
pub mod track;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::ServerHandle;
use actix_web::web;

/// Start-up settings of the Kuaidi100 simulator.
#[derive(Debug, Clone)]
pub struct Kuaidi100SimConfig {
    /// Port on 127.0.0.1; `0` picks a free one.
    pub port: u16,
    /// The account the simulator accepts.
    pub customer: String,
    pub key: String,
}

impl Kuaidi100SimConfig {
    pub const DEFAULT_CUSTOMER: &'static str = "SANDBOXCUSTOMER";
    pub const DEFAULT_KEY: &'static str = "sandbox-kuaidi100-key";
}

impl Default for Kuaidi100SimConfig {
    fn default() -> Self {
        Kuaidi100SimConfig {
            port: 0,
            customer: Self::DEFAULT_CUSTOMER.to_owned(),
            key: Self::DEFAULT_KEY.to_owned(),
        }
    }
}

pub(crate) struct SimState {
    pub config: Kuaidi100SimConfig,
    /// Queries answered (any answer), for tests.
    pub queries: AtomicU64,
}

pub struct Kuaidi100Simulator;

impl Kuaidi100Simulator {
    /// Starts the simulator on 127.0.0.1 in the current tokio runtime.
    pub async fn start(config: Kuaidi100SimConfig) -> std::io::Result<RunningKuaidi100Sim> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))?;
        let addr = listener.local_addr()?;
        let state = web::Data::from(Arc::new(SimState {
            config,
            queries: AtomicU64::new(0),
        }));
        let handle = crate::serve::spawn(listener, state.clone(), routes::configure)?;
        tracing::info!(%addr, "kuaidi100 sandbox listening");
        Ok(RunningKuaidi100Sim {
            addr,
            handle,
            state,
        })
    }
}

pub struct RunningKuaidi100Sim {
    addr: SocketAddr,
    handle: ServerHandle,
    state: web::Data<SimState>,
}

impl RunningKuaidi100Sim {
    /// `http://127.0.0.1:<port>`: the client's base URL (it appends `/poll/query.do`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn customer(&self) -> &str {
        &self.state.config.customer
    }

    pub fn key(&self) -> &str {
        &self.state.config.key
    }

    /// Queries answered so far.
    pub fn queries(&self) -> u64 {
        self.state.queries.load(Ordering::Relaxed)
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl Drop for RunningKuaidi100Sim {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
