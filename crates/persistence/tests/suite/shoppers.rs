//! Shoppers and cart on each database.
