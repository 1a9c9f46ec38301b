//! `PaymentService::reconcile`: the gateway's daily statement held against our orders.

use chrono::NaiveDate;

use super::*;
use crate::money::Fen;
use crate::order::{AnomalyKind, PaymentStatus, RechargeStatus};
use crate::ports::{ConfirmedPayment, GatewayError, StatementEntry, StatementKind, TradeState};
use crate::services::{PaymentService, ReconciliationReport, ServiceError};
use crate::testing::{ORDER_NUMBER, closed_order, order_number, paid_order, unpaid_order};

/// The transaction the fixture `paid_order` was paid by.
const TRANSACTION: &str = "4200000001";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 10, 18).unwrap()
}

fn entry(
    order_number: &str,
    transaction_id: &str,
    amount: i64,
    kind: StatementKind,
) -> StatementEntry {
    StatementEntry {
        order_number: order_number.to_owned(),
        transaction_id: transaction_id.to_owned(),
        amount: Fen::new(amount),
        kind,
    }
}

fn payment(transaction_id: &str, amount: i64) -> StatementEntry {
    entry(ORDER_NUMBER, transaction_id, amount, StatementKind::Payment)
}

/// The gateway answers `entries` for `day()`, once.
fn statement(mocks: &mut Mocks, entries: Vec<StatementEntry>) -> Calls<NaiveDate> {
    let (log, mut answering) = recording(Ok(entries));
    mocks
        .gateway
        .expect_statement()
        .times(1)
        .returning(move |day| answering(&day));
    log
}

/// Asked about the unpaid order, WeChat answers `state`.
fn wechat_now_says(mocks: &mut Mocks, state: TradeState) {
    mocks
        .gateway
        .expect_query_order()
        .times(1)
        .returning(move |_| Ok(state.clone()));
}

fn paid_by(transaction_id: &str, amount: i64) -> TradeState {
    TradeState::Paid(ConfirmedPayment {
        order_number: ORDER_NUMBER.to_owned(),
        transaction_id: transaction_id.to_owned(),
        amount: Fen::new(amount),
        attach: None,
        paid_at: None,
    })
}

async fn reconcile(mocks: Mocks) -> Result<ReconciliationReport, ServiceError> {
    PaymentService::new(mocks.ports(), PAYMENT_WINDOW)
        .reconcile(day())
        .await
}

#[tokio::test]
async fn a_day_without_a_statement_is_an_empty_report_without_alert() {
    let mut mocks = Mocks::default();
    let asked = statement(&mut mocks, vec![]);
    mocks.applies_nothing();
    mocks.no_alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!(calls(&asked), vec![day()]);
    assert_eq!(
        report,
        ReconciliationReport {
            day: day(),
            ..ReconciliationReport::default()
        }
    );
}

#[tokio::test]
async fn a_payment_recorded_with_the_same_transaction_is_matched() {
    let mut mocks = Mocks::default();
    statement(&mut mocks, vec![payment(TRANSACTION, 625)]);
    mocks.stores(paid_order());
    mocks.applies_nothing();
    mocks.no_alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!(
        (report.entries, report.matched, report.recovered),
        (1, 1, 0)
    );
    assert!(report.mismatches.is_empty());
}

#[tokio::test]
async fn an_unpaid_order_paid_at_wechat_is_recovered_as_paid_for_the_top_up_job() {
    let mut mocks = Mocks::default();
    statement(&mut mocks, vec![payment("4200000009", 625)]);
    mocks.stores(unpaid_order());
    wechat_now_says(&mut mocks, paid_by("4200000009", 625));
    let writes = mocks.applies(&[CasOutcome::Won]);
    mocks.no_alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!(
        (report.entries, report.matched, report.recovered),
        (1, 0, 1)
    );
    assert!(report.mismatches.is_empty());
    let write = only_write(&writes);
    assert_eq!(write.expected_state, unpaid_order().state());
    assert_eq!(write.order.payment_status, PaymentStatus::Paid);
    assert_eq!(write.order.recharge_status, RechargeStatus::Pending);
    assert_eq!(write.order.transaction_id.as_deref(), Some("4200000009"));
    assert!(write.event.reason.contains("4200000009"));
}

#[tokio::test]
async fn a_lost_race_is_read_again_and_then_matched() {
    let mut mocks = Mocks::default();
    statement(&mut mocks, vec![payment(TRANSACTION, 625)]);
    // Unpaid when first read; another writer recorded the same payment meanwhile.
    mocks.finds(vec![
        Some(unpaid_order()),
        Some(unpaid_order()),
        Some(paid_order()),
    ]);
    wechat_now_says(&mut mocks, paid_by(TRANSACTION, 625));
    mocks.applies(&[CasOutcome::Lost]);
    mocks.no_alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!((report.matched, report.recovered), (1, 0));
    assert!(report.mismatches.is_empty());
}

#[tokio::test]
async fn an_unknown_order_is_a_mismatch_in_one_alert() {
    let mut mocks = Mocks::default();
    statement(
        &mut mocks,
        vec![
            entry(
                order_number(9).as_str(),
                "4200000007",
                100,
                StatementKind::Payment,
            ),
            entry(
                "2021WERUN1647840687637",
                "4200000008",
                1,
                StatementKind::Payment,
            ),
        ],
    );
    mocks.finds(vec![None]);
    mocks.applies_nothing();
    let alerts = mocks.alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!(
        (report.entries, report.matched, report.recovered),
        (2, 0, 0)
    );
    let numbers: Vec<&str> = report
        .mismatches
        .iter()
        .map(|m| m.order_number.as_str())
        .collect();
    assert_eq!(
        numbers,
        vec![order_number(9).as_str(), "2021WERUN1647840687637"]
    );
    let alert = only_alert(&alerts);
    assert_critical(&alert, "2 mismatch");
    assert!(alert.body.contains("2021WERUN1647840687637"), "{alert:?}");
    assert!(alert.body.contains(order_number(9).as_str()), "{alert:?}");
}

#[tokio::test]
async fn a_different_transaction_on_a_paid_order_is_flagged_as_a_second_payment() {
    let mut mocks = Mocks::default();
    statement(&mut mocks, vec![payment("4200000009", 625)]);
    mocks.stores(paid_order());
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!((report.matched, report.recovered), (0, 0));
    assert_eq!(report.mismatches.len(), 1);
    assert_eq!(report.mismatches[0].order_number, ORDER_NUMBER);
    assert_eq!(report.mismatches[0].transaction_id, "4200000009");
    let write = only_write(&writes);
    assert_eq!(
        write.order.state(),
        paid_order().state(),
        "statuses must not move"
    );
    assert_eq!(write.order.transaction_id.as_deref(), Some(TRANSACTION));
    assert_eq!(
        write.order.anomaly.map(|a| a.kind),
        Some(AnomalyKind::DuplicatePayment)
    );
    // The anomaly's own alert, then the summary.
    let sent = calls(&alerts);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_critical(&sent[1], "1 mismatch");
}

#[tokio::test]
async fn a_different_amount_is_flagged_and_never_marks_paid() {
    for order in [unpaid_order(), paid_order()] {
        let mut mocks = Mocks::default();
        statement(&mut mocks, vec![payment(TRANSACTION, 600)]);
        mocks.stores(order.clone());
        if order.payment_status == PaymentStatus::Unpaid {
            wechat_now_says(&mut mocks, paid_by(TRANSACTION, 600));
        }
        let writes = mocks.applies(&[CasOutcome::Won]);
        let alerts = mocks.alerts();

        let report = reconcile(mocks).await.unwrap();

        assert_eq!((report.matched, report.recovered), (0, 0));
        assert_eq!(report.mismatches.len(), 1, "{report:?}");
        let write = only_write(&writes);
        assert_eq!(write.order.state(), order.state(), "statuses must not move");
        assert_eq!(
            write.order.anomaly.map(|a| a.kind),
            Some(AnomalyKind::AmountMismatch)
        );
        assert_eq!(calls(&alerts).len(), 2);
    }
}

#[tokio::test]
async fn an_unpaid_order_wechat_no_longer_calls_paid_is_a_mismatch_and_stays_unpaid() {
    for now in [
        TradeState::Refunded(ConfirmedPayment {
            order_number: ORDER_NUMBER.to_owned(),
            transaction_id: "4200000009".to_owned(),
            amount: Fen::new(625),
            attach: None,
            paid_at: None,
        }),
        paid_by("4200000777", 625),
        TradeState::NotFound,
    ] {
        let mut mocks = Mocks::default();
        statement(&mut mocks, vec![payment("4200000009", 625)]);
        mocks.stores(unpaid_order());
        wechat_now_says(&mut mocks, now);
        mocks.applies_nothing();
        let alerts = mocks.alerts();

        let report = reconcile(mocks).await.unwrap();

        assert_eq!((report.matched, report.recovered), (0, 0));
        assert_eq!(report.mismatches.len(), 1, "{report:?}");
        assert_critical(&only_alert(&alerts), "1 mismatch");
    }
}

#[tokio::test]
async fn a_payment_after_close_is_a_mismatch() {
    let mut mocks = Mocks::default();
    statement(&mut mocks, vec![payment("4200000009", 625)]);
    mocks.stores(closed_order());
    let writes = mocks.applies(&[CasOutcome::Won]);
    let alerts = mocks.alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!(report.mismatches.len(), 1);
    assert_eq!(
        only_write(&writes).order.anomaly.map(|a| a.kind),
        Some(AnomalyKind::PaymentAfterClose)
    );
    assert_critical(&calls(&alerts)[1], "mismatch");
}

#[tokio::test]
async fn refunds_are_counted_but_not_matched() {
    let mut mocks = Mocks::default();
    statement(
        &mut mocks,
        vec![
            payment(TRANSACTION, 625),
            entry(ORDER_NUMBER, TRANSACTION, 625, StatementKind::Refund),
        ],
    );
    mocks.finds(vec![Some(paid_order()), Some(paid_order())]);
    mocks.applies_nothing();
    mocks.no_alerts();

    let report = reconcile(mocks).await.unwrap();

    assert_eq!((report.entries, report.matched), (2, 1));
    assert!(report.mismatches.is_empty());
}

#[tokio::test]
async fn an_unavailable_gateway_or_storage_is_an_error_without_alert() {
    let mut mocks = Mocks::default();
    mocks
        .gateway
        .expect_statement()
        .returning(|_| Err(GatewayError::Unavailable("timeout".to_owned())));
    mocks.no_alerts();
    assert!(matches!(
        reconcile(mocks).await,
        Err(ServiceError::Upstream(_))
    ));

    let mut mocks = Mocks::default();
    statement(&mut mocks, vec![payment(TRANSACTION, 625)]);
    mocks
        .orders
        .expect_find()
        .returning(|_| Err(storage_down()));
    mocks.no_alerts();
    assert!(reconcile(mocks).await.is_err());
}
