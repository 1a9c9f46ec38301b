//! The catalog context on each database: the stock ledger's guarded `available` under
//! concurrency (oversell, lock order, once-only movements, one settlement per order).

mod products;
mod stock;
