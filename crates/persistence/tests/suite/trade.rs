//! The trade context on each database: mall orders (phone sealed, buyer in the WHERE,
//! compare-and-set with outbox rows only when it wins, due queues, lists), after-sales
//! (unique key, one refunding per order under concurrency, queues), the trade outbox, and
//! the timeout cancel racing a payment through the real `MallOrderService`.

mod after_sales;
mod fixtures;
mod orders;
mod outbox;
mod race;
