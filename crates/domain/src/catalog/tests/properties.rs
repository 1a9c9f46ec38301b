//! Random histories of stock movements — adjustments, reservations, releases, payments,
//! restocks, repeats of each — through the in-memory ledger, against a small model of what
//! each should do. Whatever happens: every outcome is the model's, `available` never goes
//! negative and always equals the sum of its ledger, each order is settled at most once,
//! and a product's sales are the units its orders paid for.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use crate::catalog::memory::MemoryCatalog;
use crate::catalog::{
    MovementKind, ProductRepository, SkuId, StockLedger, StockLine, StockOutcome, StockRefusal,
};
use crate::testing::t0;

use super::{assert_invariant, r, stocked};

const SKUS: usize = 3;
const ORDERS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Inbound(usize, usize, i64),
    Reserve(usize, Vec<(usize, i64)>),
    Release(usize),
    Deduct(usize),
    Restock(usize, usize, usize, i64),
}

fn op() -> impl Strategy<Value = Op> {
    let delta = prop_oneof![-8i64..=-1, 1i64..=15];
    prop_oneof![
        2 => (0..3usize, 0..SKUS, delta).prop_map(|(n, s, d)| Op::Inbound(n, s, d)),
        4 => (0..ORDERS, proptest::collection::vec((0..SKUS, 1i64..4), 1..4))
            .prop_map(|(o, lines)| Op::Reserve(o, lines)),
        2 => (0..ORDERS).prop_map(Op::Release),
        3 => (0..ORDERS).prop_map(Op::Deduct),
        2 => (0..3usize, 0..ORDERS, 0..SKUS, 1i64..3)
            .prop_map(|(n, o, s, q)| Op::Restock(n, o, s, q)),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Reserved,
    Released,
    Deducted,
}

#[derive(Debug, Default)]
struct Model {
    available: [i64; SKUS],
    /// Order → (normalised lines by SKU index, state).
    orders: BTreeMap<usize, (BTreeMap<usize, i64>, State)>,
    /// (reference, SKU) → delta.
    inbound: BTreeMap<(usize, usize), i64>,
    /// (after-sale, order) → (SKU, quantity).
    restocks: BTreeMap<(usize, usize), (usize, i64)>,
    sold: i64,
}

#[derive(Debug, PartialEq)]
enum Expect {
    Applied,
    Repeated,
    Refused(StockRefusal),
}

impl Model {
    fn run(&mut self, op: &Op, skus: &[SkuId]) -> Expect {
        match op {
            Op::Inbound(n, s, delta) => {
                if let Some(earlier) = self.inbound.get(&(*n, *s)) {
                    return if earlier == delta {
                        Expect::Repeated
                    } else {
                        Expect::Refused(StockRefusal::DifferentLines)
                    };
                }
                if self.available[*s] + delta < 0 {
                    return self.short(skus, *s, -delta);
                }
                self.available[*s] += delta;
                self.inbound.insert((*n, *s), *delta);
                Expect::Applied
            }
            Op::Reserve(o, raw) => {
                let mut lines = BTreeMap::new();
                for (s, q) in raw {
                    *lines.entry(*s).or_insert(0) += q;
                }
                if let Some((earlier, state)) = self.orders.get(o) {
                    return match (state, *earlier == lines) {
                        (State::Released, _) => Expect::Refused(StockRefusal::Released),
                        (_, true) => Expect::Repeated,
                        (_, false) => Expect::Refused(StockRefusal::DifferentLines),
                    };
                }
                if let Some((s, q)) = lines.iter().find(|(s, q)| self.available[**s] < **q) {
                    return self.short(skus, *s, *q);
                }
                for (s, q) in &lines {
                    self.available[*s] -= q;
                }
                self.orders.insert(*o, (lines, State::Reserved));
                Expect::Applied
            }
            Op::Release(o) | Op::Deduct(o) => {
                let releasing = matches!(op, Op::Release(_));
                let Some((lines, state)) = self.orders.get_mut(o) else {
                    return Expect::Refused(StockRefusal::NotReserved);
                };
                match (*state, releasing) {
                    (State::Released, true) | (State::Deducted, false) => Expect::Repeated,
                    (State::Deducted, true) => Expect::Refused(StockRefusal::Deducted),
                    (State::Released, false) => Expect::Refused(StockRefusal::Released),
                    (State::Reserved, true) => {
                        for (s, q) in lines.iter() {
                            self.available[*s] += q;
                        }
                        *state = State::Released;
                        Expect::Applied
                    }
                    (State::Reserved, false) => {
                        self.sold += lines.values().sum::<i64>();
                        *state = State::Deducted;
                        Expect::Applied
                    }
                }
            }
            Op::Restock(n, o, s, q) => {
                if let Some(earlier) = self.restocks.get(&(*n, *o)) {
                    return if *earlier == (*s, *q) {
                        Expect::Repeated
                    } else {
                        Expect::Refused(StockRefusal::DifferentLines)
                    };
                }
                let Some((lines, state)) = self.orders.get(o) else {
                    return Expect::Refused(StockRefusal::NotReserved);
                };
                let sold = if *state == State::Deducted {
                    lines.get(s).copied().unwrap_or(0)
                } else {
                    0
                };
                let restocked: i64 = self
                    .restocks
                    .iter()
                    .filter(|((_, order), (sku, _))| order == o && sku == s)
                    .map(|(_, (_, quantity))| quantity)
                    .sum();
                if restocked + q > sold {
                    return Expect::Refused(StockRefusal::ExceedsSold {
                        sku: skus[*s],
                        sold,
                        restocked,
                        wanted: *q,
                    });
                }
                self.available[*s] += q;
                self.restocks.insert((*n, *o), (*s, *q));
                Expect::Applied
            }
        }
    }

    fn short(&self, skus: &[SkuId], s: usize, wanted: i64) -> Expect {
        Expect::Refused(StockRefusal::Insufficient {
            sku: skus[s],
            available: self.available[s],
            wanted,
        })
    }
}

async fn apply(catalog: &MemoryCatalog, op: &Op, skus: &[SkuId]) -> StockOutcome {
    let order = |o: &usize| r(&format!("o-{o}"));
    let result = match op {
        Op::Inbound(n, s, delta) => {
            let reference = r(&format!("adj-{n}"));
            catalog
                .inbound(&reference, skus[*s], *delta, "count", t0())
                .await
        }
        Op::Reserve(o, raw) => {
            let lines: Vec<StockLine> = raw
                .iter()
                .map(|(s, q)| StockLine::new(skus[*s], *q))
                .collect();
            let lines = crate::catalog::stock_plan::normalize_lines(&lines).unwrap();
            catalog.reserve(&order(o), &lines, t0()).await
        }
        Op::Release(o) => catalog.release(&order(o), t0()).await,
        Op::Deduct(o) => catalog.deduct(&order(o), t0()).await,
        Op::Restock(n, o, s, q) => {
            let after_sale = r(&format!("as-{o}-{n}"));
            let lines = [StockLine::new(skus[*s], *q)];
            catalog.restock(&after_sale, &order(o), &lines, t0()).await
        }
    };
    result.expect("memory storage does not fail")
}

fn expected(outcome: &StockOutcome) -> Expect {
    match outcome {
        StockOutcome::Applied(_) => Expect::Applied,
        StockOutcome::Repeated(_) => Expect::Repeated,
        StockOutcome::Refused(refusal) => Expect::Refused(refusal.clone()),
    }
}

proptest! {
    #![proptest_config(Config {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    })]

    #[test]
    fn every_history_keeps_stock_equal_to_its_ledger(
        opening in proptest::collection::vec(0i64..8, SKUS),
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let catalog = MemoryCatalog::new();
            let skus = stocked(&catalog, &opening).await;
            let mut model = Model::default();
            model.available.copy_from_slice(&opening);
            for op in &ops {
                let outcome = apply(&catalog, op, &skus).await;
                assert_eq!(expected(&outcome), model.run(op, &skus), "{op:?}");
                for (s, sku) in skus.iter().enumerate() {
                    assert_eq!(catalog.available(*sku), Some(model.available[s]));
                }
                assert_invariant(&catalog).await;
            }
            for o in 0..ORDERS {
                let movements = catalog.order_movements(&r(&format!("o-{o}"))).await.unwrap();
                let settles = movements.iter().filter(|m| m.kind.settles()).count();
                let reserves = movements.iter().filter(|m| m.kind == MovementKind::Reserve).count();
                assert!(settles == 0 || settles == reserves, "settled once, in full");
            }
            let product = catalog.find_sku(skus[0]).await.unwrap().unwrap().product;
            let sales = catalog.find(product).await.unwrap().unwrap().sales;
            assert_eq!(sales, model.sold);
        });
    }
}
