//! Product reviews: only the buyer of a completed order item may review it, once (a unique
//! key on (order, line) decides a race); the merchant replies once (compare-and-set on "no
//! reply yet"); per-product statistics in integer hundredths. Shoppers read reviews through
//! [`ReviewView`], which never carries an openid and masks an anonymous reviewer.

mod model;
mod ports;
mod service;
mod stats;
mod view;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
mod tests;

pub use model::{
    MAX_IMAGE_URL, MAX_IMAGES, MAX_NAME, MAX_REPLY, MAX_TEXT, NewReview, Rating, Reply, Review,
    ReviewError, ReviewId, ReviewInput,
};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockReviewRepository;
pub use ports::{ReviewFilter, ReviewRepository};
pub use service::ReviewService;
pub use stats::{ReviewCounts, ReviewStats};
pub use view::{ANONYMOUS_NAME, ReviewView};
