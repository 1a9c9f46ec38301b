//! After-sales on each database.

use chrono::Duration;
use elife_domain::money::Fen;
use elife_domain::order::OpenId;
use elife_domain::ports::{CasOutcome, PageRequest, RepositoryError};
use elife_domain::testing::t0;
use elife_domain::trade::after_sales::{
    AfterSale, AfterSaleEffect, AfterSaleEvent, AfterSaleKind, AfterSaleRepository,
    AfterSaleStatus, AfterSaleTransition, Application,
};
use elife_domain::trade::orders::{Decision, MallOrder, MallOrderRepository, OrderEvent};
use elife_domain::trade::outbox::TradeMessage;

use super::fixtures::{Repos, buyer, payment, placed, stranger};

/// Order `n` of `who`, placed and paid.
async fn paid_order(repos: &Repos, n: u32, who: &OpenId) -> MallOrder {
    let order = placed(n, who, t0());
    repos.orders.insert(&order).await.unwrap();
    let Ok(Decision::Write(paid)) = order.decide(
        &OrderEvent::Paid(payment(&order, &format!("tx-{n}"))),
        t0() + Duration::minutes(1),
    ) else {
        panic!("payment refused");
    };
    assert_eq!(repos.orders.apply(&paid).await.unwrap(), CasOutcome::Won);
    paid.order
}

fn refund_only(line: u32) -> Application {
    Application {
        line,
        kind: AfterSaleKind::RefundOnly,
        reason: "不想要了".to_owned(),
        amount: Fen::new(100),
        quantity: 0,
    }
}

fn applied(order: &MallOrder, line: u32, minutes: i64) -> AfterSale {
    AfterSale::apply(
        order,
        &[],
        &refund_only(line),
        t0() + Duration::minutes(minutes),
    )
    .unwrap()
}

fn step(after_sale: &AfterSale, event: AfterSaleEvent) -> AfterSaleTransition {
    after_sale
        .decide(&event, after_sale.updated_at + Duration::seconds(1))
        .unwrap()
}

async fn approved(repos: &Repos, after_sale: &AfterSale) -> AfterSale {
    repos.after_sales.insert(after_sale).await.unwrap();
    let approve = step(after_sale, AfterSaleEvent::Approve);
    assert_eq!(
        repos.after_sales.apply(&approve).await.unwrap(),
        CasOutcome::Won
    );
    approve.after_sale
}

#[tokio::test]
async fn an_after_sale_reads_back_and_its_key_is_unique() {
    let repos = Repos::new().await;
    let order = paid_order(&repos, 1, &buyer()).await;
    let first = applied(&order, 1, 2);
    repos.after_sales.insert(&first).await.unwrap();
    assert_eq!(
        repos.after_sales.find(&first.key).await.unwrap(),
        Some(first.clone())
    );

    let mut stale = applied(&order, 1, 3);
    stale.reason = "another".to_owned();
    let result = repos.after_sales.insert(&stale).await;
    assert!(
        matches!(result, Err(RepositoryError::Duplicate(_))),
        "{result:?}"
    );
    assert_eq!(
        repos.after_sales.for_order(&order.order_no).await.unwrap(),
        vec![first]
    );
}

#[tokio::test]
async fn a_stale_change_loses_and_effects_are_written_only_by_the_winner() {
    let repos = Repos::new().await;
    let order = paid_order(&repos, 1, &buyer()).await;
    let approved = approved(&repos, &applied(&order, 1, 2)).await;
    let refund = step(&approved, AfterSaleEvent::StartRefund);
    let reject = step(&approved, AfterSaleEvent::Cancel);
    assert_eq!(
        repos.after_sales.apply(&refund).await.unwrap(),
        CasOutcome::Won
    );
    assert_eq!(
        repos.after_sales.apply(&reject).await.unwrap(),
        CasOutcome::Lost
    );
    let stored = repos
        .after_sales
        .find(&approved.key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, refund.after_sale);
    let refunds: Vec<_> = repos
        .messages()
        .await
        .into_iter()
        .filter(|m| matches!(m, TradeMessage::AfterSale(AfterSaleEffect::Refund { .. })))
        .collect();
    assert_eq!(refunds.len(), 1);

    // Settled, the order may refund another after-sale.
    let settled = step(&stored, AfterSaleEvent::RefundSucceeded);
    assert_eq!(
        repos.after_sales.apply(&settled).await.unwrap(),
        CasOutcome::Won
    );
    let other = approved_line(&repos, &order, 2).await;
    let next = step(&other, AfterSaleEvent::StartRefund);
    assert_eq!(
        repos.after_sales.apply(&next).await.unwrap(),
        CasOutcome::Won
    );
}

async fn approved_line(repos: &Repos, order: &MallOrder, line: u32) -> AfterSale {
    approved(repos, &applied(order, line, 5)).await
}

#[tokio::test]
async fn at_most_one_after_sale_of_an_order_refunds_at_a_time_even_concurrently() {
    let repos = Repos::new().await;
    for n in 1..=5 {
        let order = paid_order(&repos, n, &buyer()).await;
        let one = approved_line(&repos, &order, 1).await;
        let two = approved_line(&repos, &order, 2).await;
        let (a, b) = (
            step(&one, AfterSaleEvent::StartRefund),
            step(&two, AfterSaleEvent::StartRefund),
        );
        let (left, right) = tokio::join!(repos.after_sales.apply(&a), repos.after_sales.apply(&b));
        let won = [&left, &right]
            .iter()
            .filter(|result| matches!(result, Ok(CasOutcome::Won)))
            .count();
        let refused = [&left, &right]
            .iter()
            .filter(|result| matches!(result, Err(RepositoryError::Duplicate(_))))
            .count();
        assert_eq!((won, refused), (1, 1), "round {n}: {left:?} {right:?}");
        let refunding = repos
            .after_sales
            .for_order(&order.order_no)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.status == AfterSaleStatus::Refunding)
            .count();
        assert_eq!(refunding, 1);
    }
    // The loser's effects were rolled back with it.
    let refunds = repos
        .messages()
        .await
        .into_iter()
        .filter(|m| matches!(m, TradeMessage::AfterSale(AfterSaleEffect::Refund { .. })))
        .count();
    assert_eq!(refunds, 5);
}

#[tokio::test]
async fn the_queue_and_the_buyer_list_page_newest_first() {
    let repos = Repos::new().await;
    let mine = paid_order(&repos, 1, &buyer()).await;
    let theirs = paid_order(&repos, 2, &stranger()).await;
    let first = applied(&mine, 1, 2);
    let second = applied(&mine, 2, 3);
    let third = applied(&theirs, 1, 4);
    for after_sale in [&first, &second, &third] {
        repos.after_sales.insert(after_sale).await.unwrap();
    }
    repos
        .after_sales
        .apply(&step(&second, AfterSaleEvent::Approve))
        .await
        .unwrap();
    let page = |page: u64, limit: u64| PageRequest { page, limit };
    let keys = |found: elife_domain::ports::Page<AfterSale>| {
        (
            found.total,
            found.items.into_iter().map(|a| a.key).collect::<Vec<_>>(),
        )
    };

    let all = repos.after_sales.list(None, page(1, 2)).await.unwrap();
    assert_eq!(keys(all), (3, vec![third.key.clone(), second.key.clone()]));
    let applied_only = repos
        .after_sales
        .list(Some(AfterSaleStatus::Applied), page(1, 10))
        .await
        .unwrap();
    assert_eq!(
        keys(applied_only),
        (2, vec![third.key.clone(), first.key.clone()])
    );
    let own = repos
        .after_sales
        .for_buyer(&buyer(), page(2, 1))
        .await
        .unwrap();
    assert_eq!(keys(own), (2, vec![first.key.clone()]));
    let other = repos
        .after_sales
        .for_buyer(&stranger(), page(1, 10))
        .await
        .unwrap();
    assert_eq!(keys(other), (1, vec![third.key]));
}
