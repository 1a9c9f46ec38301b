//! After-sales through their use cases: who may apply for what, the flows of both kinds,
//! refunds through the payments core and what it answers, one open per item, one refund in
//! flight per order, and the order's 售后中 derived from them.

use std::sync::Arc;

use crate::money::Fen;
use crate::payments::RefundOutcome;
use crate::services::ServiceError;
use crate::trade::after_sales::{
    AfterSale, AfterSaleEffect, AfterSaleKey, AfterSaleKind, AfterSaleRepository, AfterSaleStatus,
    Application, ItemLedger, OrderBadge,
};
use crate::trade::orders::tests::support::{Answer, Trade, buyer};
use crate::trade::orders::{MallOrder, MallOrderStatus};

fn refund_only(line: u32, amount: i64) -> Application {
    Application {
        line,
        kind: AfterSaleKind::RefundOnly,
        reason: "不想要了".to_owned(),
        amount: Fen::new(amount),
        quantity: 0,
    }
}

fn returning(line: u32, amount: i64, quantity: u32) -> Application {
    Application {
        line,
        kind: AfterSaleKind::ReturnAndRefund,
        reason: "尺码不合适".to_owned(),
        amount: Fen::new(amount),
        quantity,
    }
}

async fn apply(
    trade: &Trade,
    order: &MallOrder,
    application: &Application,
) -> Result<AfterSale, ServiceError> {
    trade
        .after_sale_service
        .apply(&buyer(), order.order_no.as_str(), application)
        .await
}

#[tokio::test]
async fn only_a_paid_order_has_after_sales_and_only_a_shipped_one_takes_returns() {
    let trade = Trade::new();
    let unpaid = trade.place(1).await;
    assert!(matches!(
        apply(&trade, &unpaid, &refund_only(1, 100)).await,
        Err(ServiceError::Conflict(_))
    ));
    let paid = trade.paid(2).await;
    assert!(matches!(
        apply(&trade, &paid, &returning(1, 100, 1)).await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(apply(&trade, &paid, &refund_only(1, 100)).await.is_ok());
    let shipped = trade.shipped(3).await;
    assert!(apply(&trade, &shipped, &returning(1, 100, 1)).await.is_ok());
}

#[tokio::test]
async fn an_application_must_be_well_formed() {
    let trade = Trade::new();
    let order = trade.shipped(1).await;
    let mut empty_reason = refund_only(1, 100);
    empty_reason.reason = "  ".to_owned();
    for bad in [
        refund_only(1, 0),
        refund_only(1, -5),
        refund_only(1, 1801),
        refund_only(3, 100),
        empty_reason,
        returning(1, 100, 0),
        returning(1, 100, 3),
    ] {
        let result = apply(&trade, &order, &bad).await;
        assert!(
            matches!(result, Err(ServiceError::Validation(_))),
            "{bad:?}: {result:?}"
        );
    }
    assert!(trade.after_sales.state().after_sales.is_empty());
}

#[tokio::test]
async fn an_item_takes_one_open_after_sale_and_never_more_than_its_pay_price() {
    let trade = Trade::new();
    let order = trade.paid(1).await;
    let first = apply(&trade, &order, &refund_only(1, 1000)).await.unwrap();
    assert!(matches!(
        apply(&trade, &order, &refund_only(1, 10)).await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(
        apply(&trade, &order, &refund_only(2, 500)).await.is_ok(),
        "another item may"
    );

    let service = &trade.after_sale_service;
    service.approve(&first.key).await.unwrap();
    let done = service.start_refund(&first.key, None).await.unwrap();
    assert_eq!(done.status, AfterSaleStatus::Refunded);
    // 800 of line 1's 1800 remain.
    assert!(matches!(
        apply(&trade, &order, &refund_only(1, 801)).await,
        Err(ServiceError::Validation(_))
    ));
    let second = apply(&trade, &order, &refund_only(1, 800)).await.unwrap();
    assert_eq!(second.key.seq, 2);
    service.reject(&second.key, "已发货").await.unwrap();
    // Rejected: its amount is free again.
    let third = apply(&trade, &order, &refund_only(1, 800)).await.unwrap();
    assert_eq!(third.key.seq, 3);

    let all = trade
        .after_sales
        .state()
        .after_sales
        .values()
        .cloned()
        .collect::<Vec<_>>();
    let ledger = ItemLedger::of(1, &all);
    assert_eq!(ledger.committed, Fen::new(1800));
    assert_eq!(ledger.refunded, Fen::new(1000));
    assert!(ledger.open);
    assert_eq!(ledger.next_seq, 4);
}

#[tokio::test]
async fn a_return_comes_back_is_restocked_then_refunded() {
    let trade = Trade::new();
    let order = trade.shipped(1).await;
    let service = &trade.after_sale_service;
    let after_sale = apply(&trade, &order, &returning(1, 900, 1)).await.unwrap();
    let key = after_sale.key.to_string();
    // Not before the merchant approved, and not refunded before the goods are back.
    assert!(
        service
            .ship_back(&buyer(), &key, "顺丰", "SF2")
            .await
            .is_err()
    );
    service.approve(&after_sale.key).await.unwrap();
    assert!(matches!(
        service.start_refund(&after_sale.key, None).await,
        Err(ServiceError::Conflict(_))
    ));
    let shipped = service
        .ship_back(&buyer(), &key, "顺丰", "SF2")
        .await
        .unwrap();
    assert_eq!(shipped.status, AfterSaleStatus::Returning);
    assert!(
        service.cancel(&buyer(), &key).await.is_err(),
        "the goods are on their way"
    );
    service.receive(&after_sale.key).await.unwrap();
    let refunded = service.start_refund(&after_sale.key, None).await.unwrap();
    assert_eq!(refunded.status, AfterSaleStatus::Refunded);

    let effects = trade.after_sales.state().effects.clone();
    assert_eq!(
        effects,
        vec![
            AfterSaleEffect::Restock {
                after_sale: after_sale.key.clone(),
                sku_id: 11,
                quantity: 1
            },
            AfterSaleEffect::Refund {
                after_sale: after_sale.key.clone(),
                pay_order: order.pay_order.clone(),
                amount: Fen::new(900),
            },
        ]
    );
    let refunds = trade.payments.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].0.amount, Some(Fen::new(900)));
    assert_eq!(refunds[0].0.out_trade_no, order.pay_order);
}

#[tokio::test]
async fn what_the_payments_core_answers_settles_the_refund_or_leaves_it_in_flight() {
    let trade = Trade::new();
    let order = trade.paid(1).await;
    let service = &trade.after_sale_service;
    let after_sale = apply(&trade, &order, &refund_only(1, 600)).await.unwrap();
    let key = &after_sale.key;
    service.approve(key).await.unwrap();

    trade
        .payments
        .answer_refund(Answer::Ok(RefundOutcome::Failed("NOT_ENOUGH".to_owned())));
    let failed = service.start_refund(key, None).await.unwrap();
    assert_eq!(failed.status, AfterSaleStatus::RefundFailed);
    assert_eq!(failed.refund_failure.as_deref(), Some("NOT_ENOUGH"));

    trade
        .payments
        .answer_refund(Answer::Validation("amount".to_owned()));
    let refused = service.start_refund(key, None).await.unwrap();
    assert_eq!(
        refused.status,
        AfterSaleStatus::RefundFailed,
        "refused before anything left"
    );

    // Unknown: stays refunding, never sent twice.
    trade
        .payments
        .answer_refund(Answer::Unavailable("timeout".to_owned()));
    let unknown = service.start_refund(key, None).await.unwrap();
    assert_eq!(unknown.status, AfterSaleStatus::Refunding);
    assert!(matches!(
        service.start_refund(key, None).await,
        Err(ServiceError::Conflict(_))
    ));
    assert_eq!(trade.payments.refunds().len(), 3);

    // The core reports: only the refunding after-sale of that pay order and amount.
    let number = order.order_no.as_str();
    let other_pay_order = crate::testing::order_number(77);
    let ignored = service
        .settle_refund(number, &other_pay_order, Fen::new(600), true)
        .await
        .unwrap();
    assert_eq!(ignored, None);
    let ignored = service
        .settle_refund(number, &order.pay_order, Fen::new(599), true)
        .await
        .unwrap();
    assert_eq!(ignored, None);
    let settled = service
        .settle_refund(number, &order.pay_order, Fen::new(600), true)
        .await
        .unwrap();
    assert_eq!(settled.map(|a| a.status), Some(AfterSaleStatus::Refunded));
    let again = service
        .settle_refund(number, &order.pay_order, Fen::new(600), true)
        .await
        .unwrap();
    assert_eq!(again, None, "reported twice, settled once");
}

#[tokio::test]
async fn one_refund_in_flight_per_order() {
    let trade = Trade::new();
    let order = trade.paid(1).await;
    let service = &trade.after_sale_service;
    let first = apply(&trade, &order, &refund_only(1, 100)).await.unwrap();
    let second = apply(&trade, &order, &refund_only(2, 100)).await.unwrap();
    service.approve(&first.key).await.unwrap();
    service.approve(&second.key).await.unwrap();
    trade
        .payments
        .answer_refund(Answer::Ok(RefundOutcome::InProgress));
    assert_eq!(
        service.start_refund(&first.key, None).await.unwrap().status,
        AfterSaleStatus::Refunding
    );
    assert!(matches!(
        service.start_refund(&second.key, None).await,
        Err(ServiceError::Conflict(_))
    ));
    let stored = trade.after_sales.find(&second.key).await.unwrap().unwrap();
    assert_eq!(stored.status, AfterSaleStatus::Approved);
    assert_eq!(trade.payments.refunds().len(), 1);
}

#[tokio::test]
async fn the_order_reads_after_sale_in_progress_while_one_is_open() {
    let trade = Trade::new();
    let order = trade.shipped(1).await;
    let (badge, _) = trade
        .after_sale_service
        .for_buyer_order(&buyer(), order.order_no.as_str())
        .await
        .unwrap();
    assert_eq!(badge.label_zh(), "待收货");
    let after_sale = apply(&trade, &order, &refund_only(2, 100)).await.unwrap();
    let (badge, listed) = trade
        .after_sale_service
        .for_buyer_order(&buyer(), order.order_no.as_str())
        .await
        .unwrap();
    assert_eq!(
        badge,
        OrderBadge {
            status: MallOrderStatus::Shipped,
            after_sale_open: true
        }
    );
    assert_eq!(badge.label_zh(), "售后中");
    assert_eq!(listed.len(), 1);
    trade
        .after_sale_service
        .cancel(&buyer(), &after_sale.key.to_string())
        .await
        .unwrap();
    let (badge, _) = trade
        .after_sale_service
        .for_buyer_order(&buyer(), order.order_no.as_str())
        .await
        .unwrap();
    assert_eq!(badge.label_zh(), "待收货");
}

#[test]
fn keys_read_back() {
    let key = AfterSaleKey {
        order_no: crate::testing::order_number(5),
        line: 2,
        seq: 11,
    };
    assert_eq!(AfterSaleKey::parse(&key.to_string()), Some(key));
    for bad in [
        "",
        "x",
        "ORD1-1-1",
        "ORD1760754386127000000000005-1",
        "ORD1760754386127000000000005-a-1",
    ] {
        assert_eq!(AfterSaleKey::parse(bad), None, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_applications_for_one_item_store_one() {
    for round in 0..50u32 {
        let trade = Arc::new(Trade::new());
        let order = trade.paid(round + 1).await;
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let trade = trade.clone();
            let number = order.order_no.to_string();
            tasks.push(tokio::spawn(async move {
                trade
                    .after_sale_service
                    .apply(&buyer(), &number, &refund_only(1, 1800))
                    .await
            }));
        }
        let mut stored = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => stored += 1,
                Err(ServiceError::Conflict(_) | ServiceError::Unavailable(_)) => {}
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(stored, 1, "round {round}");
        assert_eq!(trade.after_sales.state().after_sales.len(), 1);
    }
}
