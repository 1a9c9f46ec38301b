//! A whole payments world in memory: the core's storage with real compare-and-set, top-up
//! orders with real compare-and-set, a WeChat that remembers, a provider that counts, a
//! clock that moves. The services are the real ones, wired as the server wires them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::accounts::admins::{AdminId, Role};
use crate::accounts::audit::{AdminAct, AuditActor};
use crate::accounts::fakes::AuditRows;
use crate::money::Fen;
use crate::msisdn::{Msisdn, OperatorPrefixes};
use crate::order::{
    OpenId, Order, OrderEvent, OrderNumber, PaymentStatus, RechargeStatus, Transition,
};
use crate::payments::PaymentNotice;
use crate::payments::memory::MemoryPayments;
use crate::payments::{
    FulfilmentRelay, FulfilmentRouter, GoodsKind, PayChannel, PayPorts, PaymentService,
    RefundService,
};
use crate::points::memory::MemoryPoints;
use crate::points::{PointsAdmin, PointsFulfilment, PointsService, PointsShop};
use crate::ports::{
    Alert, AlertError, Alerts, CasOutcome, Clock, ConfirmedPayment, GatewayError,
    MockExchangeRateRepository, MockIdGenerator, MockUserRepository, OrderFilter, OrderRepository,
    Page, PageRequest, PaymentGateway, PaymentParams, PaymentRequest, PostpaidBill, PriceList,
    ProviderError, RefundRequest, RefundState, RepositoryError, StatementEntry, StatementKind,
    TopUpAccepted, TopUpError, TopUpProvider, TopUpQueue, TopUpRequest, TradeState,
    TransactionCheck, WorkQueue,
};
use crate::ports::{IncomingNotification, NotificationKind};
use crate::services::{Ports, RechargeService, TopUpFulfilment, TopUpPayments};
use crate::testing::{t0, unpaid_order};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A clock the test moves.
#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Top-up orders in memory, written only by compare-and-set on state and version.
#[derive(Debug, Clone, Default)]
pub struct MemoryOrders {
    pub orders: Arc<Mutex<HashMap<OrderNumber, Order>>>,
    pub events: Arc<Mutex<Vec<OrderEvent>>>,
}

impl MemoryOrders {
    pub fn get(&self, number: &OrderNumber) -> Order {
        lock(&self.orders)[number].clone()
    }
}

#[async_trait]
impl OrderRepository for MemoryOrders {
    async fn insert(&self, order: &Order) -> Result<(), RepositoryError> {
        let mut orders = lock(&self.orders);
        if orders.contains_key(&order.number) {
            return Err(RepositoryError::Duplicate(order.number.to_string()));
        }
        orders.insert(order.number.clone(), order.clone());
        Ok(())
    }

    async fn find(&self, number: &OrderNumber) -> Result<Option<Order>, RepositoryError> {
        Ok(lock(&self.orders).get(number).cloned())
    }

    async fn apply(&self, transition: &Transition) -> Result<CasOutcome, RepositoryError> {
        let mut orders = lock(&self.orders);
        let Some(stored) = orders.get_mut(&transition.order.number) else {
            return Ok(CasOutcome::Lost);
        };
        if stored.state() != transition.expected_state
            || stored.version != transition.expected_version
        {
            return Ok(CasOutcome::Lost);
        }
        *stored = transition.order.clone();
        lock(&self.events).push(transition.event.clone());
        Ok(CasOutcome::Won)
    }

    async fn list_for_user(
        &self,
        _openid: &OpenId,
        _filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            page: page.page,
            limit: page.limit,
        })
    }

    async fn list_all(
        &self,
        _filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        Ok(Page {
            items: Vec::new(),
            total: 0,
            page: page.page,
            limit: page.limit,
        })
    }

    async fn find_work(
        &self,
        queue: WorkQueue,
        cutoff: DateTime<Utc>,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<Vec<Order>, RepositoryError> {
        let orders = lock(&self.orders);
        let before = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at < cutoff);
        let mut found: Vec<Order> = orders
            .values()
            .filter(|o| match queue {
                WorkQueue::PaidUnclaimed => {
                    o.payment_status == PaymentStatus::Paid
                        && o.recharge_status == RechargeStatus::Pending
                        && before(o.paid_at)
                }
                WorkQueue::StaleSubmissions => {
                    o.recharge_status == RechargeStatus::Submitting && before(o.recharge_at)
                }
                WorkQueue::Confirming => {
                    o.recharge_status == RechargeStatus::Confirming && before(o.recharge_at)
                }
                WorkQueue::ExpiredUnpaid => {
                    o.payment_status == PaymentStatus::Unpaid && o.created_at < cutoff
                }
                WorkQueue::FailedPaid => {
                    o.payment_status == PaymentStatus::Paid
                        && o.recharge_status == RechargeStatus::Failed
                        && before(o.paid_at)
                }
                WorkQueue::Refunding => o.payment_status == PaymentStatus::Refunding,
            })
            .filter(|o| after.as_ref().is_none_or(|after| &o.number > after))
            .cloned()
            .collect();
        found.sort_by(|a, b| a.number.cmp(&b.number));
        found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(found)
    }

    async fn events(&self, number: &OrderNumber) -> Result<Vec<OrderEvent>, RepositoryError> {
        Ok(lock(&self.events)
            .iter()
            .filter(|e| &e.order_number == number)
            .cloned()
            .collect())
    }
}

/// What WeChat knows of one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatPayment {
    pub state: TradeState,
    /// Refund number → amount, each paid once however often it is asked for.
    pub refunds: Vec<(String, Fen)>,
}

/// A WeChat Pay that remembers: payments made, closes, refunds by number (idempotent),
/// its statement; and an outage the test switches on.
#[derive(Debug, Clone, Default)]
pub struct FakeWechat {
    pub payments: Arc<Mutex<HashMap<String, WechatPayment>>>,
    pub down: Arc<Mutex<bool>>,
    pub created: Arc<Mutex<Vec<PaymentRequest>>>,
    pub refund_requests: Arc<Mutex<Vec<RefundRequest>>>,
}

impl FakeWechat {
    /// The payer pays now (WeChat accepts unless closed or paid).
    pub fn pay(&self, number: &OrderNumber, amount: Fen, transaction: &str) -> bool {
        let mut payments = lock(&self.payments);
        let entry = payments.entry(number.to_string()).or_insert(WechatPayment {
            state: TradeState::NotPaid,
            refunds: Vec::new(),
        });
        match entry.state {
            TradeState::NotPaid | TradeState::UserPaying => {
                entry.state = TradeState::Paid(ConfirmedPayment {
                    order_number: number.to_string(),
                    transaction_id: transaction.to_owned(),
                    amount,
                    attach: None,
                    paid_at: None,
                    payer: None,
                });
                true
            }
            TradeState::Paid(_)
            | TradeState::Refunded(_)
            | TradeState::Closed
            | TradeState::Revoked
            | TradeState::PayError
            | TradeState::NotFound => false,
        }
    }

    /// A payment WeChat takes although the order was closed (a race on its side).
    pub fn pay_despite_close(&self, number: &OrderNumber, amount: Fen, transaction: &str) {
        let mut payments = lock(&self.payments);
        payments.insert(
            number.to_string(),
            WechatPayment {
                state: TradeState::Paid(ConfirmedPayment {
                    order_number: number.to_string(),
                    transaction_id: transaction.to_owned(),
                    amount,
                    attach: None,
                    paid_at: None,
                    payer: None,
                }),
                refunds: Vec::new(),
            },
        );
    }

    pub fn set_down(&self, down: bool) {
        *lock(&self.down) = down;
    }

    fn check_up(&self) -> Result<(), GatewayError> {
        if *lock(&self.down) {
            Err(GatewayError::Unavailable("connection reset".to_owned()))
        } else {
            Ok(())
        }
    }

    /// Refunded in total for a payment.
    pub fn refunded(&self, number: &OrderNumber) -> i64 {
        lock(&self.payments)
            .get(number.as_str())
            .map_or(0, |p| p.refunds.iter().map(|(_, fen)| fen.value()).sum())
    }
}

#[async_trait]
impl PaymentGateway for FakeWechat {
    async fn create_payment(
        &self,
        request: &PaymentRequest,
    ) -> Result<PaymentParams, GatewayError> {
        self.check_up()?;
        lock(&self.created).push(request.clone());
        lock(&self.payments)
            .entry(request.order_number.to_string())
            .or_insert(WechatPayment {
                state: TradeState::NotPaid,
                refunds: Vec::new(),
            });
        Ok(PaymentParams(
            serde_json::json!({ "package": format!("prepay_id={}", request.order_number) }),
        ))
    }

    async fn query_order(&self, number: &OrderNumber) -> Result<TradeState, GatewayError> {
        self.check_up()?;
        Ok(lock(&self.payments)
            .get(number.as_str())
            .map_or(TradeState::NotFound, |p| p.state.clone()))
    }

    async fn close_order(&self, number: &OrderNumber) -> Result<(), GatewayError> {
        self.check_up()?;
        let mut payments = lock(&self.payments);
        let Some(payment) = payments.get_mut(number.as_str()) else {
            return Err(GatewayError::NotFound);
        };
        match payment.state {
            TradeState::NotPaid | TradeState::UserPaying | TradeState::PayError => {
                payment.state = TradeState::Closed;
                Ok(())
            }
            TradeState::Paid(_) | TradeState::Refunded(_) => Err(GatewayError::OrderPaid),
            TradeState::Closed | TradeState::Revoked => Err(GatewayError::OrderClosed),
            TradeState::NotFound => Err(GatewayError::NotFound),
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundState, GatewayError> {
        self.check_up()?;
        lock(&self.refund_requests).push(request.clone());
        let mut payments = lock(&self.payments);
        let Some(payment) = payments.get_mut(request.order_number.as_str()) else {
            return Err(GatewayError::NotFound);
        };
        let paid = match &payment.state {
            TradeState::Paid(paid) | TradeState::Refunded(paid) => paid.clone(),
            TradeState::NotPaid
            | TradeState::UserPaying
            | TradeState::Closed
            | TradeState::Revoked
            | TradeState::PayError
            | TradeState::NotFound => {
                return Err(GatewayError::Rejected {
                    code: "TRADE_NOT_PAID".into(),
                    message: "not paid".into(),
                });
            }
        };
        if !payment
            .refunds
            .iter()
            .any(|(no, _)| no == &request.refund_no)
        {
            let total: i64 = payment.refunds.iter().map(|(_, fen)| fen.value()).sum();
            if total + request.amount.value() > paid.amount.value() {
                return Err(GatewayError::Rejected {
                    code: "NOT_ENOUGH".into(),
                    message: "refund exceeds payment".into(),
                });
            }
            payment
                .refunds
                .push((request.refund_no.clone(), request.amount));
            payment.state = TradeState::Refunded(paid);
        }
        Ok(RefundState::Succeeded {
            gateway_refund_id: Some(format!("wx-{}", request.refund_no)),
        })
    }

    async fn query_refund(&self, refund_no: &str) -> Result<RefundState, GatewayError> {
        self.check_up()?;
        let payments = lock(&self.payments);
        let known = payments
            .values()
            .any(|payment| payment.refunds.iter().any(|(no, _)| no == refund_no));
        if known {
            Ok(RefundState::Succeeded {
                gateway_refund_id: Some(format!("wx-{refund_no}")),
            })
        } else {
            Err(GatewayError::NotFound)
        }
    }

    async fn statement(&self, _day: NaiveDate) -> Result<Vec<StatementEntry>, GatewayError> {
        self.check_up()?;
        Ok(lock(&self.payments)
            .values()
            .filter_map(|p| match &p.state {
                TradeState::Paid(paid) | TradeState::Refunded(paid) => Some(StatementEntry {
                    order_number: paid.order_number.clone(),
                    transaction_id: paid.transaction_id.clone(),
                    amount: paid.amount,
                    kind: StatementKind::Payment,
                }),
                TradeState::NotPaid
                | TradeState::UserPaying
                | TradeState::Closed
                | TradeState::Revoked
                | TradeState::PayError
                | TradeState::NotFound => None,
            })
            .collect())
    }
}

/// A provider that succeeds and counts each top-up per order.
#[derive(Debug, Clone, Default)]
pub struct CountingProvider {
    pub top_ups: Arc<Mutex<HashMap<OrderNumber, usize>>>,
}

#[async_trait]
impl TopUpProvider for CountingProvider {
    async fn price_list(&self, _msisdn: &Msisdn) -> Result<PriceList, ProviderError> {
        Err(ProviderError::Unavailable("not in these tests".to_owned()))
    }

    async fn postpaid_bill(&self, _msisdn: &Msisdn) -> Result<PostpaidBill, ProviderError> {
        Err(ProviderError::Unavailable("not in these tests".to_owned()))
    }

    async fn top_up(&self, request: &TopUpRequest) -> Result<TopUpAccepted, TopUpError> {
        *lock(&self.top_ups)
            .entry(request.journal_id.clone())
            .or_insert(0) += 1;
        Ok(TopUpAccepted::Succeeded {
            seq: None,
            sv_id: None,
            receipt: None,
        })
    }

    async fn check_transaction(&self, _seq: &str) -> Result<TransactionCheck, ProviderError> {
        Ok(TransactionCheck::StillPending)
    }
}

#[derive(Debug, Clone, Default)]
pub struct RecordedAlerts(pub Arc<Mutex<Vec<Alert>>>);

#[async_trait]
impl Alerts for RecordedAlerts {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        lock(&self.0).push(alert.clone());
        Ok(())
    }
}

/// Paid orders handed over for their top-up, in order.
#[derive(Debug, Clone, Default)]
pub struct QueuedTopUps(pub Arc<Mutex<Vec<Order>>>);

impl TopUpQueue for QueuedTopUps {
    fn start(&self, order: Order) {
        lock(&self.0).push(order);
    }
}

pub const WINDOW: Duration = Duration::minutes(30);

/// Order numbers 9000000001, 9000000002, ... (the top-up fixtures use small numbers).
#[derive(Debug, Default)]
pub struct SequentialIds(Mutex<u32>);

impl crate::ports::IdGenerator for SequentialIds {
    fn order_number(&self, _now: DateTime<Utc>) -> OrderNumber {
        let mut next = lock(&self.0);
        *next += 1;
        crate::testing::order_number(900_000_000 + *next)
    }
}

pub struct World {
    pub clock: TestClock,
    pub store: MemoryPayments,
    pub orders: MemoryOrders,
    pub wechat: FakeWechat,
    pub provider: CountingProvider,
    pub alerts: RecordedAlerts,
    pub audit: AuditRows,
    pub queue: QueuedTopUps,
    pub payments: Arc<PaymentService>,
    pub refunds: Arc<RefundService>,
    pub relay: Arc<FulfilmentRelay>,
    pub top_ups: TopUpPayments,
    pub recharge: RechargeService,
    /// The points context, the second kind of goods on the same core.
    pub points_store: MemoryPoints,
    pub points: Arc<PointsService>,
    pub shop: PointsShop,
    pub points_admin: PointsAdmin,
}

impl World {
    pub fn new(channel: PayChannel) -> Self {
        let clock = TestClock(Arc::new(Mutex::new(t0())));
        let store = MemoryPayments::new();
        let orders = MemoryOrders::default();
        let wechat = FakeWechat::default();
        let provider = CountingProvider::default();
        let alerts = RecordedAlerts::default();
        let audit = AuditRows::default();
        let queue = QueuedTopUps::default();
        let ports = Ports {
            orders: Arc::new(orders.clone()),
            users: Arc::new(MockUserRepository::new()),
            rates: Arc::new(MockExchangeRateRepository::new()),
            provider: Arc::new(provider.clone()),
            clock: Arc::new(clock.clone()),
            ids: Arc::new(MockIdGenerator::new()),
            alerts: Arc::new(alerts.clone()),
            audit: Arc::new(audit.clone()),
            prefixes: OperatorPrefixes::default(),
        };
        let pay_ports = PayPorts {
            pay_orders: Arc::new(store.clone()),
            outbox: Arc::new(store.clone()),
            refunds: Arc::new(store.clone()),
            notifications: Arc::new(store.clone()),
            gateway: Arc::new(wechat.clone()),
            clock: Arc::new(clock.clone()),
            alerts: Arc::new(alerts.clone()),
            audit: Arc::new(audit.clone()),
            channel,
        };
        let points_store = MemoryPoints::new();
        let points = Arc::new(PointsService::new(
            Arc::new(points_store.clone()),
            Arc::new(clock.clone()),
            Arc::new(alerts.clone()),
        ));
        let goods = FulfilmentRouter::new()
            .with(
                GoodsKind::TopUp,
                Arc::new(TopUpFulfilment::new(ports.clone(), Arc::new(queue.clone()))),
            )
            .with(
                GoodsKind::Points,
                Arc::new(PointsFulfilment::new(
                    Arc::new(points_store.clone()),
                    Arc::clone(&points),
                    Arc::new(clock.clone()),
                )),
            );
        let relay = Arc::new(FulfilmentRelay::new(
            Arc::new(store.clone()),
            Arc::new(goods),
            Arc::new(clock.clone()),
        ));
        let payments = Arc::new(PaymentService::new(pay_ports.clone(), Arc::clone(&relay)));
        let refunds = Arc::new(RefundService::new(pay_ports, Arc::clone(&relay)));
        let top_ups = TopUpPayments::new(
            ports.clone(),
            Arc::clone(&payments),
            Arc::clone(&refunds),
            WINDOW,
            true,
        );
        let shop = PointsShop::new(
            Arc::new(points_store.clone()),
            Arc::new(points_store.clone()),
            Arc::clone(&points),
            Arc::clone(&payments),
            Arc::clone(&refunds),
            Arc::new(clock.clone()),
            Arc::new(SequentialIds::default()),
            WINDOW,
        );
        let points_admin = PointsAdmin::new(
            Arc::new(points_store.clone()),
            Arc::new(points_store.clone()),
            Arc::new(points_store.clone()),
            Arc::new(audit.clone()),
            Arc::new(clock.clone()),
        );
        World {
            points_store,
            points,
            shop,
            points_admin,
            clock,
            store,
            orders,
            wechat,
            provider,
            alerts,
            audit,
            queue,
            payments,
            refunds,
            relay,
            top_ups,
            recharge: RechargeService::new(ports),
        }
    }

    /// A new unpaid top-up order (number `n`), created now.
    pub fn place(&self, n: u32) -> Order {
        let mut order = unpaid_order();
        order.number = crate::testing::order_number(n);
        order.created_at = self.clock.now();
        lock(&self.orders.orders).insert(order.number.clone(), order.clone());
        order
    }

    pub fn openid(&self) -> OpenId {
        OpenId::parse(crate::testing::OPENID).unwrap_or_else(|_| panic!("test openid"))
    }

    /// Starts the payment of order `n` as its owner would.
    pub async fn start_payment(
        &self,
        order: &Order,
    ) -> Result<PaymentParams, crate::services::ServiceError> {
        self.top_ups
            .create_payment(&self.openid(), order.number.as_str(), "127.0.0.1")
            .await
    }

    /// Top-ups started for paid orders go to the provider (the server's background work).
    pub async fn run_top_ups(&self) {
        let queued: Vec<Order> = std::mem::take(&mut *lock(&self.queue.0));
        for order in queued {
            let _ = self.recharge.dispatch_order(order).await;
        }
    }

    pub fn top_ups_of(&self, number: &OrderNumber) -> usize {
        lock(&self.provider.top_ups)
            .get(number)
            .copied()
            .unwrap_or(0)
    }

    pub fn alerts(&self) -> Vec<Alert> {
        lock(&self.alerts.0).clone()
    }

    /// A value that differs at every step of a test (the clock moves or a counter does).
    pub fn clock_now_micros(&self) -> i64 {
        use std::sync::atomic::{AtomicI64, Ordering};
        static STEP: AtomicI64 = AtomicI64::new(0);
        self.clock.now().timestamp_micros() + STEP.fetch_add(1, Ordering::SeqCst)
    }

    /// What WeChat holds for an order: transaction, amount, and whether it was refunded.
    pub fn held(&self, number: &OrderNumber) -> Option<(String, Fen, bool)> {
        let payments = self.wechat.payments.lock().unwrap();
        payments.get(number.as_str()).and_then(|p| match &p.state {
            TradeState::Paid(paid) => Some((paid.transaction_id.clone(), paid.amount, false)),
            TradeState::Refunded(paid) => Some((paid.transaction_id.clone(), paid.amount, true)),
            TradeState::NotPaid
            | TradeState::UserPaying
            | TradeState::Closed
            | TradeState::Revoked
            | TradeState::PayError
            | TradeState::NotFound => None,
        })
    }

    pub fn admin(&self) -> AdminAct {
        AdminAct::new(
            AuditActor {
                admin_id: Some(AdminId(7)),
                username: "ops".to_owned(),
                role: Role::Admin,
            },
            Some("req-1".to_owned()),
        )
    }
}

/// A payment notification claiming `transaction` paid `amount` for `number`.
pub fn notice(number: &OrderNumber, transaction: &str, amount: Fen) -> PaymentNotice {
    PaymentNotice {
        payment: ConfirmedPayment {
            order_number: number.to_string(),
            transaction_id: transaction.to_owned(),
            amount,
            attach: None,
            paid_at: None,
            payer: None,
        },
        path_order_number: None,
        raw: IncomingNotification {
            channel: "test".to_owned(),
            kind: NotificationKind::Payment,
            order_number: Some(number.to_string()),
            transaction_id: Some(transaction.to_owned()),
            headers: serde_json::json!({}),
            raw_body: String::new(),
            client_ip: None,
            received_at: crate::testing::t0(),
        },
    }
}
