//! Admin accounts and the audit trail: every audited change commits its row with it, or
//! neither is written.

use std::sync::Arc;

use chrono::TimeDelta;
use elife_domain::accounts::admins::{
    AdminAccount, AdminId, AdminRepository, AdminUpdate, NewAdmin, Role, Username,
};
use elife_domain::accounts::audit::{
    AdminAct, AuditAction, AuditActor, AuditEntry, AuditFilter, AuditLog, AuditTargetType,
    order_state_view,
};
use elife_domain::money::ExchangeRate;
use elife_domain::order::Resolution;
use elife_domain::ports::{
    CasOutcome, ExchangeRateRepository, OrderRepository, PageRequest, RepositoryError,
};
use elife_domain::testing::t0;
use elife_persistence::{
    SeaOrmAdminRepository, SeaOrmAuditLog, SeaOrmExchangeRateRepository, SeaOrmOrderRepository,
};
use rust_decimal_macros::dec;
use serde_json::json;

use crate::common::{TestDb, order_at, won};

fn new_admin(username: &str, role: Role) -> NewAdmin {
    NewAdmin {
        username: Username::parse(username).unwrap(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        display_name: format!("{username} display"),
        role,
        created_at: t0(),
    }
}

fn act() -> AdminAct {
    AdminAct::new(AuditActor::cli(), Some("req-42".to_owned()))
}

fn entry(action: AuditAction, target: &str, minutes: i64) -> AuditEntry {
    act().entry(
        action,
        target,
        Some("why not"),
        Some(json!({"rate": "480"})),
        Some(json!({"rate": "500", "nested": {"list": [1, 2]}})),
        t0() + TimeDelta::minutes(minutes),
    )
}

async fn all_rows(test: &TestDb) -> Vec<AuditEntry> {
    SeaOrmAuditLog::new(test.db.clone())
        .list(
            &AuditFilter::default(),
            PageRequest {
                page: 1,
                limit: 100,
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|record| record.entry)
        .collect()
}

fn changed(account: &AdminAccount, change: impl FnOnce(&mut AdminAccount)) -> AdminAccount {
    let mut next = account.clone();
    change(&mut next);
    next.version = account.version + 1;
    next.updated_at = t0() + TimeDelta::minutes(5);
    next
}

#[tokio::test]
async fn an_account_is_created_once_with_its_audit_row() {
    let test = TestDb::new().await;
    let admins = SeaOrmAdminRepository::new(test.db.clone());
    let created = admins
        .insert(
            &new_admin("alice", Role::Operator),
            Some(entry(AuditAction::AdminCreate, "", 0)),
        )
        .await
        .unwrap();
    assert_eq!(created.username, "alice");
    assert_eq!(created.role, Role::Operator);
    assert!(created.enabled);
    assert_eq!(created.version, 0);
    assert_eq!(created.created_at, t0());
    assert_eq!(
        admins.find(created.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        admins.find_by_username("alice").await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(admins.find_by_username("bob").await.unwrap(), None);

    let again = admins
        .insert(
            &new_admin("alice", Role::Viewer),
            Some(entry(AuditAction::AdminCreate, "", 0)),
        )
        .await;
    assert!(
        matches!(again, Err(RepositoryError::Duplicate(_))),
        "{again:?}"
    );
    let rows = all_rows(&test).await;
    assert_eq!(rows.len(), 1, "the refused insert left no audit row");
    assert_eq!(rows[0].target_id, created.id.to_string());
    assert_eq!(rows[0].actor.username, "cli");
}

#[tokio::test]
async fn an_update_is_a_compare_and_set_with_its_audit_row() {
    let test = TestDb::new().await;
    let admins = SeaOrmAdminRepository::new(test.db.clone());
    let alice = admins
        .insert(&new_admin("alice", Role::Operator), None)
        .await
        .unwrap();
    let locked_until = t0() + TimeDelta::minutes(15);
    let next = changed(&alice, |a| {
        a.role = Role::Admin;
        a.display_name = "Alice Ö".to_owned();
        a.failed_attempts = 3;
        a.locked_until = Some(locked_until);
        a.last_login_at = Some(t0());
    });
    let update = AdminUpdate {
        expected_version: alice.version,
        account: next.clone(),
        audit: Some(entry(AuditAction::AdminUpdate, &alice.id.to_string(), 1)),
        keep_a_super_admin: false,
    };
    assert_eq!(admins.update(&update).await.unwrap(), CasOutcome::Won);
    assert_eq!(admins.find(alice.id).await.unwrap(), Some(next));
    // The same expected version again: stale, nothing written, no audit row.
    assert_eq!(admins.update(&update).await.unwrap(), CasOutcome::Lost);
    assert_eq!(all_rows(&test).await.len(), 1);
    let missing = AdminUpdate {
        account: AdminAccount {
            id: AdminId(999),
            ..update.account.clone()
        },
        ..update.clone()
    };
    assert_eq!(admins.update(&missing).await.unwrap(), CasOutcome::Lost);
}

#[tokio::test]
async fn the_last_enabled_super_admin_keeps_the_power_even_under_a_race() {
    let test = TestDb::new().await;
    let admins = Arc::new(SeaOrmAdminRepository::new(test.db.clone()));
    let one = admins
        .insert(&new_admin("one", Role::SuperAdmin), None)
        .await
        .unwrap();
    let two = admins
        .insert(&new_admin("two", Role::SuperAdmin), None)
        .await
        .unwrap();
    admins
        .insert(&new_admin("viewer", Role::Viewer), None)
        .await
        .unwrap();
    assert_eq!(admins.count_active_super_admins().await.unwrap(), 2);

    // Each demotes the other at once: exactly one wins.
    let demote = |account: &AdminAccount| AdminUpdate {
        expected_version: account.version,
        account: changed(account, |a| a.enabled = false),
        audit: Some(entry(AuditAction::AdminUpdate, &account.id.to_string(), 2)),
        keep_a_super_admin: true,
    };
    let (first, second) = (demote(&one), demote(&two));
    let (a, b) = {
        let (x, y) = (Arc::clone(&admins), Arc::clone(&admins));
        tokio::join!(
            tokio::spawn(async move { x.update(&first).await }),
            tokio::spawn(async move { y.update(&second).await })
        )
    };
    let outcomes = [a.unwrap().unwrap(), b.unwrap().unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| **o == CasOutcome::Won).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(admins.count_active_super_admins().await.unwrap(), 1);
    assert_eq!(all_rows(&test).await.len(), 1, "only the winner is audited");
}

#[tokio::test]
async fn accounts_are_listed_by_id_in_pages() {
    let test = TestDb::new().await;
    let admins = SeaOrmAdminRepository::new(test.db.clone());
    for name in ["ann", "ben", "cat"] {
        admins
            .insert(&new_admin(name, Role::Viewer), None)
            .await
            .unwrap();
    }
    let page = admins
        .list(PageRequest { page: 2, limit: 2 })
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items
            .iter()
            .map(|a| a.username.as_str())
            .collect::<Vec<_>>(),
        ["cat"]
    );
}

#[tokio::test]
async fn the_trail_is_filtered_and_paged_newest_first() {
    let test = TestDb::new().await;
    let log = SeaOrmAuditLog::new(test.db.clone());
    let mut by_alice = entry(AuditAction::OrderRefund, "ORD1", 1);
    by_alice.actor = AuditActor {
        admin_id: Some(AdminId(5)),
        username: "alice".to_owned(),
        role: Role::Admin,
    };
    let rows = [
        entry(AuditAction::ExchangeRateChange, "MNT_TO_CNY", 0),
        by_alice.clone(),
        entry(AuditAction::OrderResolve, "ORD1", 2),
        entry(AuditAction::PhoneReveal, "ORD2", 3),
    ];
    for row in &rows {
        log.record(row).await.unwrap();
    }
    let list = |filter: AuditFilter| {
        let log = log.clone();
        async move {
            log.list(&filter, PageRequest { page: 1, limit: 10 })
                .await
                .unwrap()
        }
    };
    let everything = list(AuditFilter::default()).await;
    assert_eq!(everything.total, 4);
    assert_eq!(everything.items[0].entry, rows[3], "newest first");
    // Every field round-trips, JSON included.
    assert_eq!(everything.items[2].entry, by_alice);

    let alice = list(AuditFilter {
        actor: Some("alice".to_owned()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(alice.total, 1);
    let order = list(AuditFilter {
        target_type: Some(AuditTargetType::Order),
        target_id: Some("ORD1".to_owned()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(order.total, 2);
    let action = list(AuditFilter {
        action: Some(AuditAction::PhoneReveal),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(action.items[0].entry.target_id, "ORD2");
    let window = list(AuditFilter {
        from: Some(t0() + TimeDelta::minutes(1)),
        before: Some(t0() + TimeDelta::minutes(3)),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(window.total, 2);
    let second_page = log
        .list(&AuditFilter::default(), PageRequest { page: 2, limit: 3 })
        .await
        .unwrap();
    assert_eq!(second_page.items.len(), 1);
    assert_eq!(second_page.items[0].entry, rows[0]);
}

#[tokio::test]
async fn a_rate_change_commits_its_audit_row() {
    let test = TestDb::new().await;
    let rates = SeaOrmExchangeRateRepository::new(test.db.clone());
    let seeded = ExchangeRate::new(dec!(480)).unwrap();
    let rate = ExchangeRate::new(dec!(500)).unwrap();
    let changed = rates
        .set(
            ExchangeRate::MNT_TO_CNY,
            Some(seeded),
            rate,
            t0(),
            Some(entry(AuditAction::ExchangeRateChange, "MNT_TO_CNY", 0)),
        )
        .await
        .unwrap();
    assert_eq!(changed, CasOutcome::Won);
    // A new pair is created inside the same transaction as its row.
    rates
        .set(
            "MNT_TO_USD",
            None,
            rate,
            t0(),
            Some(entry(AuditAction::ExchangeRateChange, "MNT_TO_USD", 1)),
        )
        .await
        .unwrap();
    // A change decided on a rate that is no longer current writes neither.
    let lost = rates
        .set(
            ExchangeRate::MNT_TO_CNY,
            Some(seeded),
            rate,
            t0(),
            Some(entry(AuditAction::ExchangeRateChange, "MNT_TO_CNY", 2)),
        )
        .await
        .unwrap();
    assert_eq!(lost, CasOutcome::Lost);
    assert_eq!(
        rates.active("MNT_TO_USD").await.unwrap().unwrap().rate,
        rate
    );
    let rows = all_rows(&test).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].target_id, "MNT_TO_CNY");
}

#[tokio::test]
async fn an_order_change_commits_its_audit_row_and_a_lost_one_writes_none() {
    let test = TestDb::new().await;
    let orders = SeaOrmOrderRepository::new(test.db.clone(), crate::common::keyring());
    let order = order_at(1, "o-audit", 0);
    orders.insert(&order).await.unwrap();
    let paid = won(&orders, order.mark_paid("4200", t0(), "paid")).await;
    let submitting = won(&orders, paid.claim_recharge(t0())).await;
    let unknown = won(
        &orders,
        submitting.record_top_up(
            &elife_domain::order::TopUpResult::Unknown {
                reason: "timeout".to_owned(),
            },
            t0(),
        ),
    )
    .await;
    let transition = unknown
        .resolve(Resolution::Succeeded, act().order_actor(), "checked", t0())
        .unwrap();
    let audited = transition.clone().audited(act().entry(
        AuditAction::OrderResolve,
        unknown.number.as_str(),
        Some("checked"),
        Some(order_state_view(transition.event.from)),
        Some(order_state_view(transition.event.to)),
        t0(),
    ));
    assert_eq!(orders.apply(&audited).await.unwrap(), CasOutcome::Won);
    assert_eq!(orders.apply(&audited).await.unwrap(), CasOutcome::Lost);
    let rows = all_rows(&test).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].after.as_ref().unwrap()["rechargeStatus"], "success");
    let events = orders.events(&unknown.number).await.unwrap();
    assert_eq!(events.last().unwrap().actor, act().order_actor());
}
