//! Phone numbers at rest: sealed on write, opened on read, found by the blind index,
//! re-sealed by key rotation, and encrypted (`up`) or restored (`down`) by the migration,
//! on every backend.

use elife_domain::msisdn::Msisdn;
use elife_domain::order::{OpenId, Order};
use elife_domain::ports::{OrderFilter, OrderRepository, PageRequest};
use elife_persistence::{
    DbBackend, Keyring, Migrator, MigratorTrait, PhoneKeyRotation, SeaOrmOrderRepository,
};
use sea_orm::{ConnectionTrait, Statement, Value};

use crate::common::{TestDb, keyring, order_at};

const MIGRATION: &str = "m20261130_000003_encrypt_phone_numbers";
const NUMBERS: [&str; 3] = ["88112233", "99112244", "86112255"];

fn key(byte: u8) -> [u8; 32] {
    [byte; 32]
}

/// Keys `ids` (id, key byte) with the development index key, so that the migration's rows
/// (sealed with the development keys) and these agree on the index.
fn ring(ids: &[(&str, u8)]) -> Keyring {
    let keys: Vec<(&str, [u8; 32])> = ids.iter().map(|(id, b)| (*id, key(*b))).collect();
    Keyring::with_keys(&keys, b"elife-dev-blind-index-NOT-SECRET").unwrap()
}

/// Order `n` of `openid` for number `phone`.
fn order(n: u32, openid: &str, phone: &str) -> Order {
    let mut order = order_at(n, openid, i64::from(n));
    order.msisdn = Msisdn::parse(phone).unwrap();
    order
}

/// The stored phone columns of every order, by order number: (number, phone_number,
/// cipher, key id, index), `None` standing for NULL.
async fn stored(test: &TestDb) -> Vec<[Option<String>; 5]> {
    let sql = "SELECT order_number, phone_number, phone_cipher, phone_key_id, phone_index \
               FROM orders ORDER BY order_number";
    raw_rows(test, sql, 5)
        .await
        .into_iter()
        .map(|row| [0, 1, 2, 3, 4].map(|i| row[i].clone()))
        .collect()
}

async fn raw_rows(test: &TestDb, sql: &str, columns: usize) -> Vec<Vec<Option<String>>> {
    let rows = test
        .db
        .query_all_raw(Statement::from_string(test.backend(), sql))
        .await
        .expect("raw select");
    rows.iter()
        .map(|row| {
            (0..columns)
                .map(|i| {
                    row.try_get_by_index::<Option<String>>(i)
                        .expect("text column")
                })
                .collect()
        })
        .collect()
}

async fn phone_columns(test: &TestDb) -> Vec<String> {
    let (sql, values): (&str, Vec<Value>) = match test.backend() {
        DbBackend::Sqlite => (
            "SELECT name FROM pragma_table_info(?)",
            vec!["orders".into()],
        ),
        DbBackend::MySql => (
            "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ?",
            vec!["orders".into()],
        ),
        _ => (
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
            vec!["orders".into()],
        ),
    };
    let mut columns: Vec<String> = test
        .strings(sql, values)
        .await
        .into_iter()
        .filter(|name| name.starts_with("phone_"))
        .collect();
    columns.sort();
    columns
}

/// Migrations after and including the encryption, which `down` must undo to reach it.
fn steps_down_to_before_encryption() -> u32 {
    let all = Migrator::migrations();
    let position = all
        .iter()
        .position(|migration| migration.name() == MIGRATION)
        .expect("the encryption migration is registered");
    u32::try_from(all.len() - position).unwrap()
}

#[tokio::test]
async fn numbers_are_stored_sealed_and_masked_and_read_back_whole() {
    let test = TestDb::new().await;
    let repo = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    let order = order(1, "o-phone-owner", "88112233");
    repo.insert(&order).await.unwrap();

    let rows = stored(&test).await;
    let [_, masked, cipher, key_id, index] = &rows[0];
    assert_eq!(masked.as_deref(), Some("8811****"));
    let cipher = cipher.as_deref().expect("sealed");
    assert!(!cipher.contains("88112233") && !cipher.contains("112233"));
    assert_eq!(key_id.as_deref(), Some(keyring().current_key_id()));
    assert_eq!(
        index.as_deref(),
        Some(keyring().phone_index("88112233").as_str())
    );

    let read = repo.find(&order.number).await.unwrap().unwrap();
    assert_eq!(read.msisdn.as_str(), "88112233");
    assert_eq!(read, order);
}

#[tokio::test]
async fn the_order_lists_filter_by_phone_number_through_the_index() {
    let test = TestDb::new().await;
    let repo = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    for (n, (openid, phone)) in [
        ("o-a", NUMBERS[0]),
        ("o-a", NUMBERS[1]),
        ("o-b", NUMBERS[0]),
        ("o-b", NUMBERS[2]),
    ]
    .into_iter()
    .enumerate()
    {
        repo.insert(&order(n as u32, openid, phone)).await.unwrap();
    }
    let filter = |phone: &str| OrderFilter {
        msisdn: Some(Msisdn::parse(phone).unwrap()),
        ..OrderFilter::default()
    };
    let page = PageRequest { page: 1, limit: 50 };
    let all = repo.list_all(&filter(NUMBERS[0]), page).await.unwrap();
    assert_eq!(all.total, 2);
    assert!(all.items.iter().all(|o| o.msisdn.as_str() == NUMBERS[0]));
    let mine = repo
        .list_for_user(&OpenId::parse("o-b").unwrap(), &filter(NUMBERS[0]), page)
        .await
        .unwrap();
    assert_eq!(mine.total, 1);
    assert_eq!(mine.items[0].openid.as_str(), "o-b");
    let nobody = repo.list_all(&filter("88000000"), page).await.unwrap();
    assert_eq!(nobody.total, 0);
    // Combined with the other filters.
    let unpaid = OrderFilter {
        payment_status: Some(elife_domain::order::PaymentStatus::Paid),
        ..filter(NUMBERS[0])
    };
    assert_eq!(repo.list_all(&unpaid, page).await.unwrap().total, 0);
}

#[tokio::test]
async fn rotation_moves_every_row_to_the_current_key() {
    let test = TestDb::new().await;
    let old = SeaOrmOrderRepository::new(test.db.clone(), ring(&[("k1", 1)]));
    let orders: Vec<Order> = (0..7)
        .map(|n| order(n, "o-rotation", NUMBERS[n as usize % 3]))
        .collect();
    for order in &orders {
        old.insert(order).await.unwrap();
    }
    // A row an older version wrote in plaintext after the migration.
    test.db
        .execute_raw(Statement::from_sql_and_values(
            test.backend(),
            match test.backend() {
                DbBackend::Postgres => {
                    "UPDATE orders SET phone_number = $1, phone_cipher = NULL, \
                     phone_key_id = NULL, phone_index = NULL WHERE order_number = $2"
                }
                _ => {
                    "UPDATE orders SET phone_number = ?, phone_cipher = NULL, \
                     phone_key_id = NULL, phone_index = NULL WHERE order_number = ?"
                }
            },
            vec![
                orders[6].msisdn.as_str().into(),
                orders[6].number.as_str().into(),
            ],
        ))
        .await
        .unwrap();

    // k2 is now current; k1 still opens the old rows.
    let both = ring(&[("k2", 2), ("k1", 1)]);
    let repo = SeaOrmOrderRepository::new(test.db.clone(), both.clone());
    for order in &orders {
        assert_eq!(
            repo.find(&order.number).await.unwrap().as_ref(),
            Some(order)
        );
    }
    let fresh = order(10, "o-rotation", NUMBERS[0]);
    repo.insert(&fresh).await.unwrap();

    let report = PhoneKeyRotation::new(test.db.clone(), both.clone())
        .run(false, 3)
        .await
        .unwrap();
    assert_eq!(report.examined, 7, "the fresh row is already on k2");
    assert_eq!(report.resealed, 6);
    assert_eq!(report.sealed_plaintext, 1);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    for [number, masked, _, key_id, _] in stored(&test).await {
        assert_eq!(key_id.as_deref(), Some("k2"), "{number:?}");
        assert!(masked.unwrap().ends_with("****"));
    }

    // k1 retired: everything still reads, and the index still finds the plaintext row.
    let retired = SeaOrmOrderRepository::new(test.db.clone(), ring(&[("k2", 2)]));
    for order in orders.iter().chain([&fresh]) {
        assert_eq!(
            retired.find(&order.number).await.unwrap().as_ref(),
            Some(order)
        );
    }
    let by_phone = OrderFilter {
        msisdn: Some(orders[6].msisdn.clone()),
        ..OrderFilter::default()
    };
    let found = retired
        .list_all(&by_phone, PageRequest { page: 1, limit: 50 })
        .await
        .unwrap();
    assert!(found.items.iter().any(|o| o.number == orders[6].number));

    // A second pass has nothing to do.
    let again = PhoneKeyRotation::new(test.db.clone(), both)
        .run(false, 3)
        .await
        .unwrap();
    assert_eq!(again.examined, 0);
}

#[tokio::test]
async fn rotation_reports_rows_it_cannot_open_and_goes_on() {
    let test = TestDb::new().await;
    let k1 = SeaOrmOrderRepository::new(test.db.clone(), ring(&[("k1", 1)]));
    k1.insert(&order(1, "o-x", NUMBERS[0])).await.unwrap();
    let k3 = SeaOrmOrderRepository::new(test.db.clone(), ring(&[("k3", 3)]));
    k3.insert(&order(2, "o-x", NUMBERS[1])).await.unwrap();

    // k1 forgotten too early: its row fails, the others move.
    let report = PhoneKeyRotation::new(test.db.clone(), ring(&[("k4", 4), ("k3", 3)]))
        .run(false, 500)
        .await
        .unwrap();
    assert_eq!(report.resealed, 1);
    assert_eq!(report.failures.len(), 1);
    assert!(report.failures[0].starts_with(order(1, "o-x", NUMBERS[0]).number.as_str()));
    assert!(!report.failures[0].contains(NUMBERS[0]));
    // Reading that row is an error that does not carry the number either.
    let error = k3
        .find(&order(1, "o-x", NUMBERS[0]).number)
        .await
        .unwrap_err()
        .to_string();
    assert!(!error.contains(NUMBERS[0]), "{error}");
}

#[tokio::test]
async fn the_migration_encrypts_plaintext_rows_and_down_restores_them() {
    let test = TestDb::new().await;
    let repo = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    // More rows than one batch of the migration.
    let count: u32 = 520;
    for n in 0..count {
        repo.insert(&order(n, "o-migrated", NUMBERS[n as usize % 3]))
            .await
            .unwrap();
    }

    // Down to before the encryption: every number is back in plaintext, the columns gone.
    Migrator::down(&test.db, Some(steps_down_to_before_encryption()))
        .await
        .unwrap();
    assert_eq!(phone_columns(&test).await, vec!["phone_number".to_owned()]);
    let plaintext = raw_rows(
        &test,
        "SELECT order_number, phone_number FROM orders ORDER BY order_number",
        2,
    )
    .await;
    assert_eq!(plaintext.len(), count as usize);
    for (n, row) in plaintext.iter().enumerate() {
        assert_eq!(row[1].as_deref(), Some(NUMBERS[n % 3]), "{:?}", row[0]);
    }

    // Up again on those plaintext rows: sealed in place, masked, readable.
    Migrator::up(&test.db, None).await.unwrap();
    assert_eq!(
        phone_columns(&test).await,
        [
            "phone_cipher",
            "phone_index",
            "phone_key_id",
            "phone_number"
        ]
    );
    let rows = stored(&test).await;
    assert_eq!(rows.len(), count as usize);
    for (n, [number, masked, cipher, key_id, index]) in rows.into_iter().enumerate() {
        let phone = NUMBERS[n % 3];
        assert_eq!(masked.as_deref(), Some(&*format!("{}****", &phone[..4])));
        assert!(cipher.is_some() && key_id.is_some(), "{number:?}");
        assert_eq!(index, Some(keyring().phone_index(phone)));
    }
    for n in [0, 1, 519] {
        let read = repo
            .find(&order(n, "o-migrated", NUMBERS[0]).number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.msisdn.as_str(), NUMBERS[n as usize % 3]);
    }
    let by_phone = OrderFilter {
        msisdn: Some(Msisdn::parse(NUMBERS[1]).unwrap()),
        ..OrderFilter::default()
    };
    let found = repo
        .list_all(&by_phone, PageRequest { page: 1, limit: 1 })
        .await
        .unwrap();
    // n % 3 == 1 for n in 0..520.
    assert_eq!(found.total, 173);
}

#[tokio::test]
async fn the_old_backends_rows_are_encrypted_when_taken_over() {
    let test = TestDb::empty().await;
    if test.backend() != DbBackend::MySql {
        return; // only MySQL databases are taken over
    }
    for statement in crate::adopt_prisma::PRISMA_SCHEMA
        .iter()
        .chain(crate::adopt_prisma::OLD_ROWS)
    {
        test.db.execute_unprepared(statement).await.unwrap();
    }
    elife_persistence::migrate_up(&test.db).await.unwrap();
    let rows = stored(&test).await;
    assert_eq!(rows.len(), 6);
    for [number, masked, cipher, key_id, index] in &rows {
        assert_eq!(masked.as_deref(), Some("8811****"), "{number:?}");
        assert!(cipher.is_some() && key_id.is_some(), "{number:?}");
        assert_eq!(index.as_deref(), Some(&*keyring().phone_index("88112233")));
    }
    let repo = SeaOrmOrderRepository::new(test.db.clone(), keyring());
    let owner = OpenId::parse("o-old").unwrap();
    let by_phone = OrderFilter {
        msisdn: Some(Msisdn::parse("88112233").unwrap()),
        ..OrderFilter::default()
    };
    let page = PageRequest { page: 1, limit: 50 };
    let found = repo.list_for_user(&owner, &by_phone, page).await.unwrap();
    assert_eq!(found.total, 6);
    assert!(found.items.iter().all(|o| o.msisdn.as_str() == "88112233"));

    Migrator::down(&test.db, Some(steps_down_to_before_encryption()))
        .await
        .unwrap();
    let restored = raw_rows(&test, "SELECT order_number, phone_number FROM orders", 2).await;
    assert!(
        restored
            .iter()
            .all(|row| row[1].as_deref() == Some("88112233"))
    );
}
