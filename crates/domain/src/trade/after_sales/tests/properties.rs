//! Random histories of after-sales on one shipped order — applications of both kinds and
//! any amount, approvals, rejections, withdrawals, returns, refunds the payments core
//! answers at random (refunded, failed, in flight, unknown, refused), and its later
//! reports. Whatever happens: an item's committed and refunded amounts never exceed its
//! pay price, the money that left equals what is recorded refunded, an item has at most
//! one open after-sale and the order at most one refund in flight.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use crate::money::Fen;
use crate::payments::RefundOutcome;
use crate::trade::after_sales::{
    AfterSale, AfterSaleKey, AfterSaleKind, AfterSaleStatus, Application, ItemLedger,
};
use crate::trade::orders::MallOrder;
use crate::trade::orders::tests::support::{Answer, Trade, buyer};

#[derive(Debug, Clone)]
enum Op {
    Apply {
        line: u32,
        kind: AfterSaleKind,
        amount: i64,
        quantity: u32,
    },
    Approve(usize),
    Reject(usize),
    Cancel(usize),
    ShipBack(usize),
    Receive(usize),
    StartRefund(usize, Answer),
    Report(usize, bool),
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        3 => Just(Answer::Ok(RefundOutcome::Refunded)),
        1 => Just(Answer::Ok(RefundOutcome::Failed("REJECTED".to_owned()))),
        2 => Just(Answer::Ok(RefundOutcome::InProgress)),
        1 => Just(Answer::Unavailable("timeout".to_owned())),
        1 => Just(Answer::Validation("refused".to_owned())),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let kind = prop_oneof![
        Just(AfterSaleKind::RefundOnly),
        Just(AfterSaleKind::ReturnAndRefund)
    ];
    // Whole and half pay prices often, so that items reach their cap.
    let amount = prop_oneof![-10i64..2_000, Just(500), Just(900), Just(1_800)];
    let pick = 0usize..6;
    prop_oneof![
        3 => (1u32..=2, kind, amount, 0u32..=3).prop_map(|(line, kind, amount, quantity)| {
            Op::Apply { line, kind, amount, quantity }
        }),
        4 => pick.clone().prop_map(Op::Approve),
        1 => pick.clone().prop_map(Op::Reject),
        1 => pick.clone().prop_map(Op::Cancel),
        2 => pick.clone().prop_map(Op::ShipBack),
        2 => pick.clone().prop_map(Op::Receive),
        4 => (pick.clone(), answer()).prop_map(|(i, a)| Op::StartRefund(i, a)),
        2 => (pick, any::<bool>()).prop_map(|(i, ok)| Op::Report(i, ok)),
    ]
}

/// Money that left the merchant account per line, as the payments core would know it.
#[derive(Default)]
struct Model {
    keys: Vec<AfterSaleKey>,
    money_out: [i64; 3],
}

async fn run(trade: &Trade, order: &MallOrder, model: &mut Model, op: &Op) {
    let service = &trade.after_sale_service;
    let key = |i: &usize| model.keys.get(*i % model.keys.len().max(1)).cloned();
    match op {
        Op::Apply {
            line,
            kind,
            amount,
            quantity,
        } => {
            let application = Application {
                line: *line,
                kind: *kind,
                reason: "随机".to_owned(),
                amount: Fen::new(*amount),
                quantity: *quantity,
            };
            if let Ok(after_sale) = service
                .apply(&buyer(), order.order_no.as_str(), &application)
                .await
            {
                model.keys.push(after_sale.key);
            }
        }
        Op::Approve(i) => {
            if let Some(k) = key(i) {
                let _ = service.approve(&k).await;
            }
        }
        Op::Reject(i) => {
            if let Some(k) = key(i) {
                let _ = service.reject(&k, "不符合").await;
            }
        }
        Op::Cancel(i) => {
            if let Some(k) = key(i) {
                let _ = service.cancel(&buyer(), &k.to_string()).await;
            }
        }
        Op::ShipBack(i) => {
            if let Some(k) = key(i) {
                let _ = service
                    .ship_back(&buyer(), &k.to_string(), "顺丰", "SF")
                    .await;
            }
        }
        Op::Receive(i) => {
            if let Some(k) = key(i) {
                let _ = service.receive(&k).await;
            }
        }
        Op::StartRefund(i, answer) => {
            if let Some(k) = key(i) {
                trade.payments.answer_refund(answer.clone());
                let asked = trade.payments.refunds().len();
                let result = service.start_refund(&k, None).await;
                let sent = trade.payments.refunds();
                if sent.len() > asked && sent[asked].1 == Answer::Ok(RefundOutcome::Refunded) {
                    let line = k.line as usize;
                    model.money_out[line] += sent[asked].0.amount.map_or(0, Fen::value);
                    assert_eq!(
                        result.map(|a| a.status).ok(),
                        Some(AfterSaleStatus::Refunded)
                    );
                } else {
                    // Not sent (refused by the state machine): the unused answer is dropped.
                    trade.payments.refund_answers.lock().unwrap().clear();
                }
            }
        }
        Op::Report(i, succeeded) => {
            if let Some(k) = key(i) {
                let Some(stored) = trade.after_sales.state().after_sales.get(&k).cloned() else {
                    return;
                };
                let settled = service
                    .settle_refund(
                        order.order_no.as_str(),
                        &stored.pay_order,
                        stored.amount,
                        *succeeded,
                    )
                    .await
                    .unwrap();
                if let Some(after_sale) = settled
                    && after_sale.status == AfterSaleStatus::Refunded
                {
                    model.money_out[after_sale.key.line as usize] += after_sale.amount.value();
                }
            }
        }
    }
}

fn check(trade: &Trade, order: &MallOrder, model: &Model) -> Result<(), TestCaseError> {
    let all: Vec<AfterSale> = trade
        .after_sales
        .state()
        .after_sales
        .values()
        .cloned()
        .collect();
    let refunding = all
        .iter()
        .filter(|a| a.status == AfterSaleStatus::Refunding)
        .count();
    prop_assert!(refunding <= 1, "{refunding} refunds in flight");
    for item in &order.items {
        let ledger = ItemLedger::of(item.line, &all);
        prop_assert!(
            ledger.committed <= item.pay_price,
            "line {}: {ledger:?}",
            item.line
        );
        prop_assert!(ledger.refunded <= ledger.committed);
        prop_assert!(ledger.returned <= item.quantity);
        let open = all
            .iter()
            .filter(|a| a.key.line == item.line && a.status.is_open())
            .count();
        prop_assert!(open <= 1, "line {}: {open} open", item.line);
        let out = model.money_out[item.line as usize];
        prop_assert_eq!(out, ledger.refunded.value(), "line {}", item.line);
        prop_assert!(out <= item.pay_price.value());
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    #[test]
    fn refunds_never_exceed_what_was_paid_for_an_item(ops in proptest::collection::vec(op(), 1..80)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let trade = Trade::new();
            let order = trade.shipped(1).await;
            let mut model = Model::default();
            for op in &ops {
                run(&trade, &order, &mut model, op).await;
                check(&trade, &order, &model)?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}
