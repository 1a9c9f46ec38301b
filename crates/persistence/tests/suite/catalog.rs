//! The catalog context on each database: the category tree's compare-and-set, the stock ledger's guarded `available` under
//! concurrency (oversell, lock order, once-only movements, one settlement per order).

mod categories;
mod products;
mod stock;
