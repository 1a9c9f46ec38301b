//! Checkout: the quote a shopper sees, and placing the order from it.
