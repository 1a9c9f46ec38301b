use chrono::TimeDelta;
use elife_domain::money::Fen;
use elife_domain::ports::{CasOutcome, Refund, RefundRepository, RefundStatus, RepositoryError};
use elife_domain::testing::{order_number, t0};
use elife_persistence::SeaOrmRefundRepository;

use crate::common::TestDb;

fn refund(no: &str, minutes: i64) -> Refund {
    Refund {
        refund_no: no.to_owned(),
        order_number: order_number(1),
        amount: Fen::new(9_007_199_254_740_993),
        reason: "top-up failed".to_owned(),
        status: RefundStatus::Processing,
        gateway_refund_id: None,
        created_at: t0() + TimeDelta::minutes(minutes),
        updated_at: t0() + TimeDelta::minutes(minutes),
        version: 0,
    }
}

#[tokio::test]
async fn a_refund_is_stored_exactly_and_only_once() {
    let test = TestDb::new().await;
    let refunds = SeaOrmRefundRepository::new(test.db.clone());
    let first = refund("R-1", 0);
    refunds.insert(&first).await.unwrap();
    assert_eq!(refunds.find("R-1").await.unwrap(), Some(first.clone()));
    assert!(matches!(
        refunds.insert(&first).await,
        Err(RepositoryError::Duplicate(_))
    ));
    assert_eq!(refunds.find("R-404").await.unwrap(), None);
}

#[tokio::test]
async fn the_latest_attempt_of_an_order_is_found() {
    let test = TestDb::new().await;
    let refunds = SeaOrmRefundRepository::new(test.db.clone());
    assert_eq!(
        refunds.latest_for_order(&order_number(1)).await.unwrap(),
        None
    );
    refunds.insert(&refund("R-1", 0)).await.unwrap();
    refunds.insert(&refund("R-2", 5)).await.unwrap();
    let mut other = refund("R-3", 9);
    other.order_number = order_number(2);
    refunds.insert(&other).await.unwrap();
    let latest = refunds
        .latest_for_order(&order_number(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.refund_no, "R-2");
}

#[tokio::test]
async fn a_refund_changes_only_from_the_expected_status_and_version() {
    let test = TestDb::new().await;
    let refunds = SeaOrmRefundRepository::new(test.db.clone());
    let stored = refund("R-1", 0);
    refunds.insert(&stored).await.unwrap();

    let mut succeeded = stored.clone();
    succeeded.status = RefundStatus::Succeeded;
    succeeded.gateway_refund_id = Some("50300001".to_owned());
    succeeded.updated_at = t0() + TimeDelta::minutes(1);
    succeeded.version = 1;
    let mut failed = stored.clone();
    failed.status = RefundStatus::Failed;
    failed.version = 1;

    assert_eq!(
        refunds
            .update(&succeeded, RefundStatus::Processing, 0)
            .await
            .unwrap(),
        CasOutcome::Won
    );
    // Same expectations again: the row moved on.
    assert_eq!(
        refunds
            .update(&failed, RefundStatus::Processing, 0)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    // Right version, wrong status.
    assert_eq!(
        refunds
            .update(&failed, RefundStatus::Processing, 1)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    assert_eq!(
        refunds
            .update(&failed, RefundStatus::Processing, 0)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    let mut unknown = refund("R-404", 0);
    unknown.status = RefundStatus::Failed;
    assert_eq!(
        refunds
            .update(&unknown, RefundStatus::Processing, 0)
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    assert_eq!(refunds.find("R-1").await.unwrap(), Some(succeeded));
}
