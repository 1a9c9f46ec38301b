//! Random histories of a few top-up orders through the real payments core and the real
//! top-up services: payments at WeChat, true, forged and signed notifications, expiry,
//! abandoned orders, refunds in part, WeChat and storage outages, deliveries repeated as
//! after a crash, the relay job, the reconciliation, and the top-ups themselves.
//!
//! Whatever happens: no order is topped up twice; money WeChat holds for an order is
//! never forgotten (after the jobs run, a standing payment is recorded on a pay order
//! that is not closed, and a late one is given back); refunds never exceed the payment;
//! the top-up order follows its pay order.

use chrono::Duration;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use crate::money::Fen;
use crate::order::{OrderNumber, PaymentStatus};
use crate::payments::{PayChannel, PayStatus, RefundCommand};

use super::world::{World, notice as world_notice};

const ORDERS: u32 = 3;

#[derive(Debug, Clone)]
enum Op {
    StartPayment(u32),
    PayAtWechat(u32),
    /// A Cloud Hosting callback claiming what WeChat holds (or a forgery when it holds
    /// nothing).
    Callback(u32),
    Forged(u32),
    /// A signed notification of what WeChat holds.
    Signed(u32),
    Advance(i64),
    Expire,
    Refund(u32, u8),
    RefundSync,
    /// Every message is marked undelivered, as if the process died before recording the
    /// deliveries; the relay then delivers them all again.
    Redeliver,
    Relay,
    TopUps,
    Reconcile,
    WechatDown(bool),
    StorageFails(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let order = 1..=ORDERS;
    prop_oneof![
        3 => order.clone().prop_map(Op::StartPayment),
        3 => order.clone().prop_map(Op::PayAtWechat),
        3 => order.clone().prop_map(Op::Callback),
        1 => order.clone().prop_map(Op::Forged),
        2 => order.clone().prop_map(Op::Signed),
        2 => (1i64..40).prop_map(Op::Advance),
        2 => Just(Op::Expire),
        2 => (order, 1u8..=100).prop_map(|(o, pct)| Op::Refund(o, pct)),
        1 => Just(Op::RefundSync),
        1 => Just(Op::Redeliver),
        1 => Just(Op::Relay),
        2 => Just(Op::TopUps),
        1 => Just(Op::Reconcile),
        1 => any::<bool>().prop_map(Op::WechatDown),
        1 => (1usize..3).prop_map(Op::StorageFails),
    ]
}

fn number(n: u32) -> OrderNumber {
    crate::testing::order_number(n)
}

async fn run(world: &World, op: &Op) {
    match op {
        Op::StartPayment(n) => {
            let order = world.orders.get(&number(*n));
            let _ = world.start_payment(&order).await;
        }
        Op::PayAtWechat(n) => {
            let number = number(*n);
            let created = world
                .wechat
                .payments
                .lock()
                .unwrap()
                .contains_key(number.as_str());
            if created {
                let price = world.orders.get(&number).price_fen;
                world.wechat.pay(&number, price, &format!("4200{n}"));
            }
        }
        Op::Callback(n) => {
            let number = number(*n);
            let claim = world
                .held(&number)
                .map_or_else(|| (format!("forged{n}"), Fen::new(625)), |(t, a, _)| (t, a));
            let _ = world
                .payments
                .handle_notification(&world_notice(&number, &claim.0, claim.1))
                .await;
        }
        Op::Forged(n) => {
            let _ = world
                .payments
                .handle_notification(&world_notice(&number(*n), "forged", Fen::new(1)))
                .await;
        }
        Op::Signed(n) => {
            let number = number(*n);
            if let Some((transaction, amount, _)) = world.held(&number) {
                let _ = world
                    .payments
                    .handle_signed_notification(&world_notice(&number, &transaction, amount))
                    .await;
            }
        }
        Op::Advance(minutes) => world.clock.advance(Duration::minutes(*minutes)),
        Op::Expire => {
            let _ = world.payments.expire_unpaid(None, 50).await;
            let _ = world.top_ups.close_abandoned(None, 50).await;
        }
        Op::Refund(n, pct) => {
            let number = number(*n);
            let amount = Fen::new(625 * i64::from(*pct) / 100).max(Fen::new(1));
            let _ = world
                .refunds
                .refund(RefundCommand {
                    out_trade_no: number,
                    amount: Some(amount),
                    reason: "test".to_owned(),
                    audit: None,
                })
                .await;
        }
        Op::RefundSync => {
            let _ = world.refunds.sync_refunds(Duration::zero(), None, 50).await;
        }
        Op::Redeliver => {
            for row in world.store.state().outbox.iter_mut() {
                row.delivered_at = None;
            }
        }
        Op::Relay => {
            world.clock.advance(Duration::minutes(1));
            let _ = world.relay.deliver_pending(50).await;
        }
        Op::TopUps => world.run_top_ups().await,
        Op::Reconcile => {
            let _ = world
                .payments
                .reconcile(crate::testing::t0().date_naive())
                .await;
        }
        Op::WechatDown(down) => world.wechat.set_down(*down),
        Op::StorageFails(writes) => world.store.fail_next_writes(*writes),
    }
}

/// What must hold after every step.
fn check_always(world: &World) -> Result<(), TestCaseError> {
    for n in 1..=ORDERS {
        let number = number(n);
        prop_assert!(world.top_ups_of(&number) <= 1, "order {n} topped up twice");
        let price = world.orders.get(&number).price_fen.value();
        prop_assert!(
            world.wechat.refunded(&number) <= price,
            "refunded more than paid"
        );
        if let Some(pay) = world
            .store
            .state()
            .pay_orders
            .iter()
            .find(|p| p.out_trade_no == number)
        {
            prop_assert!(pay.refunded.value() + pay.refunding.value() <= pay.amount.value());
            if pay.status.money_received() {
                let wechat = world.held(&number).map(|(t, _, _)| t);
                prop_assert_eq!(
                    pay.transaction_id.clone(),
                    wechat,
                    "recorded another payment"
                );
            }
        }
    }
    Ok(())
}

/// After the outages end and every job has run: nothing WeChat holds is forgotten.
async fn settle(world: &World) -> Result<(), TestCaseError> {
    world.wechat.set_down(false);
    world.store.fail_next_writes(0);
    for _ in 0..3 {
        world.clock.advance(Duration::hours(1));
        let _ = world.payments.expire_unpaid(None, 50).await;
        let _ = world.top_ups.close_abandoned(None, 50).await;
        let _ = world
            .payments
            .reconcile(crate::testing::t0().date_naive())
            .await;
        let _ = world.refunds.sync_refunds(Duration::zero(), None, 50).await;
        let _ = world.relay.deliver_pending(50).await;
        world.run_top_ups().await;
    }
    for n in 1..=ORDERS {
        let number = number(n);
        let top_up = world.orders.get(&number);
        let pay = world
            .store
            .state()
            .pay_orders
            .iter()
            .find(|p| p.out_trade_no == number)
            .cloned();
        match world.held(&number) {
            Some((transaction, _, _)) => {
                let pay = pay.expect("money held without a pay order");
                prop_assert!(pay.status.money_received(), "paid money forgotten: {pay:?}");
                prop_assert_eq!(pay.transaction_id.as_deref(), Some(transaction.as_str()));
                if pay.late_payment {
                    prop_assert_eq!(
                        pay.status,
                        PayStatus::Refunded,
                        "a late payment is given back"
                    );
                    prop_assert_eq!(world.wechat.refunded(&number), pay.amount.value());
                    prop_assert_eq!(world.top_ups_of(&number), 0);
                } else {
                    prop_assert!(
                        top_up.payment_status.money_received(),
                        "top-up not told: {top_up:?}"
                    );
                }
            }
            None => {
                prop_assert_eq!(world.top_ups_of(&number), 0, "topped up without payment");
                if let Some(pay) = pay {
                    prop_assert!(!pay.status.money_received());
                }
            }
        }
        // The top-up order follows its pay order.
        if let Some(pay) = world
            .store
            .state()
            .pay_orders
            .iter()
            .find(|p| p.out_trade_no == number)
        {
            let expected = match pay.status {
                PayStatus::Unpaid => PaymentStatus::Unpaid,
                PayStatus::Closed => PaymentStatus::Closed,
                PayStatus::Paid => PaymentStatus::Paid,
                PayStatus::Refunding => PaymentStatus::Refunding,
                PayStatus::Refunded if pay.late_payment => PaymentStatus::Closed,
                PayStatus::Refunded if pay.refunded == pay.amount => PaymentStatus::Refunded,
                PayStatus::Refunded => PaymentStatus::Paid,
                PayStatus::RefundFailed => PaymentStatus::RefundFailed,
            };
            // A partial refund leaves the top-up refunded (its goods are given back as a
            // whole); a refund that follows one made in part is the only other gap.
            let partial = pay.refunded.value() > 0 && pay.refunded != pay.amount;
            if !partial {
                prop_assert_eq!(top_up.payment_status, expected, "pay order {:?}", pay);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        cases: 300,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    #[test]
    fn whatever_happens_money_is_never_lost_nor_delivered_twice(
        channel in prop_oneof![Just(PayChannel::Cloud), Just(PayChannel::V3)],
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let world = World::new(channel);
            for n in 1..=ORDERS {
                world.place(n);
            }
            for op in &ops {
                run(&world, op).await;
                check_always(&world)?;
            }
            settle(&world).await
        })?;
    }
}
