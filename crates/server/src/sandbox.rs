//! The in-process simulators of Unitel and WeChat Pay, for local runs and tests.

use elife_sandbox::unitel::{RunningUnitelSim, UnitelSimConfig, UnitelSimulator};
use elife_sandbox::wechat::{RunningWechatSim, WechatPaySimulator, WechatSimConfig};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("unitel simulator: {0}")]
    Unitel(String),
    #[error("wechat pay simulator: {0}")]
    Wechat(String),
}

/// Both simulators, running on local ports.
pub struct Sandbox {
    pub unitel: RunningUnitelSim,
    pub wechat: RunningWechatSim,
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
            callback_base_url,
            ..WechatSimConfig::default()
        })
        .await
        .map_err(|error| SandboxError::Wechat(error.to_string()))?;
        Ok(Sandbox { unitel, wechat })
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
    }
}
