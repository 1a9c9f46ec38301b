//! The in-process simulators of Unitel and WeChat Pay, for local runs and tests.

use elife_sandbox::kuaidi100::{Kuaidi100SimConfig, Kuaidi100Simulator, RunningKuaidi100Sim};
use elife_sandbox::unitel::{RunningUnitelSim, UnitelSimConfig, UnitelSimulator};
use elife_sandbox::wechat::{RunningWechatSim, WechatPaySimulator, WechatSimConfig};
use elife_sandbox::wechat_pay_v3::{
    RunningWechatPayV3Sim, WechatPayV3SimConfig, WechatPayV3Simulator,
};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("unitel simulator: {0}")]
    Unitel(String),
    #[error("wechat pay simulator: {0}")]
    Wechat(String),
    #[error("wechat pay v3 simulator: {0}")]
    WechatPayV3(String),
    #[error("kuaidi100 simulator: {0}")]
    Kuaidi100(String),
}

/// The simulators, running on local ports.
pub struct Sandbox {
    pub unitel: RunningUnitelSim,
    pub wechat: RunningWechatSim,
    /// WeChat Pay API v3, started with `PAY_CHANNEL=v3` ([`Sandbox::with_wechat_pay_v3`]).
    pub wechat_pay_v3: Option<RunningWechatPayV3Sim>,
    /// Parcel tracking (Kuaidi100's real-time query).
    pub kuaidi100: RunningKuaidi100Sim,
    /// Where the simulators reach this server (payment callbacks and notifications).
    pub callback_base_url: Option<String>,
}

impl Sandbox {
    /// Starts both; WeChat delivers payment callbacks to `callback_base_url` + the path the
    /// adapter names in `unifiedOrder`.
    pub async fn start(
        callback_base_url: Option<String>,
        unitel_port: u16,
        wechat_port: u16,
    ) -> Result<Sandbox, SandboxError> {
        let unitel = UnitelSimulator::start(UnitelSimConfig {
            port: unitel_port,
            ..UnitelSimConfig::default()
        })
        .await
        .map_err(|error| SandboxError::Unitel(error.to_string()))?;
        let wechat = WechatPaySimulator::start(WechatSimConfig {
            port: wechat_port,
            callback_base_url: callback_base_url.clone(),
            ..WechatSimConfig::default()
        })
        .await
        .map_err(|error| SandboxError::Wechat(error.to_string()))?;
        let kuaidi100 = Kuaidi100Simulator::start(Kuaidi100SimConfig::default())
            .await
            .map_err(|error| SandboxError::Kuaidi100(error.to_string()))?;
        Ok(Sandbox {
            unitel,
            wechat,
            wechat_pay_v3: None,
            kuaidi100,
            callback_base_url,
        })
    }

    /// Adds the WeChat Pay API v3 simulator (its built-in sandbox merchant signs requests;
    /// the server reads its keys from [`RunningWechatPayV3Sim::keys`]).
    pub async fn with_wechat_pay_v3(mut self) -> Result<Sandbox, SandboxError> {
        let simulator = WechatPayV3Simulator::start(WechatPayV3SimConfig::default())
            .await
            .map_err(|error| SandboxError::WechatPayV3(error.to_string()))?;
        self.wechat_pay_v3 = Some(simulator);
        Ok(self)
    }

    pub fn unitel_credentials() -> (&'static str, &'static str) {
        (
            UnitelSimConfig::DEFAULT_USERNAME,
            UnitelSimConfig::DEFAULT_PASSWORD,
        )
    }

    pub async fn stop(self) {
        self.unitel.stop().await;
        self.wechat.stop().await;
        self.kuaidi100.stop().await;
        if let Some(simulator) = self.wechat_pay_v3 {
            simulator.stop().await;
        }
    }
}
