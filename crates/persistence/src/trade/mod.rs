//! The trade context on SeaORM: mall orders, after-sales and the trade outbox. Every change
//! is one conditional UPDATE on (key, status, version) decided by rows affected, committed
//! with its outbox rows.

mod after_sales;
mod entities;
mod json;
mod order_rows;
mod orders;
mod outbox;

pub use after_sales::SeaOrmAfterSaleRepository;
pub use orders::SeaOrmMallOrderRepository;
pub use outbox::SeaOrmTradeOutbox;
