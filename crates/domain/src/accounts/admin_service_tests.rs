//! The admin use cases against the in-memory fakes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::accounts::audit::{AuditActor, AuditTargetType};
use crate::accounts::fakes::{AuditRows, InMemoryAdmins, PlainHasher, RecordedPauses};
use crate::testing::t0;

const PASSWORD: &str = "correct horse battery";

struct MovableClock(Mutex<DateTime<Utc>>);

impl Clock for MovableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

struct Fixture {
    service: AdminService,
    admins: Arc<InMemoryAdmins>,
    audit: AuditRows,
    pauses: Arc<RecordedPauses>,
    hasher: Arc<PlainHasher>,
    clock: Arc<MovableClock>,
}

impl Fixture {
    fn new() -> Self {
        let audit = AuditRows::default();
        let admins = Arc::new(InMemoryAdmins::new(audit.clone()));
        let pauses = Arc::new(RecordedPauses::default());
        let hasher = Arc::new(PlainHasher::default());
        let clock = Arc::new(MovableClock(Mutex::new(t0())));
        let service = AdminService::new(
            admins.clone(),
            hasher.clone(),
            clock.clone(),
            pauses.clone(),
            LoginPolicy {
                max_failures: 3,
                ip_max_failures: 10,
                ..LoginPolicy::default()
            },
        );
        Fixture {
            service,
            admins,
            audit,
            pauses,
            hasher,
            clock,
        }
    }

    fn advance(&self, by: chrono::Duration) {
        *self.clock.0.lock().unwrap() += by;
    }

    async fn create(&self, username: &str, role: Role) -> AdminAccount {
        self.service
            .create(
                &cli(),
                CreateAdmin {
                    username: username.to_owned(),
                    password: PASSWORD.to_owned(),
                    display_name: None,
                    role,
                },
            )
            .await
            .expect("created")
    }
}

fn cli() -> AdminAct {
    AdminAct::new(AuditActor::cli(), None)
}

fn by(account: &AdminAccount) -> AdminAct {
    AdminAct::new(AuditActor::of(account), Some("req-7".to_owned()))
}

#[tokio::test]
async fn the_right_password_logs_in_and_records_the_time() {
    let f = Fixture::new();
    f.create("alice", Role::Admin).await;
    let account = f
        .service
        .login("Alice", PASSWORD, Some("1.1.1.1"))
        .await
        .unwrap();
    assert_eq!(account.username, "alice");
    assert_eq!(account.last_login_at, Some(t0()));
    assert!(f.pauses.all().is_empty());
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_for_the_right_password() {
    let f = Fixture::new();
    f.create("alice", Role::Admin).await;
    for _ in 0..3 {
        let error = f
            .service
            .login("alice", "wrong password!", None)
            .await
            .unwrap_err();
        assert!(matches!(error, AdminError::InvalidCredentials), "{error:?}");
    }
    // Each failure waited longer than the one before.
    assert_eq!(
        f.pauses.all(),
        vec![
            Duration::from_millis(200),
            Duration::from_millis(400),
            Duration::from_millis(600)
        ]
    );
    let locked = f.service.login("alice", PASSWORD, None).await.unwrap_err();
    let AdminError::Locked { until } = locked else {
        panic!("expected a lock, got {locked:?}");
    };
    assert_eq!(until, t0() + chrono::Duration::minutes(15));
    // The check while locked costs as much as a real one.
    assert_eq!(*f.hasher.dummy_verifications.lock().unwrap(), 1);

    f.advance(chrono::Duration::minutes(15));
    let account = f.service.login("alice", PASSWORD, None).await.unwrap();
    assert_eq!(account.failed_attempts, 0);
    assert_eq!(account.locked_until, None);
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let f = Fixture::new();
    f.create("alice", Role::Admin).await;
    for _ in 0..2 {
        f.service
            .login("alice", "wrong password!", None)
            .await
            .unwrap_err();
    }
    f.service.login("alice", PASSWORD, None).await.unwrap();
    for _ in 0..2 {
        f.service
            .login("alice", "wrong password!", None)
            .await
            .unwrap_err();
    }
    // Two failures after the success: not locked.
    f.service.login("alice", PASSWORD, None).await.unwrap();
}

#[tokio::test]
async fn an_unknown_username_costs_a_verification_and_says_nothing_more() {
    let f = Fixture::new();
    let error = f
        .service
        .login("nobody", PASSWORD, Some("2.2.2.2"))
        .await
        .unwrap_err();
    assert!(matches!(error, AdminError::InvalidCredentials));
    assert_eq!(*f.hasher.dummy_verifications.lock().unwrap(), 1);
    assert_eq!(f.pauses.all(), vec![Duration::from_millis(200)]);
    let malformed = f.service.login("a b", PASSWORD, None).await.unwrap_err();
    assert!(matches!(malformed, AdminError::InvalidCredentials));
}

#[tokio::test]
async fn an_address_guessing_across_accounts_is_throttled() {
    let f = Fixture::new();
    f.create("alice", Role::Admin).await;
    for n in 0..10 {
        let name = format!("user{n}");
        f.service
            .login(&name, PASSWORD, Some("6.6.6.6"))
            .await
            .unwrap_err();
    }
    let refused = f
        .service
        .login("alice", PASSWORD, Some("6.6.6.6"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, AdminError::Throttled { .. }),
        "{refused:?}"
    );
    // Another address is not affected, and the delays grew to the cap.
    f.service
        .login("alice", PASSWORD, Some("7.7.7.7"))
        .await
        .unwrap();
    assert_eq!(f.pauses.all().last(), Some(&Duration::from_secs(2)));
}

#[tokio::test]
async fn a_disabled_account_cannot_log_in() {
    let f = Fixture::new();
    let root = f.create("root", Role::SuperAdmin).await;
    let alice = f.create("alice", Role::Admin).await;
    let changes = AdminChanges {
        enabled: Some(false),
        ..AdminChanges::default()
    };
    f.service
        .update(&by(&root), alice.id, &changes)
        .await
        .unwrap();
    let refused = f.service.login("alice", PASSWORD, None).await.unwrap_err();
    assert!(matches!(refused, AdminError::Disabled));
    assert_eq!(f.service.active_account(alice.id).await.unwrap(), None);
}

#[tokio::test]
async fn only_super_admins_manage_admins() {
    let f = Fixture::new();
    let alice = f.create("alice", Role::Admin).await;
    let attempt = f
        .service
        .create(
            &by(&alice),
            CreateAdmin {
                username: "mallory".to_owned(),
                password: PASSWORD.to_owned(),
                display_name: None,
                role: Role::SuperAdmin,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(attempt, AdminError::Forbidden(_)));
    let promote = AdminChanges {
        role: Some(Role::SuperAdmin),
        ..AdminChanges::default()
    };
    let attempt = f
        .service
        .update(&by(&alice), alice.id, &promote)
        .await
        .unwrap_err();
    assert!(matches!(attempt, AdminError::Forbidden(_)));
    assert_eq!(f.audit.all().len(), 1, "only the creation was audited");
}

#[tokio::test]
async fn creation_validates_and_is_audited_with_the_new_id() {
    let f = Fixture::new();
    let short = f
        .service
        .create(
            &cli(),
            CreateAdmin {
                username: "bob".to_owned(),
                password: "short".to_owned(),
                display_name: None,
                role: Role::Viewer,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(short, AdminError::Validation(_)));
    let bob = f.create("bob", Role::Viewer).await;
    assert_eq!(bob.display_name, "bob");
    assert!(bob.password_hash.starts_with("plain$"));
    let again = f
        .service
        .create(
            &cli(),
            CreateAdmin {
                username: "BOB".to_owned(),
                password: PASSWORD.to_owned(),
                display_name: None,
                role: Role::Viewer,
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(again, AdminError::Conflict(_)), "{again:?}");
    let rows = f.audit.all();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action, AuditAction::AdminCreate);
    assert_eq!(rows[0].target_type, AuditTargetType::Admin);
    assert_eq!(rows[0].target_id, bob.id.to_string());
    assert_eq!(rows[0].actor.username, "cli");
    assert_eq!(rows[0].after.as_ref().unwrap()["role"], "viewer");
}

#[tokio::test]
async fn the_last_enabled_super_admin_is_never_disabled_or_demoted() {
    let f = Fixture::new();
    let root = f.create("root", Role::SuperAdmin).await;
    for changes in [
        AdminChanges {
            enabled: Some(false),
            ..AdminChanges::default()
        },
        AdminChanges {
            role: Some(Role::Admin),
            ..AdminChanges::default()
        },
    ] {
        let refused = f
            .service
            .update(&by(&root), root.id, &changes)
            .await
            .unwrap_err();
        assert!(matches!(refused, AdminError::Conflict(_)), "{refused:?}");
    }
    // With a second super admin, the first may step down.
    let second = f.create("second", Role::SuperAdmin).await;
    let demoted = f
        .service
        .update(
            &by(&second),
            root.id,
            &AdminChanges {
                role: Some(Role::Admin),
                ..AdminChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(demoted.role, Role::Admin);
    let last = f.audit.all().pop().unwrap();
    assert_eq!(last.action, AuditAction::AdminUpdate);
    assert_eq!(last.before.unwrap()["role"], "super_admin");
    assert_eq!(last.after.unwrap()["role"], "admin");
    assert_eq!(last.request_id.as_deref(), Some("req-7"));
    assert_eq!(last.actor.username, "second");
}

#[tokio::test]
async fn the_repository_refuses_a_demotion_that_raced_another() {
    // Both super admins read "two of us" and demote the other: the fake, like the
    // database, refuses the second write, and the service then sees the last one standing.
    let f = Fixture::new();
    let one = f.create("one", Role::SuperAdmin).await;
    let two = f.create("two", Role::SuperAdmin).await;
    let mut demoted = two.clone();
    demoted.role = Role::Admin;
    demoted.version = two.version + 1;
    let first = AdminUpdate {
        expected_version: two.version,
        account: demoted,
        audit: None,
        keep_a_super_admin: true,
    };
    assert_eq!(f.admins.update(&first).await.unwrap(), CasOutcome::Won);
    let mut other = one.clone();
    other.role = Role::Admin;
    other.version = one.version + 1;
    let second = AdminUpdate {
        expected_version: one.version,
        account: other,
        audit: None,
        keep_a_super_admin: true,
    };
    assert_eq!(f.admins.update(&second).await.unwrap(), CasOutcome::Lost);
}

#[tokio::test]
async fn nothing_to_change_writes_nothing() {
    let f = Fixture::new();
    let root = f.create("root", Role::SuperAdmin).await;
    let same = AdminChanges {
        role: Some(Role::SuperAdmin),
        ..AdminChanges::default()
    };
    f.service.update(&by(&root), root.id, &same).await.unwrap();
    assert_eq!(f.audit.all().len(), 1);
    let blank = AdminChanges {
        display_name: Some("  ".to_owned()),
        ..AdminChanges::default()
    };
    assert!(matches!(
        f.service.update(&by(&root), root.id, &blank).await,
        Err(AdminError::Validation(_))
    ));
}

#[tokio::test]
async fn a_password_reset_unlocks_and_is_audited_without_the_hash() {
    let f = Fixture::new();
    let alice = f.create("alice", Role::Operator).await;
    for _ in 0..3 {
        f.service
            .login("alice", "wrong password!", None)
            .await
            .unwrap_err();
    }
    let reset = f
        .service
        .reset_password(&cli(), alice.id, "a brand new passphrase")
        .await
        .unwrap();
    assert_eq!(reset.locked_until, None);
    f.service
        .login("alice", "a brand new passphrase", None)
        .await
        .unwrap();
    let row = f.audit.all().pop().unwrap();
    assert_eq!(row.action, AuditAction::AdminPasswordReset);
    assert!(!serde_json::to_string(&row).unwrap().contains("plain$"));
    let missing = f
        .service
        .reset_password(&cli(), AdminId(99), "a brand new passphrase")
        .await
        .unwrap_err();
    assert!(matches!(missing, AdminError::NotFound(_)));
}
