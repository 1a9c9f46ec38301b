//! Trade: the mall's orders (placed from a price quote, paid through the payments core,
//! shipped, received) and their after-sales, item by item.

pub mod after_sales;
pub mod checkout;
pub mod delivery;
pub mod freight_templates;
pub mod orders;
pub mod outbox;
pub mod pricing;
pub mod statistics;
