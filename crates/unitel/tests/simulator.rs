//! The adapter against the Unitel simulator: real HTTP, real faults, and the simulator's
//! ledger as the witness of what the operator actually did.

mod common;

use std::time::Duration;

use elife_domain::money::Mnt;
use elife_domain::order::RechargeKind;
use elife_domain::ports::{
    ProviderError, TopUpAccepted, TopUpError, TopUpProvider, TransactionCheck,
};
use elife_sandbox::unitel::{
    EntryStatus, Faults, LedgerView, Operation, RunningUnitelSim, TopUpFault, UnitelSimConfig,
    UnitelSimulator,
};
use elife_unitel::UnitelClient;

use common::*;

async fn start(faults: Faults) -> (RunningUnitelSim, UnitelClient) {
    let sim = UnitelSimulator::start(UnitelSimConfig {
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        faults,
        ..UnitelSimConfig::default()
    })
    .await
    .expect("simulator starts");
    let unitel = client(config(&sim.base_url()));
    (sim, unitel)
}

/// The ledger as any outside observer reads it: over HTTP.
async fn ledger_over_http(sim: &RunningUnitelSim) -> LedgerView {
    reqwest::get(format!("{}/__sandbox/ledger", sim.base_url()))
        .await
        .expect("ledger answers")
        .json()
        .await
        .expect("ledger is JSON")
}

#[tokio::test]
async fn apply_then_drop_is_outcome_unknown_and_the_ledger_holds_exactly_one_top_up() {
    let (sim, unitel) = start(Faults {
        top_up: TopUpFault::ApplyThenDrop { hold_ms: 100 },
        ..Faults::default()
    })
    .await;
    let request = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);

    let outcome = unitel.top_up(&request).await;

    assert!(
        matches!(outcome, Err(TopUpError::OutcomeUnknown(_))),
        "{outcome:?}"
    );
    let ledger = ledger_over_http(&sim).await;
    let applied = ledger.for_journal(request.journal_id.as_str());
    assert_eq!(applied.len(), 1, "{ledger:?}");
    assert_eq!(applied[0].msisdn, "88110004");
    assert_eq!(applied[0].amount, 5000);
    assert_eq!(applied[0].operation, Operation::Recharge);
    assert_eq!(ledger.entries.len(), 1);
}

#[tokio::test]
async fn a_hold_longer_than_the_client_timeout_is_outcome_unknown_too() {
    let sim = UnitelSimulator::start(UnitelSimConfig {
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        faults: Faults {
            top_up: TopUpFault::ApplyThenDrop { hold_ms: 3_000 },
            ..Faults::default()
        },
        ..UnitelSimConfig::default()
    })
    .await
    .expect("simulator starts");
    let mut config = config(&sim.base_url());
    config.request_timeout = Duration::from_millis(500);
    let unitel = client(config);
    let request = top_up(RechargeKind::Data, "88110008", "data3gb2d", 3500);

    let outcome = unitel.top_up(&request).await;

    assert!(
        matches!(outcome, Err(TopUpError::OutcomeUnknown(_))),
        "{outcome:?}"
    );
    assert_eq!(
        sim.ledger().for_journal(request.journal_id.as_str()).len(),
        1
    );
}

#[tokio::test]
async fn every_kind_of_top_up_succeeds_once() {
    let (sim, unitel) = start(Faults::default()).await;
    let voice = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);
    let data = top_up(RechargeKind::Data, "88110000", "data3gb2d", 3500);
    let bill = top_up(RechargeKind::Postpaid, "88110009", "", 74220);

    for request in [&voice, &data, &bill] {
        let accepted = unitel.top_up(request).await.expect("accepted");
        let TopUpAccepted::Succeeded { seq, receipt, .. } = accepted else {
            panic!("expected success, got {accepted:?}");
        };
        let entry = &sim
            .ledger()
            .for_journal(request.journal_id.as_str())
            .to_vec()[0];
        assert_eq!(seq.as_deref(), Some(entry.seq.as_str()));
        assert!(receipt.is_some_and(|vat| vat["billId"].is_string()));
    }
    let ledger = ledger_over_http(&sim).await;
    assert_eq!(ledger.entries.len(), 3);
    assert!(
        ledger
            .entries
            .iter()
            .all(|e| e.status == EntryStatus::Success)
    );
    // The bill is paid now.
    let bill_now = unitel
        .postpaid_bill(&msisdn("88110009"))
        .await
        .expect("bill");
    assert_eq!(bill_now.total_unpaid, Mnt::ZERO);
}

#[tokio::test]
async fn price_lists_and_bills_come_from_the_fixtures() {
    let (_sim, unitel) = start(Faults::default()).await;
    let talk = unitel.price_list(&msisdn("88110004")).await.expect("talk");
    assert_eq!(talk.raw, json(SMART_TALK));
    assert!(talk.find(RechargeKind::Voice, "ST5000").is_some());
    let postpaid = unitel
        .price_list(&msisdn("88110009"))
        .await
        .expect("postpaid");
    assert!(postpaid.find(RechargeKind::Voice, "ST5000").is_none());
    let bill = unitel
        .postpaid_bill(&msisdn("88110009"))
        .await
        .expect("bill");
    assert_eq!(bill.total_unpaid, Mnt::new(74220));
    assert!(matches!(
        unitel.postpaid_bill(&msisdn("88110004")).await,
        Err(ProviderError::Rejected { ref code, .. }) if code == "102"
    ));
}

#[tokio::test]
async fn a_product_not_in_the_subscribers_list_is_rejected_and_not_applied() {
    let (sim, unitel) = start(Faults::default()).await;
    let wrong_plan = top_up(RechargeKind::Voice, "88110000", "ST5000", 5000);
    assert!(matches!(
        unitel.top_up(&wrong_plan).await,
        Err(TopUpError::Rejected { ref code, .. }) if code == "103"
    ));
    let wrong_price = top_up(RechargeKind::Voice, "88110004", "ST5000", 4000);
    assert!(matches!(
        unitel.top_up(&wrong_price).await,
        Err(TopUpError::Rejected { ref code, .. }) if code == "104"
    ));
    assert!(sim.ledger().entries.is_empty());
}

#[tokio::test]
async fn pending_top_ups_resolve_through_check_transaction() {
    let (sim, unitel) = start(Faults {
        top_up: TopUpFault::Pending {
            checks_until_success: 2,
        },
        ..Faults::default()
    })
    .await;
    let request = top_up(RechargeKind::Voice, "88110004", "ST10000", 10000);
    let accepted = unitel.top_up(&request).await.expect("accepted");
    let TopUpAccepted::Pending { seq } = accepted else {
        panic!("expected pending, got {accepted:?}");
    };
    assert_eq!(sim.ledger().entries[0].status, EntryStatus::Pending);
    assert_eq!(
        unitel.check_transaction(&seq).await,
        Ok(TransactionCheck::StillPending)
    );
    let settled = unitel.check_transaction(&seq).await.expect("checked");
    assert!(matches!(
        settled,
        TransactionCheck::Succeeded { receipt: Some(_) }
    ));
    assert_eq!(sim.ledger().entries[0].status, EntryStatus::Success);
    assert!(matches!(
        unitel.check_transaction("no-such-seq").await,
        Err(ProviderError::Rejected { ref code, .. }) if code == "404"
    ));
}

#[tokio::test]
async fn failed_answers_are_rejected_and_nothing_is_applied() {
    let (sim, unitel) = start(Faults {
        top_up: TopUpFault::Failed {
            code: "105".to_owned(),
            msg: "Insufficient dealer balance".to_owned(),
        },
        ..Faults::default()
    })
    .await;
    assert_eq!(
        unitel
            .top_up(&top_up(RechargeKind::Voice, "88110004", "ST5000", 5000))
            .await,
        Err(TopUpError::Rejected {
            code: "105".to_owned(),
            message: "Insufficient dealer balance".to_owned()
        })
    );
    assert!(ledger_over_http(&sim).await.entries.is_empty());
}

#[tokio::test]
async fn a_5xx_after_applying_is_outcome_unknown_and_not_retried() {
    let (sim, unitel) = start(Faults {
        top_up: TopUpFault::ServerError {
            status: 502,
            apply: true,
        },
        ..Faults::default()
    })
    .await;
    let request = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);
    assert!(matches!(
        unitel.top_up(&request).await,
        Err(TopUpError::OutcomeUnknown(_))
    ));
    assert_eq!(
        sim.ledger().for_journal(request.journal_id.as_str()).len(),
        1
    );
}

#[tokio::test]
async fn an_empty_answer_is_outcome_unknown() {
    let (sim, unitel) = start(Faults {
        top_up: TopUpFault::EmptyAnswer { apply: false },
        ..Faults::default()
    })
    .await;
    assert!(matches!(
        unitel
            .top_up(&top_up(RechargeKind::Voice, "88110004", "ST5000", 5000))
            .await,
        Err(TopUpError::OutcomeUnknown(_))
    ));
    assert!(sim.ledger().entries.is_empty());
}

#[tokio::test]
async fn expired_tokens_are_refreshed_for_queries_but_money_calls_are_rejected() {
    let (sim, unitel) = start(Faults::default()).await;
    unitel
        .price_list(&msisdn("88110004"))
        .await
        .expect("token issued");

    sim.expire_tokens();
    let list = unitel.price_list(&msisdn("88110000")).await;
    assert!(list.is_ok(), "query refreshed its token: {list:?}");

    sim.expire_tokens();
    let request = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);
    assert!(matches!(
        unitel.top_up(&request).await,
        Err(TopUpError::NotSent(_))
    ));
    assert!(sim.ledger().entries.is_empty());
    // The refused token was dropped: the next order goes through.
    let next = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);
    assert!(unitel.top_up(&next).await.is_ok());
    assert_eq!(sim.ledger().entries.len(), 1);
}

#[tokio::test]
async fn faults_set_over_http_take_effect() {
    let (sim, unitel) = start(Faults::default()).await;
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}/__sandbox/faults", sim.base_url()))
        .json(&serde_json::json!({"unauthorized_next": 2}))
        .send()
        .await
        .expect("faults answer");
    assert!(answer.status().is_success());
    // Two 401s in a row: the query refreshes once, then gives up.
    assert!(matches!(
        unitel.price_list(&msisdn("88110004")).await,
        Err(ProviderError::Unavailable(_))
    ));
    assert!(unitel.price_list(&msisdn("88110004")).await.is_ok());
}

#[tokio::test]
async fn a_seeded_failure_rate_repeats_itself() {
    let faults = Faults {
        failure_rate: 0.5,
        seed: 7,
        ..Faults::default()
    };
    let (sim, unitel) = start(faults.clone()).await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.set_faults(faults.clone()).expect("valid faults");
        let mut outcomes = Vec::new();
        for _ in 0..12 {
            let request = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);
            outcomes.push(unitel.top_up(&request).await.is_ok());
        }
        runs.push(outcomes);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&true) && runs[0].contains(&false),
        "{runs:?}"
    );
    let successes = runs.iter().flatten().filter(|ok| **ok).count();
    assert_eq!(sim.ledger().entries.len(), successes);
}

#[tokio::test]
async fn a_stopped_operator_means_the_money_call_was_never_sent() {
    let (sim, unitel) = start(Faults::default()).await;
    unitel
        .price_list(&msisdn("88110004"))
        .await
        .expect("token cached");
    sim.stop().await;
    let outcome = unitel
        .top_up(&top_up(RechargeKind::Voice, "88110004", "ST5000", 5000))
        .await;
    assert!(
        matches!(outcome, Err(TopUpError::NotSent(_))),
        "{outcome:?}"
    );
}
