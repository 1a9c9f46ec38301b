//! The mall on the real payments core (in memory, WeChat faked): paid through a signed
//! notification, refunded through an after-sale, and a payment WeChat takes after the
//! buyer cancelled given back by the core without reviving the order.

use std::sync::Arc;

use chrono::Duration;

use super::support::{buyer, draft};
use crate::money::Fen;
use crate::order::OrderNumber;
use crate::payments::tests::world::{World, notice};
use crate::payments::{Fulfilment, FulfilmentOutbox, PayChannel, PayStatus};
use crate::ports::Clock;
use crate::trade::after_sales::memory::MemoryAfterSales;
use crate::trade::after_sales::{AfterSaleKind, AfterSaleService, AfterSaleStatus, Application};
use crate::trade::orders::memory::MemoryMallOrders;
use crate::trade::orders::{
    CorePayments, MallFulfilment, MallOrder, MallOrderService, MallOrderStatus, TradeEvent,
};

struct Mall {
    world: World,
    orders: MemoryMallOrders,
    service: Arc<MallOrderService>,
    after_sales: Arc<AfterSaleService>,
    fulfilment: MallFulfilment,
}

impl Mall {
    fn new() -> Self {
        let world = World::new(PayChannel::V3);
        let orders = MemoryMallOrders::new();
        let after_sale_store = MemoryAfterSales::new();
        let core = Arc::new(CorePayments::new(
            world.payments.clone(),
            world.refunds.clone(),
        ));
        let service = Arc::new(MallOrderService::new(
            Arc::new(orders.clone()),
            Arc::new(after_sale_store.clone()),
            core.clone(),
            Arc::new(world.clock.clone()),
            Duration::days(7),
        ));
        let after_sales = Arc::new(AfterSaleService::new(
            Arc::new(orders.clone()),
            Arc::new(after_sale_store),
            core,
            Arc::new(world.clock.clone()),
        ));
        let fulfilment = MallFulfilment::new(service.clone(), after_sales.clone());
        Mall {
            world,
            orders,
            service,
            after_sales,
            fulfilment,
        }
    }

    async fn place(&self) -> MallOrder {
        let order = self
            .service
            .place(draft(1, self.world.clock.now()))
            .await
            .unwrap();
        self.world
            .payments
            .open(order.pay_order_draft("商城订单"))
            .await
            .unwrap();
        // As the checkout will: the payment is created at WeChat for wx.requestPayment.
        self.world
            .payments
            .start(&order.pay_order, "127.0.0.1")
            .await
            .unwrap();
        order
    }

    /// The router of the test world has no mall: its messages wait in the outbox, and
    /// are delivered here as the relay would.
    async fn deliver(&self, pay_order: &OrderNumber) {
        for message in self.world.store.pending_for(pay_order).await.unwrap() {
            self.fulfilment.fulfil(&message).await.unwrap();
            self.world
                .store
                .delivered(message.id, self.world.clock.now())
                .await
                .unwrap();
        }
    }

    fn stored(&self, order: &MallOrder) -> MallOrder {
        self.orders.state().orders[order.order_no.as_str()].clone()
    }
}

#[tokio::test]
async fn paid_shipped_and_one_item_refunded_through_the_core() {
    let mall = Mall::new();
    let order = mall.place().await;
    let amount = order.totals.pay;
    assert!(mall.world.wechat.pay(&order.pay_order, amount, "4200-1"));
    mall.world
        .payments
        .handle_signed_notification(&notice(&order.pay_order, "4200-1", amount))
        .await
        .unwrap();
    mall.deliver(&order.pay_order).await;
    assert_eq!(mall.stored(&order).status, MallOrderStatus::Paid);
    mall.deliver(&order.pay_order).await;
    let deducted = mall
        .orders
        .state()
        .events
        .iter()
        .filter(|e| matches!(e, TradeEvent::StockDeduct { .. }))
        .count();
    assert_eq!(deducted, 1, "delivered twice, deducted once");

    mall.service
        .ship(&order.order_no, "顺丰", "SF1")
        .await
        .unwrap();
    let application = Application {
        line: 2,
        kind: AfterSaleKind::RefundOnly,
        reason: "少发了".to_owned(),
        amount: Fen::new(500),
        quantity: 0,
    };
    let after_sale = mall
        .after_sales
        .apply(&buyer(), order.order_no.as_str(), &application)
        .await
        .unwrap();
    mall.after_sales.approve(&after_sale.key).await.unwrap();
    let refunded = mall
        .after_sales
        .start_refund(&after_sale.key, None)
        .await
        .unwrap();
    mall.deliver(&order.pay_order).await;
    assert_eq!(refunded.status, AfterSaleStatus::Refunded);
    assert_eq!(mall.world.wechat.refunded(&order.pay_order), 500);
    let pay = mall
        .world
        .payments
        .find(&order.pay_order)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((pay.status, pay.refunded), (PayStatus::Paid, Fen::new(500)));
}

#[tokio::test]
async fn a_payment_after_the_buyer_cancelled_is_given_back_and_the_order_stays_cancelled() {
    let mall = Mall::new();
    let order = mall.place().await;
    let cancelled = mall
        .service
        .cancel_by_buyer(&buyer(), order.order_no.as_str())
        .await
        .unwrap();
    assert_eq!(cancelled.status, MallOrderStatus::Cancelled);
    let amount = order.totals.pay;
    assert!(
        !mall.world.wechat.pay(&order.pay_order, amount, "too-late"),
        "closed at WeChat"
    );

    mall.world
        .wechat
        .pay_despite_close(&order.pay_order, amount, "4200-late");
    mall.world
        .payments
        .handle_signed_notification(&notice(&order.pay_order, "4200-late", amount))
        .await
        .unwrap();
    mall.deliver(&order.pay_order).await;

    let stored = mall.stored(&order);
    assert_eq!(stored.status, MallOrderStatus::Cancelled);
    assert_eq!(stored.payment, None);
    assert_eq!(mall.world.wechat.refunded(&order.pay_order), amount.value());
    let released = mall
        .orders
        .state()
        .events
        .iter()
        .filter(|e| matches!(e, TradeEvent::StockRelease { .. }))
        .count();
    assert_eq!(released, 1);
}
