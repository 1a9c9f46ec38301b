//! The merchant's queue and the buyer's after-sales.

use chrono::Duration;

use crate::money::Fen;
use crate::ports::PageRequest;
use crate::services::ServiceError;
use crate::trade::after_sales::{AfterSaleKind, AfterSaleStatus, Application};
use crate::trade::orders::tests::support::{Trade, buyer, stranger};

fn refund_only(line: u32) -> Application {
    Application {
        line,
        kind: AfterSaleKind::RefundOnly,
        reason: "不想要了".to_owned(),
        amount: Fen::new(100),
        quantity: 0,
    }
}

fn page() -> PageRequest {
    PageRequest { page: 1, limit: 10 }
}

#[tokio::test]
async fn the_queue_and_the_buyer_list_are_newest_first_and_filtered() {
    let trade = Trade::new();
    let order = trade.paid(1).await;
    let number = order.order_no.as_str();
    let service = &trade.after_sale_service;
    let first = service
        .apply(&buyer(), number, &refund_only(1))
        .await
        .unwrap();
    trade.clock.advance(Duration::seconds(1));
    let second = service
        .apply(&buyer(), number, &refund_only(2))
        .await
        .unwrap();
    service.approve(&first.key).await.unwrap();

    let applied = service
        .queue(Some(AfterSaleStatus::Applied), page())
        .await
        .unwrap();
    assert_eq!(
        applied.items.iter().map(|a| &a.key).collect::<Vec<_>>(),
        vec![&second.key]
    );
    let all = service.queue(None, page()).await.unwrap();
    assert_eq!(
        all.items.iter().map(|a| &a.key).collect::<Vec<_>>(),
        vec![&second.key, &first.key]
    );

    assert_eq!(service.for_buyer(&buyer(), page()).await.unwrap().total, 2);
    assert_eq!(
        service.for_buyer(&stranger(), page()).await.unwrap().total,
        0
    );
}

#[tokio::test]
async fn one_after_sale_reads_as_not_found_for_anyone_but_its_buyer() {
    let trade = Trade::new();
    let order = trade.paid(1).await;
    let service = &trade.after_sale_service;
    let applied = service
        .apply(&buyer(), order.order_no.as_str(), &refund_only(1))
        .await
        .unwrap();
    let key = applied.key.to_string();

    assert_eq!(
        service.after_sale_for_buyer(&buyer(), &key).await.unwrap(),
        applied
    );
    for (user, raw) in [(stranger(), key.as_str()), (buyer(), "nonsense")] {
        let result = service.after_sale_for_buyer(&user, raw).await;
        assert!(
            matches!(result, Err(ServiceError::NotFound(_))),
            "{result:?}"
        );
    }
    assert_eq!(service.after_sale(&applied.key).await.unwrap(), applied);
    let mut other = applied.key.clone();
    other.seq = 9;
    assert!(matches!(
        service.after_sale(&other).await,
        Err(ServiceError::NotFound(_))
    ));
}
