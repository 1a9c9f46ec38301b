//! A review as written by a buyer about one line of a completed order, and the merchant's
//! reply to it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::{ProductId, SkuId};
use crate::order::{OpenId, OrderNumber};
use crate::trade::orders::MallOrderItem;

/// Characters of a review's text.
pub const MAX_TEXT: usize = 500;
/// Images a review may show.
pub const MAX_IMAGES: usize = 9;
/// Characters of one image URL.
pub const MAX_IMAGE_URL: usize = 512;
/// Characters of the merchant's reply.
pub const MAX_REPLY: usize = 500;
/// Characters of the reviewer's display name snapshot.
pub const MAX_NAME: usize = 32;

/// Assigned by storage when the review is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReviewId(pub i64);

impl ReviewId {
    pub const fn value(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ReviewId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// 1 to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Rating(u8);

impl Rating {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn new(stars: u8) -> Result<Rating, ReviewError> {
        if (Self::MIN..=Self::MAX).contains(&stars) {
            Ok(Rating(stars))
        } else {
            Err(ReviewError::Invalid(format!(
                "a rating is {} to {} stars, got {stars}",
                Self::MIN,
                Self::MAX
            )))
        }
    }

    pub const fn stars(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Rating {
    type Error = ReviewError;
    fn try_from(stars: u8) -> Result<Self, Self::Error> {
        Rating::new(stars)
    }
}

impl From<Rating> for u8 {
    fn from(rating: Rating) -> Self {
        rating.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("{0}")]
    Invalid(String),
}

/// The merchant's answer, given once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub at: DateTime<Utc>,
}

impl Reply {
    pub fn new(text: &str, at: DateTime<Utc>) -> Result<Reply, ReviewError> {
        Ok(Reply {
            text: checked_text("reply", text, MAX_REPLY, true)?,
            at,
        })
    }
}

/// What the buyer submits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReviewInput {
    pub rating: u8,
    pub text: String,
    pub images: Vec<String>,
    pub anonymous: bool,
    /// The buyer's display name now (from their profile), kept with the review; empty when
    /// they have none.
    pub reviewer_name: String,
}

/// A checked review about to be stored (its id comes from storage).
#[derive(Clone, PartialEq, Eq)]
pub struct NewReview {
    pub product_id: ProductId,
    pub sku_id: SkuId,
    pub order_no: OrderNumber,
    pub line: u32,
    pub buyer: OpenId,
    pub reviewer_name: String,
    pub rating: Rating,
    pub text: String,
    pub images: Vec<String>,
    pub anonymous: bool,
    /// The SKU's attributes as sold, from the order line.
    pub spec: String,
    pub created_at: DateTime<Utc>,
}

/// The buyer's openid is masked by its own `Debug`; the name is withheld.
impl fmt::Debug for NewReview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewReview")
            .field("product_id", &self.product_id)
            .field("order_no", &self.order_no)
            .field("line", &self.line)
            .field("buyer", &self.buyer)
            .field("rating", &self.rating)
            .field("images", &self.images.len())
            .field("anonymous", &self.anonymous)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    pub product_id: ProductId,
    pub sku_id: SkuId,
    pub order_no: OrderNumber,
    pub line: u32,
    pub buyer: OpenId,
    pub reviewer_name: String,
    pub rating: Rating,
    pub text: String,
    pub images: Vec<String>,
    pub anonymous: bool,
    pub spec: String,
    pub reply: Option<Reply>,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for Review {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Review")
            .field("id", &self.id)
            .field("product_id", &self.product_id)
            .field("order_no", &self.order_no)
            .field("line", &self.line)
            .field("buyer", &self.buyer)
            .field("rating", &self.rating)
            .field("images", &self.images.len())
            .field("anonymous", &self.anonymous)
            .field("replied", &self.reply.is_some())
            .finish_non_exhaustive()
    }
}

impl Review {
    /// The stored review of `new` under `id`, without a reply.
    pub fn stored(id: ReviewId, new: NewReview) -> Review {
        Review {
            id,
            product_id: new.product_id,
            sku_id: new.sku_id,
            order_no: new.order_no,
            line: new.line,
            buyer: new.buyer,
            reviewer_name: new.reviewer_name,
            rating: new.rating,
            text: new.text,
            images: new.images,
            anonymous: new.anonymous,
            spec: new.spec,
            reply: None,
            created_at: new.created_at,
        }
    }
}

fn checked_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, ReviewError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(ReviewError::Invalid(format!("{field} is required")));
    }
    if value.chars().count() > max {
        return Err(ReviewError::Invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(value.to_owned())
}

/// An `https://host/...` URL without spaces or control characters, at most
/// [`MAX_IMAGE_URL`] characters: images are shown to every shopper, so nothing else passes.
fn checked_image(raw: &str) -> Result<String, ReviewError> {
    let url = raw.trim();
    let host = url.strip_prefix("https://").unwrap_or_default();
    let host_end = host.find(['/', '?', '#']).unwrap_or(host.len());
    let valid = !host[..host_end].is_empty()
        && url.chars().count() <= MAX_IMAGE_URL
        && url.chars().all(|c| !c.is_whitespace() && !c.is_control());
    if valid {
        Ok(url.to_owned())
    } else {
        Err(ReviewError::Invalid(format!(
            "an image must be an https URL of at most {MAX_IMAGE_URL} characters, got {:?}",
            url.chars().take(80).collect::<String>()
        )))
    }
}

impl NewReview {
    /// Checks the buyer's input about `item` of order `order_no`.
    pub fn write(
        order_no: OrderNumber,
        item: &MallOrderItem,
        buyer: OpenId,
        input: ReviewInput,
        now: DateTime<Utc>,
    ) -> Result<NewReview, ReviewError> {
        let rating = Rating::new(input.rating)?;
        if input.images.len() > MAX_IMAGES {
            return Err(ReviewError::Invalid(format!(
                "a review shows at most {MAX_IMAGES} images"
            )));
        }
        let images = input
            .images
            .iter()
            .map(|url| checked_image(url))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewReview {
            product_id: ProductId(item.product_id),
            sku_id: SkuId(item.sku_id),
            order_no,
            line: item.line,
            buyer,
            reviewer_name: checked_text("reviewer name", &input.reviewer_name, MAX_NAME, false)?,
            rating,
            text: checked_text("review text", &input.text, MAX_TEXT, false)?,
            images,
            anonymous: input.anonymous,
            spec: item.spec.clone(),
            created_at: now,
        })
    }
}
