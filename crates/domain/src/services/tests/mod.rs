//! Use-case tests against mocked ports: every branch, duplicates and lost races.
//!
//! Every port starts without expectations, so a call a test did not expect fails it: a
//! test that sets none on the provider proves nothing was sent.

mod attention;
mod orders;
mod recharge;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::accounts::admins::{AdminId, Role};
use crate::accounts::audit::{AdminAct, AuditActor, MockAuditLog};
use crate::msisdn::OperatorPrefixes;
use crate::order::{Order, Transition};
use crate::ports::{
    Alert, AlertLevel, CasOutcome, MockAlerts, MockClock, MockExchangeRateRepository,
    MockIdGenerator, MockOrderRepository, MockTopUpProvider, MockUserRepository, RepositoryError,
};
use crate::testing::t0;

use super::Ports;

/// What the tests record from a mock: the arguments it was called with, in order.
pub(super) type Calls<T> = Arc<Mutex<Vec<T>>>;

pub(super) fn calls<T: Clone>(log: &Calls<T>) -> Vec<T> {
    log.lock().unwrap().clone()
}

/// A mock's `returning` closure that answers `answer` and keeps every argument, with the
/// log it keeps them in.
pub(super) fn recording<T, R>(answer: R) -> (Calls<T>, impl FnMut(&T) -> R + Send + 'static)
where
    T: Clone + Send + 'static,
    R: Clone + Send + 'static,
{
    let log = Calls::default();
    let sink = Arc::clone(&log);
    let answering = move |argument: &T| {
        sink.lock().unwrap().push(argument.clone());
        answer.clone()
    };
    (log, answering)
}

/// The clock of every test: an hour after the fixtures were created.
pub(super) fn now() -> DateTime<Utc> {
    t0() + Duration::hours(1)
}

pub(super) fn storage_down() -> RepositoryError {
    RepositoryError::Unavailable("connection refused".to_owned())
}

/// One mock per port; [`Mocks::ports`] wires them like the server does.
#[derive(Default)]
pub(super) struct Mocks {
    pub orders: MockOrderRepository,
    pub users: MockUserRepository,
    pub rates: MockExchangeRateRepository,
    pub provider: MockTopUpProvider,
    pub ids: MockIdGenerator,
    pub alerts: MockAlerts,
    /// Audit rows written alone; none is expected unless a test says so.
    pub audit: MockAuditLog,
}

impl Mocks {
    pub fn ports(self) -> Ports {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        Ports {
            orders: Arc::new(self.orders),
            users: Arc::new(self.users),
            rates: Arc::new(self.rates),
            provider: Arc::new(self.provider),
            clock: Arc::new(clock),
            ids: Arc::new(self.ids),
            alerts: Arc::new(self.alerts),
            audit: Arc::new(self.audit),
            prefixes: OperatorPrefixes::default(),
        }
    }

    /// `find` answers these orders, one per call, and must be called exactly that often.
    pub fn finds(&mut self, answers: Vec<Option<Order>>) {
        let queue = Mutex::new(VecDeque::from(answers.clone()));
        self.orders
            .expect_find()
            .times(answers.len())
            .returning(move |_| Ok(queue.lock().unwrap().pop_front().flatten()));
    }

    /// `find` always answers this order.
    pub fn stores(&mut self, order: Order) {
        self.orders
            .expect_find()
            .returning(move |number| Ok(Some(order.clone()).filter(|o| &o.number == number)));
    }

    /// `apply` answers these outcomes, one per call, exactly that often (checked when the
    /// ports are dropped); the transitions it was given are returned.
    pub fn applies(&mut self, outcomes: &[CasOutcome]) -> Calls<Transition> {
        let log = Calls::default();
        let queue = Arc::new(Mutex::new(VecDeque::from(outcomes.to_vec())));
        let check = Arc::new(CallCount {
            log: log.clone(),
            expected: outcomes.len(),
        });
        let answer = {
            let (log, queue) = (log.clone(), queue.clone());
            move |transition: &Transition| {
                log.lock().unwrap().push(transition.clone());
                queue
                    .lock()
                    .unwrap()
                    .pop_front()
                    .unwrap_or(CasOutcome::Lost)
            }
        };
        self.orders.expect_apply().returning(move |transition| {
            let _keep = &check;
            Ok(answer(transition))
        });
        log
    }

    /// Nothing may be written to the order.
    pub fn applies_nothing(&mut self) {
        self.orders.expect_apply().never();
    }

    /// Every alert is accepted and kept.
    pub fn alerts(&mut self) -> Calls<Alert> {
        let (log, answering) = recording(Ok(()));
        self.alerts.expect_send().returning(answering);
        log
    }

    pub fn no_alerts(&mut self) {
        self.alerts.expect_send().never();
    }
}

/// Fails the test if `apply`/`apply_notified` were not called as often as expected.
struct CallCount {
    log: Calls<Transition>,
    expected: usize,
}

impl Drop for CallCount {
    fn drop(&mut self) {
        let made = self.log.lock().map(|log| log.len()).unwrap_or_default();
        if !std::thread::panicking() {
            assert_eq!(
                made, self.expected,
                "expected {} order write(s), got {made}",
                self.expected
            );
        }
    }
}

pub(super) fn only_alert(alerts: &Calls<Alert>) -> Alert {
    let sent = calls(alerts);
    assert_eq!(sent.len(), 1, "expected exactly one alert, got {sent:?}");
    sent[0].clone()
}

pub(super) fn assert_critical(alert: &Alert, mentions: &str) {
    assert_eq!(alert.level, AlertLevel::Critical, "{alert:?}");
    assert!(
        alert.title.contains(mentions) || alert.body.contains(mentions),
        "alert {alert:?} should mention {mentions:?}"
    );
}

/// An admin acting in a request.
pub(super) fn admin_act(username: &str) -> AdminAct {
    AdminAct::new(
        AuditActor {
            admin_id: Some(AdminId(7)),
            username: username.to_owned(),
            role: Role::Admin,
        },
        Some("req-1".to_owned()),
    )
}

/// The only transition written.
pub(super) fn only_write(log: &Calls<Transition>) -> Transition {
    let written = calls(log);
    assert_eq!(
        written.len(),
        1,
        "expected exactly one write, got {written:?}"
    );
    written[0].clone()
}

#[test]
fn mocks_start_strict() {
    // A port without expectations must refuse calls, or the tests below would prove little.
    let mocks = Mocks::default();
    let ports = mocks.ports();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ports.ids.order_number(now())
    }));
    assert!(result.is_err());
}
