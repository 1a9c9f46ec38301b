//! The WeChat side of a run, on either payment channel (`--channel`): Cloud Hosting's open
//! interface or WeChat Pay API v3 direct. One enum with an implementation per channel: the
//! workload, the faults, the drain and the audit are the same on both; only how a customer
//! pays, how WeChat notifies, and how its ledger reads differ.

mod cloud;
mod follow_ups;
mod truth;
mod v3;

use std::path::Path;

use serde_json::Value;

use crate::cluster::Simulators;

use super::control::get_json;
use super::error::ChaosError;
use super::proxy::TcpProxy;

pub use follow_ups::Problems;
pub use truth::{Delivery, WechatTruth, tally};

/// The WeChat Pay API the servers take money through (their `PAY_CHANNEL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Channel {
    /// Cloud Hosting's open interface (`PAY_CHANNEL=cloud`).
    Cloud,
    /// WeChat Pay API v3 direct (`PAY_CHANNEL=v3`).
    V3,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Cloud, Channel::V3];

    /// As `--channel` and `PAY_CHANNEL` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Cloud => "cloud",
            Channel::V3 => "v3",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Channel::Cloud => "Cloud Hosting",
            Channel::V3 => "WeChat Pay API v3",
        }
    }
}

/// How a customer pays one order, and how WeChat notifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    /// Notification copies (1–3).
    pub copies: u32,
    /// Delay before the first notification: later orders' notifications overtake it.
    pub delay_ms: u64,
    /// The order was closed meanwhile: pay it anyway.
    pub late: bool,
}

/// Where WeChat's notifications go, and the balancer this needed, if any.
pub struct CallbackRouting {
    pub description: String,
    /// In front of the instances; stopped after them.
    pub balancer: Option<TcpProxy>,
}

/// The WeChat side as the workload drives it (cheap to clone).
#[derive(Clone)]
pub enum Wechat {
    Cloud(cloud::CloudHosting),
    V3(v3::PayV3),
}

impl Wechat {
    pub fn channel(&self) -> Channel {
        match self {
            Wechat::Cloud(_) => Channel::Cloud,
            Wechat::V3(_) => Channel::V3,
        }
    }

    /// The customer pays `number`; answers the notifications WeChat will retry until
    /// answered (what [`Wechat::truth`] counts as deliveries).
    pub async fn pay(
        &self,
        http: &reqwest::Client,
        number: &str,
        payment: &Payment,
    ) -> Result<u32, String> {
        match self {
            Wechat::Cloud(cloud) => cloud.pay(http, number, payment).await,
            Wechat::V3(v3) => v3.pay(http, number, payment).await,
        }
    }

    /// WeChat's ledger as its simulator shows it.
    pub async fn ledger(&self, http: &reqwest::Client) -> Result<Value, ChaosError> {
        let url = match self {
            Wechat::Cloud(cloud) => cloud.ledger_url(),
            Wechat::V3(v3) => v3.ledger_url(),
        };
        get_json(http, &url).await
    }

    /// What a [`Wechat::ledger`] says: trade states, notification deliveries, figures of the
    /// channel.
    pub fn read(&self, ledger: &Value) -> WechatTruth {
        match self {
            Wechat::Cloud(_) => cloud::truth_of(ledger),
            Wechat::V3(_) => v3::truth_of(ledger),
        }
    }

    /// The ledger, read.
    pub async fn truth(&self, http: &reqwest::Client) -> Result<WechatTruth, ChaosError> {
        Ok(self.read(&self.ledger(http).await?))
    }

    /// Makes WeChat ready to close the late orders when the server asks; what was done.
    pub async fn before_late_payments(&self, http: &reqwest::Client) -> String {
        match self {
            Wechat::Cloud(cloud) => cloud.before_late_payments(http).await,
            Wechat::V3(_) => v3::PayV3::before_late_payments(),
        }
    }

    /// How notifications reach the instances, once payments have started.
    pub async fn route_callbacks(
        &self,
        http: &reqwest::Client,
        instance_urls: &[String],
    ) -> Result<CallbackRouting, ChaosError> {
        match self {
            Wechat::Cloud(cloud) => cloud.route_callbacks(http, instance_urls).await,
            Wechat::V3(_) => Ok(v3::PayV3::route_callbacks(instance_urls)),
        }
    }

    /// Waits for what WeChat still had to send after the payments (delayed notifications,
    /// copies); what could not be sent.
    pub async fn settle(&self) -> Problems {
        match self {
            Wechat::Cloud(_) => Problems::default(),
            Wechat::V3(v3) => v3.settle().await,
        }
    }
}

/// The WeChat side of the rig: the handle, what the servers need to reach it, and what
/// this process runs for it.
pub struct WechatRig {
    pub wechat: Wechat,
    /// `WECHAT_PAY_API_URL` of the servers.
    pub pay_api: String,
    /// The servers' settings for the channel (with v3, the sandbox merchant's keys: not
    /// for the report).
    pub server_env: Vec<(String, String)>,
    /// How WeChat behaves, for the report.
    pub description: String,
    hosted: Option<v3::HostedPayV3>,
}

impl WechatRig {
    /// Readies WeChat for instances at `instance_urls` (not started yet).
    pub async fn start(
        channel: Channel,
        http: &reqwest::Client,
        simulators: &Simulators,
        instance_urls: &[String],
        work_dir: &Path,
    ) -> Result<WechatRig, ChaosError> {
        match channel {
            Channel::Cloud => Ok(WechatRig {
                wechat: Wechat::Cloud(
                    cloud::CloudHosting::start(http, simulators, instance_urls).await?,
                ),
                pay_api: simulators.wechat_pay_api(),
                server_env: vec![("PAY_CHANNEL".to_owned(), "cloud".to_owned())],
                description: cloud::CloudHosting::description(),
                hosted: None,
            }),
            Channel::V3 => {
                let started = v3::PayV3::start(instance_urls, work_dir).await?;
                Ok(WechatRig {
                    pay_api: started.wechat.api_url(),
                    wechat: Wechat::V3(started.wechat),
                    server_env: started.server_env,
                    description: v3::PayV3::description(),
                    hosted: Some(started.hosted),
                })
            }
        }
    }

    /// Stops what this process runs for WeChat (after the servers).
    pub async fn stop(self) {
        if let Some(hosted) = self.hosted {
            hosted.stop().await;
        }
    }
}
