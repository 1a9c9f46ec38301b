//! Cart: a shopper's cart items, bounded; checkout prices them through trade::pricing.
