//! Taking over the old backend's production MySQL database: its tables as its Prisma
//! migrations left them, rows in every state it wrote, then our migrations.

use chrono::TimeDelta;
use elife_domain::order::{AnomalyKind, OpenId, OrderNumber, PaymentStatus, RechargeStatus};
use elife_domain::ports::{
    ExchangeRateRepository, OrderFilter, OrderRepository, PageRequest, UserRepository,
    WechatIdentity, WorkQueue,
};
use elife_domain::testing::{t0, unpaid_order};
use elife_persistence::{
    DbBackend, SeaOrmExchangeRateRepository, SeaOrmOrderRepository, SeaOrmUserRepository,
};
use rust_decimal_macros::dec;
use sea_orm::ConnectionTrait;

use crate::common::TestDb;

/// The production schema: `prisma/schema.prisma` of the old backend after its six
/// migrations (2025-10-09 .. 2025-10-18), as MySQL DDL.
pub(crate) const PRISMA_SCHEMA: &[&str] = &[
    "CREATE TABLE `_prisma_migrations` (`id` VARCHAR(36) NOT NULL PRIMARY KEY, \
        `migration_name` VARCHAR(255) NOT NULL)",
    "CREATE TABLE `users` (
        `openid` VARCHAR(50) NOT NULL,
        `unionid` VARCHAR(50) NULL,
        `appid` VARCHAR(50) NULL,
        `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        `updated_at` DATETIME(3) NOT NULL,
        UNIQUE INDEX `users_unionid_key`(`unionid`),
        INDEX `users_created_at_idx`(`created_at`),
        PRIMARY KEY (`openid`)
    ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    "CREATE TABLE `orders` (
        `order_number` VARCHAR(32) NOT NULL,
        `openid` VARCHAR(50) NOT NULL,
        `phone_number` VARCHAR(20) NOT NULL,
        `product_operator` VARCHAR(50) NOT NULL,
        `product_recharge_type` VARCHAR(50) NOT NULL,
        `product_name` VARCHAR(100) NOT NULL,
        `product_code` VARCHAR(50) NOT NULL,
        `product_price_tg` DECIMAL(10, 2) NOT NULL,
        `product_price_rmb` DECIMAL(10, 2) NOT NULL,
        `product_unit` INT NULL,
        `product_data` TEXT NULL,
        `product_days` INTEGER NULL,
        `payment_status` VARCHAR(20) NOT NULL DEFAULT 'unpaid',
        `recharge_status` VARCHAR(20) NULL,
        `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        `paid_at` DATETIME(3) NULL,
        `recharge_at` DATETIME(3) NULL,
        `product_eng_name` VARCHAR(100) NULL,
        `seq_id` VARCHAR(100) NULL,
        `anomaly_details` TEXT NULL,
        `anomaly_reason` VARCHAR(100) NULL,
        `version` INTEGER NOT NULL DEFAULT 0,
        INDEX `orders_openid_idx`(`openid`),
        INDEX `orders_created_at_idx`(`created_at`),
        INDEX `orders_phone_number_idx`(`phone_number`),
        INDEX `orders_product_operator_product_recharge_type_idx`(`product_operator`, `product_recharge_type`),
        INDEX `orders_payment_status_recharge_status_paid_at_idx`(`payment_status`, `recharge_status`, `paid_at`),
        INDEX `orders_recharge_status_recharge_at_seq_id_idx`(`recharge_status`, `recharge_at`, `seq_id`),
        INDEX `orders_payment_status_recharge_status_recharge_at_idx`(`payment_status`, `recharge_status`, `recharge_at`),
        INDEX `orders_anomaly_reason_idx`(`anomaly_reason`),
        PRIMARY KEY (`order_number`)
    ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
    "ALTER TABLE `orders` ADD CONSTRAINT `orders_openid_fkey` FOREIGN KEY (`openid`) \
        REFERENCES `users`(`openid`) ON DELETE RESTRICT ON UPDATE CASCADE",
    "CREATE TABLE `exchange_rates` (
        `id` INTEGER NOT NULL AUTO_INCREMENT,
        `currency` VARCHAR(20) NOT NULL,
        `rate` DECIMAL(10, 4) NOT NULL,
        `is_active` BOOLEAN NOT NULL DEFAULT true,
        `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        `updated_at` DATETIME(3) NOT NULL,
        UNIQUE INDEX `exchange_rates_currency_key`(`currency`),
        INDEX `exchange_rates_is_active_idx`(`is_active`),
        PRIMARY KEY (`id`)
    ) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
];

/// Rows as the old backend wrote them.
pub(crate) const OLD_ROWS: &[&str] = &[
    "INSERT INTO `users` VALUES ('o-old', NULL, 'wx-app', '2025-10-10 08:00:00.123', '2025-10-10 08:00:00.123')",
    "INSERT INTO `exchange_rates` (`currency`, `rate`, `is_active`, `updated_at`) \
        VALUES ('MNT_TO_CNY', 470.5000, true, '2025-10-12 00:00:00.000')",
    // The first week's 24-character number, no English name, unpaid.
    "INSERT INTO `orders` (`order_number`, `openid`, `phone_number`, `product_operator`, \
        `product_recharge_type`, `product_name`, `product_code`, `product_price_tg`, \
        `product_price_rmb`, `product_unit`, `product_days`, `created_at`) \
        VALUES ('ORD1760054386127abcdefgh', 'o-old', '88112233', 'Unitel', 'voice', \
        '3000 нэгж', 'SD3000', 3000.00, 6.38, 3000, 30, '2025-10-10 08:01:00.456')",
    // A postpaid bill with cents, topped up.
    "INSERT INTO `orders` (`order_number`, `openid`, `phone_number`, `product_operator`, \
        `product_recharge_type`, `product_name`, `product_code`, `product_price_tg`, \
        `product_price_rmb`, `product_data`, `payment_status`, `recharge_status`, `seq_id`, \
        `created_at`, `paid_at`, `recharge_at`, `version`) \
        VALUES ('ORD1760754386127postpaid-001', 'o-old', '88112233', 'Unitel', 'postpaid', \
        'Bill Payment', '2025-10-01', 74220.40, 157.75, '0', 'paid', 'success', 'S-1', \
        '2025-10-18 01:00:00.000', '2025-10-18 01:01:00.000', '2025-10-18 01:01:01.000', 2)",
    // Paid, never claimed: never sent.
    "INSERT INTO `orders` (`order_number`, `openid`, `phone_number`, `product_operator`, \
        `product_recharge_type`, `product_name`, `product_code`, `product_price_tg`, \
        `product_price_rmb`, `payment_status`, `recharge_status`, `created_at`, `paid_at`) \
        VALUES ('ORD1760754386128unclaimed001', 'o-old', '88112233', 'Unitel', 'voice', \
        'x', 'SD3000', 3000, 6.38, 'paid', 'pending', '2025-10-18 02:00:00', '2025-10-18 02:01:00')",
    // Paid, accepted by Unitel with a seq: awaiting confirmation.
    "INSERT INTO `orders` (`order_number`, `openid`, `phone_number`, `product_operator`, \
        `product_recharge_type`, `product_name`, `product_code`, `product_price_tg`, \
        `product_price_rmb`, `payment_status`, `recharge_status`, `seq_id`, `created_at`, \
        `paid_at`, `recharge_at`) \
        VALUES ('ORD1760754386129withseq00001', 'o-old', '88112233', 'Unitel', 'voice', \
        'x', 'SD3000', 3000, 6.38, 'paid', 'pending', 'S-2', '2025-10-18 02:00:00', \
        '2025-10-18 02:01:00', '2025-10-18 02:01:01')",
    // Paid, claimed, no seq: the top-up may have been sent.
    "INSERT INTO `orders` (`order_number`, `openid`, `phone_number`, `product_operator`, \
        `product_recharge_type`, `product_name`, `product_code`, `product_price_tg`, \
        `product_price_rmb`, `payment_status`, `recharge_status`, `created_at`, `paid_at`, \
        `recharge_at`) \
        VALUES ('ORD1760754386130claimed00001', 'o-old', '88112233', 'Unitel', 'voice', \
        'x', 'SD3000', 3000, 6.38, 'paid', 'pending', '2025-10-18 02:00:00', \
        '2025-10-18 02:01:00', '2025-10-18 02:01:01')",
    // The old `timeout`.
    "INSERT INTO `orders` (`order_number`, `openid`, `phone_number`, `product_operator`, \
        `product_recharge_type`, `product_name`, `product_code`, `product_price_tg`, \
        `product_price_rmb`, `payment_status`, `recharge_status`, `created_at`, `paid_at`, \
        `recharge_at`) \
        VALUES ('ORD1760754386131timeout00001', 'o-old', '88112233', 'Unitel', 'voice', \
        'x', 'SD3000', 3000, 6.38, 'paid', 'timeout', '2025-10-18 02:00:00', \
        '2025-10-18 02:01:00', '2025-10-18 02:01:01')",
];

fn number(raw: &str) -> OrderNumber {
    OrderNumber::parse(raw).unwrap()
}

#[tokio::test]
async fn the_old_backends_database_is_taken_over_with_every_row() {
    let test = TestDb::empty().await;
    if test.backend() != DbBackend::MySql {
        return; // production ran MySQL; the other backends are covered below
    }
    for statement in PRISMA_SCHEMA.iter().chain(OLD_ROWS) {
        test.db.execute_unprepared(statement).await.unwrap();
    }
    elife_persistence::migrate_up(&test.db)
        .await
        .expect("the old schema is adopted");

    let orders = SeaOrmOrderRepository::new(test.db.clone(), crate::common::keyring());
    let owner = OpenId::parse("o-old").unwrap();
    let all = orders
        .list_for_user(
            &owner,
            &OrderFilter::default(),
            PageRequest { page: 1, limit: 50 },
        )
        .await
        .expect("every old row reads");
    assert_eq!(all.total, 6);

    let first = orders
        .find(&number("ORD1760054386127abcdefgh"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.product.eng_name, "");
    assert_eq!(first.product.price.value(), 3000);
    assert_eq!(first.price_fen.value(), 638);
    assert_eq!(first.product.unit, Some(3000));
    assert_eq!(first.payment_status, PaymentStatus::Unpaid);
    // The old rows did not keep their rate: they get the one in force.
    assert_eq!(first.exchange_rate.value(), dec!(470.5));

    let postpaid = orders
        .find(&number("ORD1760754386127postpaid-001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(postpaid.product.price.value(), 74220);
    assert_eq!(postpaid.price_fen.value(), 15775);
    assert_eq!(postpaid.recharge_status, RechargeStatus::Success);
    assert_eq!(postpaid.version, 2);

    let status = |raw: &'static str| {
        let orders = orders.clone();
        async move { orders.find(&number(raw)).await.unwrap().unwrap() }
    };
    assert_eq!(
        status("ORD1760754386128unclaimed001").await.recharge_status,
        RechargeStatus::Pending
    );
    let with_seq = status("ORD1760754386129withseq00001").await;
    assert_eq!(with_seq.recharge_status, RechargeStatus::Confirming);
    assert_eq!(with_seq.seq_id.as_deref(), Some("S-2"));
    for maybe_sent in [
        "ORD1760754386130claimed00001",
        "ORD1760754386131timeout00001",
    ] {
        let order = status(maybe_sent).await;
        assert_eq!(
            order.recharge_status,
            RechargeStatus::Unknown,
            "{maybe_sent}"
        );
        assert_eq!(
            order.anomaly.map(|a| a.kind),
            Some(AnomalyKind::RechargeOutcomeUnknown)
        );
    }

    // Only the never-claimed order is dispatched: nothing the old backend may have sent is
    // sent again.
    let later = t0() + TimeDelta::days(3650);
    let dispatch = orders
        .find_work(WorkQueue::PaidUnclaimed, later, None, 50)
        .await
        .unwrap();
    let numbers: Vec<&str> = dispatch.iter().map(|o| o.number.as_str()).collect();
    assert_eq!(numbers, ["ORD1760754386128unclaimed001"]);

    // The rate in place is kept, not replaced by the seed.
    let rates = SeaOrmExchangeRateRepository::new(test.db.clone());
    let rate = rates.active("MNT_TO_CNY").await.unwrap().unwrap();
    assert_eq!(rate.rate.value(), dec!(470.5));

    // Known users are found and new orders are stored next to the old ones.
    let users = SeaOrmUserRepository::new(test.db.clone());
    let identity = WechatIdentity {
        openid: OpenId::parse("o-test-openid").unwrap(),
        unionid: None,
        appid: None,
    };
    users.upsert(&identity, t0()).await.unwrap();
    let old_user = WechatIdentity {
        openid: owner.clone(),
        unionid: Some("u-old".to_owned()),
        appid: None,
    };
    let found = users.upsert(&old_user, t0()).await.unwrap();
    assert_eq!(found.appid.as_deref(), Some("wx-app"));
    let fresh = unpaid_order();
    orders.insert(&fresh).await.unwrap();
    assert_eq!(orders.find(&fresh.number).await.unwrap(), Some(fresh));
}

#[tokio::test]
async fn an_unknown_orders_table_elsewhere_is_refused_with_a_reason() {
    let test = TestDb::empty().await;
    if test.backend() == DbBackend::MySql {
        return;
    }
    test.db
        .execute_unprepared("CREATE TABLE orders (order_number VARCHAR(32) PRIMARY KEY)")
        .await
        .unwrap();
    let error = elife_persistence::migrate_up(&test.db)
        .await
        .expect_err("an existing orders table is only adopted on MySQL");
    assert!(
        error.to_string().contains("only supported"),
        "unexpected error: {error}"
    );
}
