//! Checkout: prices what the shopper is buying (the quote they see), then places the order
//! from it — the price computed again and refused if it changed, stock reserved for the
//! order (all lines or none), the order stored, its payment opened through the payments
//! core. Reads carts, addresses and freight templates through the small ports in
//! [`ports`], so trade never touches another context's tables.

mod lines;
mod ports;
mod service;
mod sources;

#[cfg(test)]
mod tests;

pub use lines::{CheckoutItems, CheckoutLine, PricedLine};
pub use ports::{CheckoutAddresses, CheckoutCart, FreightTemplateSource, ShippingAddress};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockCheckoutAddresses, MockCheckoutCart, MockFreightTemplateSource};
pub use service::{CheckoutQuote, CheckoutService, CheckoutSettings, PlacedOrder};
