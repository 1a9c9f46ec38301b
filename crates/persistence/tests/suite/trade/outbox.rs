//! The trade outbox on each database: pending oldest first and due, delivered once,
//! a failure deferred to its next attempt.

use chrono::Duration;
use elife_domain::ports::CasOutcome;
use elife_domain::testing::t0;
use elife_domain::trade::orders::{
    CancelReason, Decision, MallOrderRepository, OrderEvent, TradeEvent,
};
use elife_domain::trade::outbox::{TradeMessage, TradeOutbox};

use super::fixtures::{PAY_MINUTES, Repos, buyer, placed};

/// Places and cancels orders 1..=n: one release message each, in that order.
async fn cancelled(repos: &Repos, n: u32) {
    for number in 1..=n {
        let order = placed(number, &buyer(), t0());
        repos.orders.insert(&order).await.unwrap();
        let at = t0() + Duration::minutes(PAY_MINUTES);
        let Ok(Decision::Write(cancel)) =
            order.decide(&OrderEvent::Cancel(CancelReason::Timeout), at)
        else {
            panic!("cancel refused");
        };
        assert_eq!(repos.orders.apply(&cancel).await.unwrap(), CasOutcome::Won);
    }
}

fn order_of(message: &TradeMessage) -> String {
    match message {
        TradeMessage::Order(TradeEvent::StockRelease { order_no, .. }) => order_no.to_string(),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn pending_is_oldest_first_and_a_delivered_message_is_not_returned() {
    let repos = Repos::new().await;
    cancelled(&repos, 3).await;
    let at = t0() + Duration::minutes(PAY_MINUTES);
    assert!(
        repos
            .outbox
            .pending(at - Duration::seconds(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let pending = repos.outbox.pending(at, 2).await.unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending[0].id < pending[1].id);
    assert_eq!(
        order_of(&pending[0].message),
        elife_domain::testing::order_number(1).to_string()
    );
    assert_eq!((pending[0].attempts, pending[0].created_at), (0, at));

    repos.outbox.delivered(pending[0].id, at).await.unwrap();
    repos
        .outbox
        .delivered(pending[0].id, at + Duration::hours(1))
        .await
        .unwrap();
    let rest = repos.outbox.pending(at, 10).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0].id, pending[1].id);
}

#[tokio::test]
async fn a_failed_message_waits_for_its_next_attempt_without_blocking_the_others() {
    let repos = Repos::new().await;
    cancelled(&repos, 2).await;
    let at = t0() + Duration::minutes(PAY_MINUTES);
    let pending = repos.outbox.pending(at, 10).await.unwrap();
    let later = at + Duration::minutes(1);
    repos
        .outbox
        .failed(pending[0].id, "stock busy", later)
        .await
        .unwrap();

    let now = repos.outbox.pending(at, 10).await.unwrap();
    assert_eq!(
        now.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![pending[1].id]
    );
    let then = repos.outbox.pending(later, 10).await.unwrap();
    assert_eq!(then.len(), 2);
    assert_eq!((then[0].id, then[0].attempts), (pending[0].id, 1));
}
