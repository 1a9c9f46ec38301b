//! Races on the in-memory ledger, on real threads: the oversell race, opposite-order
//! multi-SKU reservations (the sorted-lock rule), concurrent repeats, and a cancel racing
//! a payment. A watchdog turns a deadlock into a failure instead of a hung test.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use crate::catalog::memory::MemoryCatalog;
use crate::catalog::{MovementKind, SkuId, StockLedger, StockLine, StockOutcome, StockRefusal};

use super::{assert_invariant, r, service, stocked};

/// Runs `test` on a 4-worker runtime of its own thread; fails if it is not done in time.
fn within(seconds: u64, test: impl FnOnce(&tokio::runtime::Runtime) + Send + 'static) {
    let (done, finished) = channel();
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .expect("a runtime");
        test(&runtime);
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(seconds)) {
        Ok(()) => worker.join().expect("the test thread"),
        Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("no answer in {seconds}s: a deadlock"),
    }
}

fn line(sku: SkuId, quantity: i64) -> StockLine {
    StockLine::new(sku, quantity)
}

#[test]
fn two_thousand_buyers_of_a_hundred_units_make_exactly_a_hundred_reservations() {
    within(60, |runtime| {
        runtime.block_on(async {
            let catalog = MemoryCatalog::new();
            let sku = stocked(&catalog, &[100]).await[0];
            let (stock, _) = service(&catalog);
            let stock = Arc::new(stock);
            let racing = Arc::new(AtomicBool::new(true));
            let watcher = {
                let (catalog, racing) = (catalog.clone(), Arc::clone(&racing));
                tokio::spawn(async move {
                    let mut looks = 0u64;
                    while racing.load(Ordering::Relaxed) {
                        let available = catalog.available(sku).unwrap_or(-1);
                        assert!((0..=100).contains(&available), "available {available}");
                        looks += 1;
                        tokio::task::yield_now().await;
                    }
                    looks
                })
            };
            let buyers: Vec<_> = (0..2_000)
                .map(|n| {
                    let stock = Arc::clone(&stock);
                    tokio::spawn(async move {
                        stock.reserve(&r(&format!("o-{n}")), &[line(sku, 1)]).await
                    })
                })
                .collect();
            let (mut won, mut sold_out) = (0, 0);
            for buyer in buyers {
                match buyer.await.unwrap().unwrap() {
                    StockOutcome::Applied(_) => won += 1,
                    StockOutcome::Refused(StockRefusal::Insufficient { available: 0, .. }) => {
                        sold_out += 1
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            racing.store(false, Ordering::Relaxed);
            assert!(watcher.await.unwrap() > 0);
            assert_eq!((won, sold_out), (100, 1_900));
            assert_eq!(catalog.available(sku), Some(0));
            let mut afters: Vec<i64> = catalog
                .movements(sku)
                .await
                .unwrap()
                .iter()
                .filter(|m| m.kind == MovementKind::Reserve)
                .map(|m| m.available_after)
                .collect();
            afters.sort();
            assert_eq!(afters, (0..100).collect::<Vec<i64>>(), "each unit once");
            assert_invariant(&catalog).await;
        });
    });
}

#[test]
fn opposite_orders_on_two_skus_neither_deadlock_nor_half_apply() {
    within(60, |runtime| {
        runtime.block_on(async {
            let catalog = MemoryCatalog::new();
            let skus = stocked(&catalog, &[100, 60]).await;
            let (a, b) = (skus[0], skus[1]);
            let (stock, _) = service(&catalog);
            let stock = Arc::new(stock);
            let buyers: Vec<_> = (0..400)
                .map(|n| {
                    let stock = Arc::clone(&stock);
                    let lines = if n % 2 == 0 {
                        vec![line(a, 1), line(b, 1)]
                    } else {
                        vec![line(b, 1), line(a, 1)]
                    };
                    tokio::spawn(async move { stock.reserve(&r(&format!("o-{n}")), &lines).await })
                })
                .collect();
            let mut won = 0;
            for buyer in buyers {
                match buyer.await.unwrap().unwrap() {
                    StockOutcome::Applied(movements) => {
                        assert_eq!(movements.len(), 2, "both SKUs or neither");
                        won += 1;
                    }
                    StockOutcome::Refused(StockRefusal::Insufficient { sku, .. }) => {
                        assert_eq!(sku, b, "only B runs out")
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(won, 60);
            assert_eq!(
                (catalog.available(a), catalog.available(b)),
                (Some(40), Some(0))
            );
            let reserved_a = catalog.movements(a).await.unwrap();
            let reserves = reserved_a
                .iter()
                .filter(|m| m.kind == MovementKind::Reserve);
            assert_eq!(
                reserves.count(),
                60,
                "no movement of A from a refused request"
            );
            assert_invariant(&catalog).await;
        });
    });
}

#[test]
fn concurrent_repeats_of_one_order_reserve_once() {
    within(60, |runtime| {
        runtime.block_on(async {
            let catalog = MemoryCatalog::new();
            let skus = stocked(&catalog, &[10, 10]).await;
            let (stock, _) = service(&catalog);
            let stock = Arc::new(stock);
            let tries: Vec<_> = (0..50)
                .map(|_| {
                    let stock = Arc::clone(&stock);
                    let lines = vec![line(skus[1], 2), line(skus[0], 3)];
                    tokio::spawn(async move { stock.reserve(&r("same-order"), &lines).await })
                })
                .collect();
            let mut applied = 0;
            for attempt in tries {
                match attempt.await.unwrap().unwrap() {
                    StockOutcome::Applied(_) => applied += 1,
                    StockOutcome::Repeated(movements) => assert_eq!(movements.len(), 2),
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(applied, 1);
            assert_eq!(
                (catalog.available(skus[0]), catalog.available(skus[1])),
                (Some(7), Some(8))
            );
            assert_invariant(&catalog).await;
        });
    });
}

#[test]
fn a_cancel_racing_a_payment_settles_each_order_exactly_once() {
    within(60, |runtime| {
        runtime.block_on(async {
            let catalog = MemoryCatalog::new();
            let skus = stocked(&catalog, &[300, 300]).await;
            let (stock, _) = service(&catalog);
            let stock = Arc::new(stock);
            for n in 0..200 {
                let lines = [line(skus[n % 2], 1), line(skus[(n + 1) % 2], 2)];
                stock.reserve(&r(&format!("o-{n}")), &lines).await.unwrap();
            }
            let races: Vec<_> = (0..200)
                .map(|n| {
                    let (cancel, pay) = (Arc::clone(&stock), Arc::clone(&stock));
                    let order = r(&format!("o-{n}"));
                    let other = order.clone();
                    let cancel = tokio::spawn(async move { cancel.release(&order).await });
                    let pay = tokio::spawn(async move { pay.deduct(&other).await });
                    (cancel, pay)
                })
                .collect();
            let mut paid = 0;
            for (cancel, pay) in races {
                let cancel = cancel.await.unwrap().unwrap();
                let pay = pay.await.unwrap().unwrap();
                match (&cancel, &pay) {
                    (StockOutcome::Applied(_), StockOutcome::Refused(StockRefusal::Released)) => {}
                    (StockOutcome::Refused(StockRefusal::Deducted), StockOutcome::Applied(_)) => {
                        paid += 1
                    }
                    other => panic!("settled twice or not at all: {other:?}"),
                }
            }
            // Each order holds 3 units: 600 reserved, the cancelled ones' given back.
            let left = catalog.available(skus[0]).unwrap() + catalog.available(skus[1]).unwrap();
            assert_eq!(left, 600 - 3 * paid);
            for n in 0..200 {
                let order = r(&format!("o-{n}"));
                let movements = catalog.order_movements(&order).await.unwrap();
                let settled = movements.iter().filter(|m| m.kind.settles()).count();
                assert_eq!(settled, 2, "one settlement per SKU of {order}");
            }
            assert_invariant(&catalog).await;
        });
    });
}
