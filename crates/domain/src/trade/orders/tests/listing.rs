//! Lists: a buyer's orders and the back office's, filtered and paged, newest first.

use chrono::Duration;

use super::support::{Trade, buyer, stranger};
use crate::ports::PageRequest;
use crate::services::ServiceError;
use crate::trade::orders::{MallOrderFilter, MallOrderStatus};

fn page(page: u64, limit: u64) -> PageRequest {
    PageRequest { page, limit }
}

#[tokio::test]
async fn a_buyer_lists_their_own_orders_newest_first_by_status() {
    let trade = Trade::new();
    for n in 1..=3 {
        trade.place(n).await;
        trade.clock.advance(Duration::seconds(1));
    }
    trade.paid(4).await;
    let mut theirs = super::support::draft(5, trade.now());
    theirs.buyer = stranger();
    trade.service.place(theirs).await.unwrap();

    let all = trade
        .service
        .orders_for_buyer(&buyer(), None, page(1, 10))
        .await
        .unwrap();
    let numbers: Vec<u32> = all
        .items
        .iter()
        .map(|order| order.order_no.as_str()[16..].parse().unwrap())
        .collect();
    assert_eq!(numbers, vec![4, 3, 2, 1]);
    assert_eq!(all.total, 4);

    let unpaid = trade
        .service
        .orders_for_buyer(&buyer(), Some(MallOrderStatus::Unpaid), page(2, 2))
        .await
        .unwrap();
    assert_eq!((unpaid.total, unpaid.items.len(), unpaid.page), (3, 1, 2));
    assert_eq!(unpaid.items[0].order_no, trade.place_number(1));

    let strangers = trade
        .service
        .orders_for_buyer(&stranger(), None, page(1, 10))
        .await
        .unwrap();
    assert_eq!(strangers.total, 1);
}

#[tokio::test]
async fn the_back_office_filters_by_number_status_and_creation_time() {
    let trade = Trade::new();
    let start = trade.now();
    trade.place(1).await;
    trade.clock.advance(Duration::hours(1));
    trade.paid(2).await;

    let by_number = MallOrderFilter {
        order_no: Some(trade.place_number(2)),
        ..MallOrderFilter::default()
    };
    let found = trade.service.orders(by_number, page(1, 10)).await.unwrap();
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].status, MallOrderStatus::Paid);

    let first_hour = MallOrderFilter {
        created_from: Some(start),
        created_to: Some(start + Duration::hours(1)),
        ..MallOrderFilter::default()
    };
    let found = trade
        .service
        .orders(first_hour, page(0, 500))
        .await
        .unwrap();
    assert_eq!(
        (found.total, found.page, found.limit),
        (1, 1, PageRequest::MAX_LIMIT)
    );
    assert_eq!(found.items[0].order_no, trade.place_number(1));
}

#[tokio::test]
async fn a_storage_outage_reaches_the_caller() {
    let trade = Trade::new();
    trade.orders.state().fail_next = 1;
    let result = trade
        .service
        .orders(MallOrderFilter::default(), page(1, 10))
        .await;
    assert!(
        matches!(result, Err(ServiceError::Unavailable(_))),
        "{result:?}"
    );
}
