//! Cart: a shopper's cart items, bounded; checkout prices them through trade::pricing.

pub mod model;
pub mod service;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

#[cfg(any(test, feature = "mocks"))]
pub use model::MockCartRepository;
pub use model::{CartAdd, CartItem, CartLimits, CartRepository, MAX_LINE_QUANTITY, MAX_LINES};
pub use service::CartService;
