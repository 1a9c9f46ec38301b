//! The trade context on SeaORM: mall orders, after-sales and the trade outbox.
