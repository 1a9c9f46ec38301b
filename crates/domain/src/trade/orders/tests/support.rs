//! A trade world in memory: orders and after-sales with real compare-and-set, a payments
//! core that answers as told and remembers what it was asked, a clock that moves.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::payments::{PayStatus, RefundCommand, RefundOutcome};
use crate::ports::Clock;
use crate::services::ServiceError;
use crate::testing::{order_number, t0};
use crate::trade::after_sales::AfterSaleService;
use crate::trade::after_sales::memory::MemoryAfterSales;
use crate::trade::orders::memory::MemoryMallOrders;
use crate::trade::orders::{
    AddressSnapshot, ChinaMobile, ItemDraft, MallOrder, MallOrderDraft, MallOrderService,
    OrderTotals, PaymentOutcome, PaymentRecord, TradePayments,
};

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long an order may be paid, and how long after shipping receipt is automatic.
pub const PAY_WINDOW: i64 = 15;
pub const RECEIPT_DAYS: i64 = 7;

#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        TestClock(Arc::new(Mutex::new(now)))
    }

    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// An answer of the fake payments core (`ServiceError` is not `Clone`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Ok(RefundOutcome),
    Validation(String),
    Conflict(String),
    Unavailable(String),
}

impl Answer {
    fn result(&self) -> Result<RefundOutcome, ServiceError> {
        match self {
            Answer::Ok(outcome) => Ok(outcome.clone()),
            Answer::Validation(m) => Err(ServiceError::Validation(m.clone())),
            Answer::Conflict(m) => Err(ServiceError::Conflict(m.clone())),
            Answer::Unavailable(m) => Err(ServiceError::Unavailable(m.clone())),
        }
    }
}

/// The payments core as trade sees it: closes answering `close_answer` (`None`: WeChat
/// refuses for now), answers refunds from `refund_answers` (then "refunded"), and records
/// every call.
pub struct FakePayments {
    pub close_answer: Mutex<Option<PayStatus>>,
    pub refund_answers: Mutex<VecDeque<Answer>>,
    pub closed: Mutex<Vec<OrderNumber>>,
    /// Every refund asked for, with the answer it got.
    pub refunds: Mutex<Vec<(RefundCommand, Answer)>>,
}

impl Default for FakePayments {
    fn default() -> Self {
        FakePayments {
            close_answer: Mutex::new(Some(PayStatus::Closed)),
            refund_answers: Mutex::new(VecDeque::new()),
            closed: Mutex::new(Vec::new()),
            refunds: Mutex::new(Vec::new()),
        }
    }
}

impl FakePayments {
    pub fn answer_refund(&self, answer: Answer) {
        lock(&self.refund_answers).push_back(answer);
    }

    pub fn answer_close(&self, answer: Option<PayStatus>) {
        *lock(&self.close_answer) = answer;
    }

    pub fn refunds(&self) -> Vec<(RefundCommand, Answer)> {
        lock(&self.refunds).clone()
    }
}

#[async_trait]
impl TradePayments for FakePayments {
    async fn close(&self, pay_order: &OrderNumber) -> Result<PayStatus, ServiceError> {
        lock(&self.closed).push(pay_order.clone());
        let answer = *lock(&self.close_answer);
        answer.ok_or_else(|| ServiceError::Upstream("ORDER_NOT_CLOSABLE yet".to_owned()))
    }

    async fn refund(&self, command: RefundCommand) -> Result<RefundOutcome, ServiceError> {
        let answer = lock(&self.refund_answers)
            .pop_front()
            .unwrap_or(Answer::Ok(RefundOutcome::Refunded));
        lock(&self.refunds).push((command, answer.clone()));
        answer.result()
    }
}

pub fn buyer() -> OpenId {
    OpenId::parse("o-buyer-openid-0001").unwrap()
}

pub fn stranger() -> OpenId {
    OpenId::parse("o-stranger-openid-02").unwrap()
}

pub fn address() -> AddressSnapshot {
    AddressSnapshot {
        receiver: "张三".to_owned(),
        phone: ChinaMobile::parse("13812345678").unwrap(),
        province: "广东省".to_owned(),
        city: "深圳市".to_owned(),
        district: "南山区".to_owned(),
        detail: "科技园路1号".to_owned(),
    }
}

/// Two lines: 2 × 1000 fen paying 1800, 1 × 500 paying 500; 300 off, 100 freight: 2300.
pub fn draft(n: u32, now: DateTime<Utc>) -> MallOrderDraft {
    let item = |sku_id: i64, unit: i64, quantity: u32, pay: i64| ItemDraft {
        product_id: sku_id / 10,
        sku_id,
        name: format!("商品 {sku_id}"),
        spec: "颜色: 红".to_owned(),
        image: "https://img.example/1.png".to_owned(),
        unit_price: Fen::new(unit),
        quantity,
        pay_price: Fen::new(pay),
    };
    MallOrderDraft {
        order_no: order_number(n),
        buyer: buyer(),
        items: vec![item(11, 1000, 2, 1800), item(12, 500, 1, 500)],
        address: address(),
        totals: OrderTotals {
            goods: Fen::new(2500),
            discount: Fen::new(300),
            freight: Fen::new(100),
            pay: Fen::new(2300),
        },
        pay_order: order_number(n),
        pay_deadline: now + Duration::minutes(PAY_WINDOW),
    }
}

pub fn payment(order: &MallOrder, transaction: &str) -> PaymentRecord {
    PaymentRecord {
        pay_order: order.pay_order.clone(),
        transaction_id: transaction.to_owned(),
        amount: order.totals.pay,
        paid_at: order.created_at,
    }
}

pub struct Trade {
    pub clock: TestClock,
    pub orders: MemoryMallOrders,
    pub after_sales: MemoryAfterSales,
    pub payments: Arc<FakePayments>,
    pub service: Arc<MallOrderService>,
    pub after_sale_service: Arc<AfterSaleService>,
}

impl Trade {
    pub fn new() -> Self {
        let clock = TestClock(Arc::new(Mutex::new(t0())));
        let orders = MemoryMallOrders::new();
        let after_sales = MemoryAfterSales::new();
        let payments = Arc::new(FakePayments::default());
        let service = Arc::new(MallOrderService::new(
            Arc::new(orders.clone()),
            Arc::new(after_sales.clone()),
            payments.clone(),
            Arc::new(clock.clone()),
            Duration::days(RECEIPT_DAYS),
        ));
        let after_sale_service = Arc::new(AfterSaleService::new(
            Arc::new(orders.clone()),
            Arc::new(after_sales.clone()),
            payments.clone(),
            Arc::new(clock.clone()),
        ));
        Trade {
            clock,
            orders,
            after_sales,
            payments,
            service,
            after_sale_service,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The number `place(n)` gives its order.
    pub fn place_number(&self, n: u32) -> OrderNumber {
        order_number(n)
    }

    pub async fn place(&self, n: u32) -> MallOrder {
        self.service.place(draft(n, self.now())).await.unwrap()
    }

    pub async fn paid(&self, n: u32) -> MallOrder {
        let order = self.place(n).await;
        match self
            .service
            .record_payment(order.order_no.as_str(), payment(&order, &format!("tx-{n}")))
            .await
            .unwrap()
        {
            PaymentOutcome::Paid(order) => *order,
            other => panic!("not paid: {other:?}"),
        }
    }

    pub async fn shipped(&self, n: u32) -> MallOrder {
        let order = self.paid(n).await;
        self.service
            .ship(&order.order_no, "顺丰", "SF1234567890")
            .await
            .unwrap()
    }

    pub fn stored(&self, order_no: &OrderNumber) -> MallOrder {
        self.orders.state().orders[order_no.as_str()].clone()
    }
}
