//! The trade outbox: events written with an order or after-sale change, delivered after commit.
