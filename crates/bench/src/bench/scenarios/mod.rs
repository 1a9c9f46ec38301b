//! The scenarios, one module each, as steps of a [`Run`].

mod callback;
mod create;
mod database_limit;
mod drain;
mod my_orders;
mod paced;
mod recharge_latency;
mod startup;

use super::error::BenchError;
use super::options::Scenario;
use super::run::Run;

impl Run {
    pub(super) async fn scenario(&mut self, scenario: Scenario) -> Result<(), BenchError> {
        match scenario {
            Scenario::Create => self.create().await,
            Scenario::MyOrders => self.my_orders().await,
            Scenario::Callback => self.callback().await,
            Scenario::Limit => self.limit().await,
            Scenario::Paced => self.paced().await,
            Scenario::RechargeLatency => self.recharge_latency().await,
            Scenario::Drain => self.drain().await,
            Scenario::Startup => self.startup().await,
        }
    }
}
