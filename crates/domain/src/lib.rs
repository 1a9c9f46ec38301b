//! elife's domain: money, subscriber numbers, the order aggregate with its payment and
//! recharge state machines, the ports to the outside world, and the use cases.
//!
//! Pure: no I/O and no framework. Adapters implement [`ports`].

pub mod accounts;
pub mod cart;
pub mod catalog;
pub mod money;
pub mod msisdn;
pub mod order;
pub mod payments;
pub mod points;
pub mod ports;
pub mod privacy;
pub mod services;
pub mod shoppers;
pub mod trade;

#[cfg(any(test, feature = "mocks"))]
pub mod testing;
