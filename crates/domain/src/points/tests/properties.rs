//! Random histories of points orders through the real shop and the real payments core:
//! purchases, payments at WeChat, signed notifications and their repeats, cancellations,
//! expiry, refunds in part, spending, WeChat and storage outages, deliveries repeated as
//! after a crash. Whatever happens: the balance never goes negative and always equals its
//! ledger; an order's points are credited at most once, and exactly once when its payment
//! stands; a closed order, or a payment given back after close, credits nothing.

use chrono::Duration;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::payments::PayChannel;
use crate::payments::tests::world::{World, notice};
use crate::points::{EntryKind, PackageDraft, PayMethod, PointsOrderStatus, Reference};

const ORDERS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Buy,
    PayAtWechat(usize),
    Signed(usize),
    Cancel(usize),
    Expire(i64),
    Refund(usize, u8),
    Spend(i64),
    Redeliver,
    WechatDown(bool),
    StorageFails(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let order = 0..ORDERS;
    prop_oneof![
        3 => Just(Op::Buy),
        3 => order.clone().prop_map(Op::PayAtWechat),
        3 => order.clone().prop_map(Op::Signed),
        1 => order.clone().prop_map(Op::Cancel),
        1 => (1i64..40).prop_map(Op::Expire),
        2 => (order, 1u8..=100).prop_map(|(o, pct)| Op::Refund(o, pct)),
        2 => (1i64..900).prop_map(Op::Spend),
        1 => Just(Op::Redeliver),
        1 => any::<bool>().prop_map(Op::WechatDown),
        1 => (1usize..3).prop_map(Op::StorageFails),
    ]
}

fn user() -> OpenId {
    OpenId::parse("o-prop").unwrap()
}

async fn run(world: &World, package: i64, orders: &mut Vec<OrderNumber>, op: &Op) {
    let pick = |n: &usize| orders.get(*n).cloned();
    match op {
        Op::Buy => {
            if orders.len() < ORDERS
                && let Ok((order, _)) = world
                    .shop
                    .buy(&user(), package, PayMethod::Jsapi, "127.0.0.1")
                    .await
            {
                orders.push(order.order_no);
            }
        }
        Op::PayAtWechat(n) => {
            if let Some(number) = pick(n) {
                world
                    .wechat
                    .pay(&number, Fen::new(1000), &format!("4200{number}"));
            }
        }
        Op::Signed(n) => {
            if let Some(number) = pick(n)
                && let Some((transaction, amount, _)) = world.held(&number)
            {
                let _ = world
                    .payments
                    .handle_signed_notification(&notice(&number, &transaction, amount))
                    .await;
            }
        }
        Op::Cancel(n) => {
            if let Some(number) = pick(n) {
                let _ = world.shop.cancel(&user(), number.as_str()).await;
            }
        }
        Op::Expire(minutes) => {
            world.clock.advance(Duration::minutes(*minutes));
            let _ = world.payments.expire_unpaid(None, 50).await;
        }
        Op::Refund(n, pct) => {
            if let Some(number) = pick(n) {
                let amount = Fen::new((1000 * i64::from(*pct) / 100).max(1));
                let _ = world
                    .shop
                    .refund(&number, Some(amount), "test", &world.admin())
                    .await;
            }
        }
        Op::Spend(points) => {
            let reference = Reference::new("mall_order", format!("M{}", world.clock_now_micros()));
            let _ = world
                .points
                .spend(&user(), reference, *points, "spend")
                .await;
        }
        Op::Redeliver => {
            for row in world.store.state().outbox.iter_mut() {
                row.delivered_at = None;
            }
            world.clock.advance(Duration::minutes(1));
            let _ = world.relay.deliver_pending(50).await;
        }
        Op::WechatDown(down) => world.wechat.set_down(*down),
        Op::StorageFails(writes) => world.store.fail_next_writes(*writes),
    }
}

fn check_always(world: &World) -> Result<(), TestCaseError> {
    let state = world.points_store.state();
    let sum: i64 = state.entries.iter().map(|entry| entry.delta).sum();
    let balance = state
        .accounts
        .values()
        .map(|account| account.balance)
        .sum::<i64>();
    prop_assert!(balance >= 0, "negative balance");
    prop_assert_eq!(balance, sum, "the balance is not its ledger");
    for kind in [EntryKind::PackagePurchase, EntryKind::Bonus] {
        let mut references: Vec<&Reference> = state
            .entries
            .iter()
            .filter(|entry| entry.kind == kind)
            .map(|entry| &entry.reference)
            .collect();
        let all = references.len();
        references.dedup();
        prop_assert_eq!(all, references.len(), "credited twice");
    }
    Ok(())
}

async fn settle(world: &World, orders: &[OrderNumber]) -> Result<(), TestCaseError> {
    world.wechat.set_down(false);
    world.store.fail_next_writes(0);
    for _ in 0..3 {
        world.clock.advance(Duration::hours(1));
        let _ = world.payments.expire_unpaid(None, 50).await;
        let _ = world
            .payments
            .reconcile(crate::testing::t0().date_naive())
            .await;
        let _ = world.refunds.sync_refunds(Duration::zero(), None, 50).await;
        let _ = world.relay.deliver_pending(50).await;
    }
    for number in orders {
        let order = world.shop.order(number).await.expect("the order");
        let pay = world
            .payments
            .find(number)
            .await
            .unwrap()
            .expect("a pay order");
        let credited = world.points_store.state().entries.iter().any(|entry| {
            entry.kind == EntryKind::PackagePurchase && entry.reference.biz_id == number.as_str()
        });
        if pay.late_payment || !pay.status.money_received() {
            prop_assert!(!credited, "credited without a standing payment: {pay:?}");
            prop_assert!(!order.status.money_received() || pay.late_payment);
        } else {
            prop_assert!(credited, "a paid order was not credited: {order:?}");
            prop_assert!(order.status.money_received());
        }
        if order.status == PointsOrderStatus::Closed {
            prop_assert!(!credited);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        cases: 200,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    #[test]
    fn points_are_credited_once_per_standing_payment_and_never_overdrawn(
        ops in proptest::collection::vec(op(), 1..50),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let world = World::new(PayChannel::V3);
            let package = world
                .points_admin
                .create(
                    PackageDraft {
                        name: "p".to_owned(),
                        description: String::new(),
                        amount: Fen::new(1000),
                        points: 1000,
                        bonus_points: 200,
                        active: true,
                        sort_order: 0,
                    },
                    &world.admin(),
                )
                .await
                .expect("a package")
                .id;
            let mut orders = Vec::new();
            for op in &ops {
                run(&world, package, &mut orders, op).await;
                check_always(&world)?;
            }
            settle(&world, &orders).await?;
            check_always(&world)
        })?;
    }
}
