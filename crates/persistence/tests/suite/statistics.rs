use chrono::{NaiveDate, TimeDelta};
use elife_domain::msisdn::Operator;
use elife_domain::order::{AnomalyKind, RechargeKind, TopUpResult};
use elife_domain::ports::{
    OrderRepository, StatisticsQuery, StatisticsRepository, UserRepository, WechatIdentity,
};
use elife_domain::testing::t0;
use elife_persistence::{
    SeaOrmOrderRepository, SeaOrmStatisticsRepository, SeaOrmUserRepository, china_day_start,
};

use crate::common::{TestDb, order_at, won};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn the_dashboard_figures_add_up() {
    let test = TestDb::new().await;
    let orders = SeaOrmOrderRepository::new(test.db.clone(), crate::common::keyring());
    let users = SeaOrmUserRepository::new(test.db.clone());
    let stats = SeaOrmStatisticsRepository::new(test.db.clone());
    for (openid, appid) in [("o-a", "app-1"), ("o-b", "app-2")] {
        users
            .upsert(
                &WechatIdentity {
                    openid: elife_domain::order::OpenId::parse(openid).unwrap(),
                    unionid: None,
                    appid: Some(appid.to_owned()),
                },
                t0(),
            )
            .await
            .unwrap();
    }
    // t0 is 2025-10-18 10:00 UTC = 18:00 in China; +6h crosses into the 19th there.
    let at = |minutes: i64| t0() + TimeDelta::minutes(minutes);
    // 1: unpaid. 2: paid at t0, recharged 90 s later. 3: paid at t0+6h, pending.
    // 4: paid, recharged after 30 s, data. 5 (o-b): paid, unknown outcome (anomaly).
    orders.insert(&order_at(1, "o-a", 0)).await.unwrap();
    let o2 = order_at(2, "o-a", 0);
    orders.insert(&o2).await.unwrap();
    let o2 = won(&orders, o2.mark_paid("T2", at(0), "paid")).await;
    let o2 = won(&orders, o2.claim_recharge(at(1))).await;
    won(
        &orders,
        o2.record_top_up(
            &TopUpResult::Succeeded {
                seq: None,
                receipt: None,
            },
            at(0) + TimeDelta::seconds(90),
        ),
    )
    .await;
    let o3 = order_at(3, "o-a", 360);
    orders.insert(&o3).await.unwrap();
    won(&orders, o3.mark_paid("T3", at(360), "paid")).await;
    let mut o4 = order_at(4, "o-a", 0);
    o4.product.kind = RechargeKind::Data;
    o4.price_fen = elife_domain::money::Fen::new(1042);
    o4.product.price = elife_domain::money::Mnt::new(5000);
    orders.insert(&o4).await.unwrap();
    let o4 = won(&orders, o4.mark_paid("T4", at(0), "paid")).await;
    let o4 = won(&orders, o4.claim_recharge(at(0))).await;
    won(
        &orders,
        o4.record_top_up(
            &TopUpResult::Succeeded {
                seq: None,
                receipt: None,
            },
            at(0) + TimeDelta::seconds(30),
        ),
    )
    .await;
    let mut o5 = order_at(5, "o-b", 0);
    o5.product.operator = Operator::Mobicom;
    orders.insert(&o5).await.unwrap();
    let o5 = won(&orders, o5.mark_paid("T5", at(0), "paid")).await;
    let o5 = won(&orders, o5.claim_recharge(at(0))).await;
    won(
        &orders,
        o5.record_top_up(
            &TopUpResult::Unknown {
                reason: "reset".to_owned(),
            },
            at(0),
        ),
    )
    .await;

    let all = stats
        .order_statistics(&StatisticsQuery::default())
        .await
        .unwrap();
    assert_eq!(all.total_orders, 5);
    assert_eq!(
        all.by_payment_status,
        vec![("paid".to_owned(), 4), ("unpaid".to_owned(), 1)]
    );
    assert_eq!(
        all.by_recharge_status,
        vec![
            ("none".to_owned(), 1),
            ("pending".to_owned(), 1),
            ("success".to_owned(), 2),
            ("unknown".to_owned(), 1)
        ]
    );
    assert_eq!(
        all.by_operator,
        vec![("Mobicom".to_owned(), 1), ("Unitel".to_owned(), 4)]
    );
    assert_eq!(
        all.by_recharge_kind,
        vec![("data".to_owned(), 1), ("voice".to_owned(), 4)]
    );
    assert_eq!(all.revenue_fen, 625 * 3 + 1042);
    assert_eq!(all.revenue_mnt, 3000 * 3 + 5000);
    assert_eq!(
        all.revenue_by_day,
        vec![
            (day(2025, 10, 18), 625 * 2 + 1042),
            (day(2025, 10, 19), 625)
        ]
    );
    assert_eq!(
        all.anomalies_by_day,
        vec![(
            day(2025, 10, 18),
            AnomalyKind::RechargeOutcomeUnknown.as_str().to_owned(),
            1
        )]
    );
    assert_eq!(all.recharge_delay_max_secs, Some(90));
    assert_eq!(all.recharge_delay_min_secs, Some(30));
    assert_eq!(all.recharge_delay_avg_secs, Some(60));
    assert_eq!(all.pending_backlog, 1);
    assert_eq!(all.oldest_pending_paid_at, Some(at(360)));
    assert_eq!(all.total_users, 2);

    let app_b = stats
        .order_statistics(&StatisticsQuery {
            appid: Some("app-2".to_owned()),
            ..StatisticsQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(app_b.total_orders, 1);
    assert_eq!(app_b.total_users, 1);
    assert_eq!(app_b.revenue_fen, 625);

    let nineteenth = stats
        .order_statistics(&StatisticsQuery {
            from: Some(china_day_start(day(2025, 10, 19))),
            before: Some(china_day_start(day(2025, 10, 20))),
            appid: None,
        })
        .await
        .unwrap();
    assert_eq!(nineteenth.total_orders, 1);
    assert_eq!(nineteenth.revenue_fen, 625);
    assert_eq!(nineteenth.recharge_delay_avg_secs, None);
    assert_eq!(nineteenth.total_users, 0);
}

#[tokio::test]
async fn an_empty_database_has_zero_figures() {
    let test = TestDb::new().await;
    let stats = SeaOrmStatisticsRepository::new(test.db.clone());
    let figures = stats
        .order_statistics(&StatisticsQuery::default())
        .await
        .unwrap();
    assert_eq!(figures, elife_domain::ports::OrderStatistics::default());
}
