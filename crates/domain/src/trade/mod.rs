//! Trade: the mall's orders (placed from a price quote, paid through the payments core,
//! shipped, received) and their after-sales, item by item.

pub mod after_sales;
pub mod orders;
pub mod pricing;
