use elife_persistence::{DbBackend, Migrator, MigratorTrait, PoolSettings, connect};
use sea_orm::Value;

use crate::common::TestDb;

async fn indexes(test: &TestDb, table: &str) -> Vec<String> {
    let (sql, values): (&str, Vec<Value>) = match test.backend() {
        DbBackend::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
            vec![table.into()],
        ),
        DbBackend::MySql => (
            "SELECT DISTINCT CAST(index_name AS CHAR) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = ?",
            vec![table.into()],
        ),
        _ => (
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1",
            vec![table.into()],
        ),
    };
    test.strings(sql, values).await
}

async fn tables(test: &TestDb) -> Vec<String> {
    let sql = match test.backend() {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        DbBackend::MySql => {
            "SELECT CAST(table_name AS CHAR) FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
        _ => "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
    };
    let mut names = test.strings(sql, vec![]).await;
    names.retain(|name| migration::TABLES.contains(&name.as_str()));
    names.sort();
    names
}

fn all_tables() -> Vec<String> {
    let mut names: Vec<String> = migration::TABLES.iter().map(|t| (*t).to_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_index_the_jobs_need_is_in_the_catalog() {
    let test = TestDb::new().await;
    for (table, index) in migration::INDEXES {
        let present = indexes(&test, table).await;
        assert!(
            present.iter().any(|name| name == index),
            "{index} missing on {table}: {present:?}"
        );
    }
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test = TestDb::empty().await;
    assert_eq!(
        Migrator::get_pending_migrations(&test.db)
            .await
            .unwrap()
            .len(),
        Migrator::migrations().len()
    );
    Migrator::up(&test.db, None).await.unwrap();
    assert_eq!(tables(&test).await, all_tables());
    assert!(
        Migrator::get_pending_migrations(&test.db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::status(&test.db).await.unwrap();

    // One step down removes only the last migration's tables, newest first: search;
    // reviews and delivery; shoppers and cart; trade; the catalog; points; the payments
    // core.
    let mut remaining = all_tables();
    for owned in [
        &["search_terms"][..],
        &["catalog_reviews", "trade_logistics_companies"][..],
        &["shopper_", "cart_items", "freight_templates"][..],
        &["mall_", "trade_outbox"][..],
        &["catalog_"][..],
        &["points_"][..],
        &["pay_"][..],
    ] {
        Migrator::down(&test.db, Some(1)).await.unwrap();
        remaining.retain(|table| !owned.iter().any(|prefix| table.starts_with(prefix)));
        assert_eq!(tables(&test).await, remaining, "after dropping {owned:?}");
    }
    Migrator::down(&test.db, None).await.unwrap();
    assert!(tables(&test).await.is_empty());
    assert_eq!(
        Migrator::get_pending_migrations(&test.db)
            .await
            .unwrap()
            .len(),
        Migrator::migrations().len()
    );

    Migrator::up(&test.db, None).await.unwrap();
    assert_eq!(tables(&test).await, all_tables());
    let rates = elife_persistence::SeaOrmExchangeRateRepository::new(test.db.clone());
    use elife_domain::ports::ExchangeRateRepository;
    assert!(rates.active("MNT_TO_CNY").await.unwrap().is_some());
    // Applying again is a no-op.
    Migrator::up(&test.db, None).await.unwrap();
}

#[tokio::test]
async fn money_and_rate_columns_are_exact_types() {
    let test = TestDb::new().await;
    let (sql, values): (&str, Vec<Value>) = match test.backend() {
        DbBackend::Sqlite => (
            "SELECT name || ':' || lower(type) FROM pragma_table_info(?)",
            vec!["orders".into()],
        ),
        DbBackend::MySql => (
            "SELECT CAST(CONCAT(column_name, ':', column_type) AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ?",
            vec!["orders".into()],
        ),
        _ => (
            "SELECT column_name || ':' || data_type || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '') \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
            vec!["orders".into()],
        ),
    };
    let columns = test.strings(sql, values).await;
    let type_of = |name: &str| {
        columns
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("{name} not in {columns:?}"))
            .to_owned()
    };
    for money in ["product_price_tg", "product_price_fen"] {
        let ty = type_of(money);
        assert!(
            ty.contains("bigint")
                || ty == "integer" && test.backend() == DbBackend::Sqlite
                || ty.starts_with("bigint"),
            "{money}: {ty}"
        );
        assert!(!ty.contains("real") && !ty.contains("double") && !ty.contains("float"));
    }
    let rate = type_of("exchange_rate");
    match test.backend() {
        DbBackend::Sqlite => assert_eq!(rate, "text"),
        DbBackend::MySql => assert_eq!(rate, "decimal(10,4)"),
        _ => assert_eq!(rate, "numeric(10,4)"),
    }
}

#[tokio::test]
async fn an_in_memory_sqlite_database_is_one_shared_database() {
    let db = connect("sqlite::memory:", &PoolSettings::default())
        .await
        .unwrap();
    elife_persistence::migrate_up(&db).await.unwrap();
    // Every query must see the migrated schema, whichever pooled connection runs it.
    let rates = elife_persistence::SeaOrmExchangeRateRepository::new(db.clone());
    use elife_domain::ports::ExchangeRateRepository;
    let reads = futures::future::join_all((0..20).map(|_| rates.active("MNT_TO_CNY"))).await;
    for read in reads {
        assert!(read.unwrap().is_some());
    }
}

#[tokio::test]
async fn an_unreachable_server_fails_after_the_configured_retries() {
    let settings = PoolSettings {
        max_retries: 2,
        retry_delay: std::time::Duration::from_millis(10),
        connect_timeout: std::time::Duration::from_secs(2),
        acquire_timeout: std::time::Duration::from_secs(2),
        ..PoolSettings::default()
    };
    // Port 9 (discard) is closed on CI machines.
    let error = connect("postgres://nobody@127.0.0.1:9/none", &settings)
        .await
        .expect_err("no server there");
    match error {
        elife_persistence::ConnectError::Unreachable { attempts, .. } => assert_eq!(attempts, 3),
        other => panic!("unexpected {other:?}"),
    }
}
