//! A trade world on a test database: the SQL repositories, a clock that moves, a payments
//! core whose `close` agrees with a shared "paid" flag, and order drafts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use elife_domain::money::Fen;
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::payments::{PayStatus, RefundCommand, RefundOutcome};
use elife_domain::ports::Clock;
use elife_domain::services::ServiceError;
use elife_domain::testing::{order_number, t0};
use elife_domain::trade::orders::{
    AddressSnapshot, ChinaMobile, ItemDraft, MallOrder, MallOrderDraft, OrderTotals, PaymentRecord,
    TradePayments,
};
use elife_persistence::{SeaOrmAfterSaleRepository, SeaOrmMallOrderRepository, SeaOrmTradeOutbox};

use crate::common::{TestDb, keyring};

pub const PAY_MINUTES: i64 = 15;

#[derive(Debug, Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn new() -> Self {
        TestClock(Arc::new(Mutex::new(t0())))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Where a pay order stands at WeChat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtWeChat {
    Paid,
    Closed,
}

/// The payments core as trade sees it, consistent per pay order like WeChat: a payment
/// lands only if the pay order was not closed first ([`FlagPayments::try_pay`]); `close`
/// answers Paid once one landed, else closes it. Refunds are recorded.
#[derive(Default)]
pub struct FlagPayments {
    state: Mutex<HashMap<String, AtWeChat>>,
    pub refunds: Mutex<Vec<RefundCommand>>,
    /// A payment lands even after the close (a close that raced the payment at WeChat):
    /// trade must refund it.
    late_payments: bool,
}

impl FlagPayments {
    /// Payments land even on closed pay orders.
    pub fn with_late_payments() -> Self {
        FlagPayments {
            late_payments: true,
            ..FlagPayments::default()
        }
    }

    /// The buyer pays at WeChat: lands unless the pay order was closed first (or always,
    /// with late payments).
    pub fn try_pay(&self, pay_order: &OrderNumber) -> bool {
        let mut state = self.state.lock().unwrap();
        let at = state.entry(pay_order.to_string()).or_insert(AtWeChat::Paid);
        if self.late_payments {
            *at = AtWeChat::Paid;
        }
        *at == AtWeChat::Paid
    }

    pub fn paid(&self, pay_order: &OrderNumber) -> bool {
        self.state.lock().unwrap().get(pay_order.as_str()) == Some(&AtWeChat::Paid)
    }

    pub fn refunds(&self) -> usize {
        self.refunds.lock().unwrap().len()
    }
}

#[async_trait]
impl TradePayments for FlagPayments {
    async fn close(&self, pay_order: &OrderNumber) -> Result<PayStatus, ServiceError> {
        let mut state = self.state.lock().unwrap();
        let at = state
            .entry(pay_order.to_string())
            .or_insert(AtWeChat::Closed);
        Ok(match at {
            AtWeChat::Paid => PayStatus::Paid,
            AtWeChat::Closed => PayStatus::Closed,
        })
    }

    async fn refund(&self, command: RefundCommand) -> Result<RefundOutcome, ServiceError> {
        self.refunds.lock().unwrap().push(command);
        Ok(RefundOutcome::InProgress)
    }
}

pub fn buyer() -> OpenId {
    OpenId::parse("o-buyer-openid-0001").unwrap()
}

pub fn stranger() -> OpenId {
    OpenId::parse("o-stranger-openid-02").unwrap()
}

/// Two lines: 2 × 1000 fen paying 1800, 1 × 500 paying 500; 300 off, 100 freight: 2300.
pub fn draft(n: u32, buyer: &OpenId, now: DateTime<Utc>) -> MallOrderDraft {
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
        buyer: buyer.clone(),
        items: vec![item(11, 1000, 2, 1800), item(12, 500, 1, 500)],
        address: AddressSnapshot {
            receiver: "张三".to_owned(),
            phone: ChinaMobile::parse("13812345678").unwrap(),
            province: "广东省".to_owned(),
            city: "深圳市".to_owned(),
            district: "南山区".to_owned(),
            detail: "科技园路1号".to_owned(),
        },
        totals: OrderTotals {
            goods: Fen::new(2500),
            discount: Fen::new(300),
            freight: Fen::new(100),
            pay: Fen::new(2300),
        },
        pay_order: order_number(n),
        pay_deadline: now + Duration::minutes(PAY_MINUTES),
    }
}

/// Order `n` of `buyer` as placed at `now`.
pub fn placed(n: u32, buyer: &OpenId, now: DateTime<Utc>) -> MallOrder {
    MallOrder::place(draft(n, buyer, now), now).unwrap()
}

pub fn payment(order: &MallOrder, transaction: &str) -> PaymentRecord {
    PaymentRecord {
        pay_order: order.pay_order.clone(),
        transaction_id: transaction.to_owned(),
        amount: order.totals.pay,
        paid_at: order.created_at,
    }
}

pub struct Repos {
    pub test: TestDb,
    pub orders: Arc<SeaOrmMallOrderRepository>,
    pub after_sales: Arc<SeaOrmAfterSaleRepository>,
    pub outbox: Arc<SeaOrmTradeOutbox>,
}

impl Repos {
    pub async fn new() -> Repos {
        let test = TestDb::new().await;
        Repos {
            orders: Arc::new(SeaOrmMallOrderRepository::new(test.db.clone(), keyring())),
            after_sales: Arc::new(SeaOrmAfterSaleRepository::new(test.db.clone())),
            outbox: Arc::new(SeaOrmTradeOutbox::new(test.db.clone())),
            test,
        }
    }

    /// Every outbox message, delivered or not, oldest first.
    pub async fn messages(&self) -> Vec<elife_domain::trade::outbox::TradeMessage> {
        use elife_domain::trade::outbox::TradeOutbox;
        let far = t0() + Duration::days(3650);
        self.outbox
            .pending(far, 1_000)
            .await
            .unwrap()
            .into_iter()
            .map(|pending| pending.message)
            .collect()
    }
}
