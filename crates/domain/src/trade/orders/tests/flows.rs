//! The order use cases: ownership on every buyer route, cancelling through the payments
//! core, shipping, receipt and the jobs, late payments refunded even when redelivered.

use chrono::Duration;

use super::support::{Answer, PAY_WINDOW, RECEIPT_DAYS, Trade, buyer, payment, stranger};
use crate::money::Fen;
use crate::payments::PayStatus;
use crate::services::ServiceError;
use crate::trade::after_sales::{AfterSaleKind, Application};
use crate::trade::orders::{MallOrderStatus, PaymentOutcome, ReceiptBy, owned_by};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BuyerRoute {
    Read,
    Cancel,
    ConfirmReceipt,
    AfterSales,
    Apply,
    ShipBack,
    CancelAfterSale,
}

const ROUTES: [BuyerRoute; 7] = [
    BuyerRoute::Read,
    BuyerRoute::Cancel,
    BuyerRoute::ConfirmReceipt,
    BuyerRoute::AfterSales,
    BuyerRoute::Apply,
    BuyerRoute::ShipBack,
    BuyerRoute::CancelAfterSale,
];

async fn call(
    trade: &Trade,
    route: BuyerRoute,
    user: &crate::order::OpenId,
    order_no: &str,
    after_sale: &str,
) -> Result<(), ServiceError> {
    let orders = &trade.service;
    let after_sales = &trade.after_sale_service;
    let application = Application {
        line: 2,
        kind: AfterSaleKind::RefundOnly,
        reason: "不想要了".to_owned(),
        amount: Fen::new(100),
        quantity: 0,
    };
    match route {
        BuyerRoute::Read => orders.order_for_buyer(user, order_no).await.map(|_| ()),
        BuyerRoute::Cancel => orders.cancel_by_buyer(user, order_no).await.map(|_| ()),
        BuyerRoute::ConfirmReceipt => orders.confirm_receipt(user, order_no).await.map(|_| ()),
        BuyerRoute::AfterSales => after_sales
            .for_buyer_order(user, order_no)
            .await
            .map(|_| ()),
        BuyerRoute::Apply => after_sales
            .apply(user, order_no, &application)
            .await
            .map(|_| ()),
        BuyerRoute::ShipBack => after_sales
            .ship_back(user, after_sale, "顺丰", "SF9")
            .await
            .map(|_| ()),
        BuyerRoute::CancelAfterSale => after_sales.cancel(user, after_sale).await.map(|_| ()),
    }
}

#[tokio::test]
async fn a_shopper_cannot_touch_another_shoppers_order_and_learns_nothing() {
    let trade = Trade::new();
    let order = trade.shipped(1).await;
    let application = Application {
        line: 1,
        kind: AfterSaleKind::ReturnAndRefund,
        reason: "坏了".to_owned(),
        amount: Fen::new(900),
        quantity: 1,
    };
    let after_sale = trade
        .after_sale_service
        .apply(&buyer(), order.order_no.as_str(), &application)
        .await
        .unwrap();
    trade
        .after_sale_service
        .approve(&after_sale.key)
        .await
        .unwrap();
    let before = (
        trade.stored(&order.order_no),
        trade.after_sales.state().after_sales.clone(),
    );
    let key = after_sale.key.to_string();
    let missing_order = crate::testing::order_number(404).to_string();
    let missing_key = format!("{missing_order}-1-1");

    for route in ROUTES {
        let theirs = call(&trade, route, &stranger(), order.order_no.as_str(), &key).await;
        let missing = call(&trade, route, &stranger(), &missing_order, &missing_key).await;
        let garbage = call(&trade, route, &stranger(), "ORD'; drop", "x").await;
        for result in [&theirs, &missing, &garbage] {
            assert!(
                matches!(result, Err(ServiceError::NotFound(_))),
                "{route:?}: {result:?}"
            );
        }
        assert_eq!(
            before,
            (
                trade.stored(&order.order_no),
                trade.after_sales.state().after_sales.clone()
            ),
            "{route:?} changed something"
        );
    }
    // The owner gets past the guard on every route (the state decides the rest).
    for route in ROUTES {
        let mine = call(&trade, route, &buyer(), order.order_no.as_str(), &key).await;
        assert!(
            !matches!(mine, Err(ServiceError::NotFound(_))),
            "{route:?}: {mine:?}"
        );
    }
    assert!(
        trade.payments.closed.lock().unwrap().is_empty(),
        "no payment was closed"
    );
}

#[tokio::test]
async fn the_guard_is_a_pure_function() {
    let trade = Trade::new();
    let order = trade.place(1).await;
    assert!(owned_by(Some(order.clone()), &buyer(), "order").is_ok());
    let not_yours = owned_by(Some(order), &stranger(), "order").unwrap_err();
    let absent = owned_by(
        None::<crate::trade::orders::MallOrder>,
        &stranger(),
        "order",
    )
    .unwrap_err();
    assert_eq!(not_yours.to_string(), absent.to_string());
}

#[tokio::test]
async fn the_buyer_cancels_only_once_the_payment_is_closed() {
    let trade = Trade::new();
    let order = trade.place(1).await;
    let number = order.order_no.as_str();

    trade.payments.answer_close(None);
    assert!(matches!(
        trade.service.cancel_by_buyer(&buyer(), number).await,
        Err(ServiceError::Conflict(_))
    ));
    for status in [PayStatus::Unpaid, PayStatus::Paid] {
        trade.payments.answer_close(Some(status));
        assert!(matches!(
            trade.service.cancel_by_buyer(&buyer(), number).await,
            Err(ServiceError::Conflict(_))
        ));
    }
    assert_eq!(
        trade.stored(&order.order_no).status,
        MallOrderStatus::Unpaid
    );
    assert!(trade.orders.state().events.is_empty());

    trade.payments.answer_close(Some(PayStatus::Closed));
    let cancelled = trade
        .service
        .cancel_by_buyer(&buyer(), number)
        .await
        .unwrap();
    assert_eq!(cancelled.status, MallOrderStatus::Cancelled);
    assert_eq!(trade.orders.state().events.len(), 1, "stock released once");
    // Again: refused, and the payment is not asked to close for nothing.
    let closes = trade.payments.closed.lock().unwrap().len();
    assert!(
        trade
            .service
            .cancel_by_buyer(&buyer(), number)
            .await
            .is_err()
    );
    assert_eq!(trade.payments.closed.lock().unwrap().len(), closes);
}

#[tokio::test]
async fn the_deadline_job_waits_for_the_deadline() {
    let trade = Trade::new();
    let order = trade.place(1).await;
    let report = trade.service.cancel_expired(10).await.unwrap();
    assert_eq!(report.examined, 0);
    trade.clock.advance(Duration::minutes(PAY_WINDOW));
    let report = trade.service.cancel_expired(10).await.unwrap();
    assert_eq!((report.examined, report.changed), (1, 1));
    let stored = trade.stored(&order.order_no);
    assert_eq!(stored.status, MallOrderStatus::Cancelled);
    assert_eq!(
        stored.cancellation.map(|c| c.reason),
        Some(crate::trade::orders::CancelReason::Timeout)
    );
}

#[tokio::test]
async fn shipping_waits_for_open_after_sales_and_receipt_becomes_automatic() {
    let trade = Trade::new();
    let order = trade.paid(1).await;
    let application = Application {
        line: 1,
        kind: AfterSaleKind::RefundOnly,
        reason: "拍错了".to_owned(),
        amount: Fen::new(1800),
        quantity: 0,
    };
    let after_sale = trade
        .after_sale_service
        .apply(&buyer(), order.order_no.as_str(), &application)
        .await
        .unwrap();
    assert!(matches!(
        trade.service.ship(&order.order_no, "顺丰", "SF1").await,
        Err(ServiceError::Conflict(_))
    ));
    trade
        .after_sale_service
        .reject(&after_sale.key, "已备货")
        .await
        .unwrap();
    let shipped = trade
        .service
        .ship(&order.order_no, "顺丰", "SF1")
        .await
        .unwrap();
    assert_eq!(shipped.status, MallOrderStatus::Shipped);

    assert_eq!(trade.service.confirm_due(10).await.unwrap().examined, 0);
    trade.clock.advance(Duration::days(RECEIPT_DAYS));
    let report = trade.service.confirm_due(10).await.unwrap();
    assert_eq!((report.examined, report.changed), (1, 1));
    let done = trade.stored(&order.order_no);
    assert_eq!(done.status, MallOrderStatus::Completed);
    assert_eq!(done.receipt.map(|r| r.by), Some(ReceiptBy::Automatic));
}

#[tokio::test]
async fn the_buyer_confirms_receipt_once() {
    let trade = Trade::new();
    let order = trade.shipped(1).await;
    let number = order.order_no.as_str();
    let done = trade
        .service
        .confirm_receipt(&buyer(), number)
        .await
        .unwrap();
    assert_eq!(done.status, MallOrderStatus::Completed);
    assert!(matches!(
        trade.service.confirm_receipt(&buyer(), number).await,
        Err(ServiceError::Conflict(_))
    ));
}

#[tokio::test]
async fn a_payment_delivered_twice_pays_once() {
    let trade = Trade::new();
    let order = trade.place(1).await;
    let number = order.order_no.as_str();
    let first = trade
        .service
        .record_payment(number, payment(&order, "tx"))
        .await
        .unwrap();
    assert!(matches!(first, PaymentOutcome::Paid(_)));
    let again = trade
        .service
        .record_payment(number, payment(&order, "tx"))
        .await
        .unwrap();
    assert_eq!(again, PaymentOutcome::Duplicate);
    assert_eq!(trade.orders.state().events.len(), 1);
}

#[tokio::test]
async fn a_second_payment_for_a_paid_order_is_refunded() {
    let trade = Trade::new();
    let order = trade.paid(1).await;
    let mut second = payment(&order, "tx-second");
    second.pay_order = crate::testing::order_number(2);
    let outcome = trade
        .service
        .record_payment(order.order_no.as_str(), second.clone())
        .await
        .unwrap();
    assert!(matches!(outcome, PaymentOutcome::LatePayment(_)));
    let refunds = trade.payments.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].0.out_trade_no, second.pay_order);
    assert_eq!(trade.stored(&order.order_no).status, MallOrderStatus::Paid);
}

#[tokio::test]
async fn a_late_payment_whose_refund_could_not_be_asked_is_asked_again_on_redelivery() {
    let trade = Trade::new();
    let order = trade.place(1).await;
    trade
        .service
        .cancel_by_buyer(&buyer(), order.order_no.as_str())
        .await
        .unwrap();
    let late = payment(&order, "tx-late");
    let number = order.order_no.as_str();

    trade
        .payments
        .answer_refund(Answer::Unavailable("core down".to_owned()));
    let first = trade.service.record_payment(number, late.clone()).await;
    assert!(
        matches!(first, Err(ServiceError::Unavailable(_))),
        "redelivered later"
    );

    trade
        .payments
        .answer_refund(Answer::Conflict("a refund is in flight".to_owned()));
    let busy = trade.service.record_payment(number, late.clone()).await;
    assert!(
        matches!(busy, Err(ServiceError::Unavailable(_))),
        "{busy:?}"
    );

    let again = trade
        .service
        .record_payment(number, late.clone())
        .await
        .unwrap();
    assert_eq!(again, PaymentOutcome::Duplicate);
    trade
        .payments
        .answer_refund(Answer::Validation("nothing left to refund".to_owned()));
    let done = trade.service.record_payment(number, late).await.unwrap();
    assert_eq!(done, PaymentOutcome::Duplicate);

    let stored = trade.stored(&order.order_no);
    assert_eq!(stored.status, MallOrderStatus::Cancelled);
    assert_eq!(stored.returned_payments.len(), 1);
    assert_eq!(
        trade.payments.refunds().len(),
        4,
        "asked each time, the core refunds once"
    );
}
