//! A review as any shopper reads it: never the reviewer's openid, and for an anonymous
//! review not their name either.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::model::{Reply, Review, ReviewId};

/// What an anonymous reviewer, or one without a display name, is shown as.
pub const ANONYMOUS_NAME: &str = "匿名用户";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewView {
    pub id: ReviewId,
    pub product_id: i64,
    pub sku_id: i64,
    /// The display name, masked to its first character (`张**`) for an anonymous review.
    pub reviewer: String,
    pub anonymous: bool,
    pub rating: u8,
    pub text: String,
    pub images: Vec<String>,
    pub spec: String,
    pub reply: Option<Reply>,
    pub created_at: DateTime<Utc>,
}

fn shown_name(review: &Review) -> String {
    let name = review.reviewer_name.trim();
    let mut chars = name.chars();
    match (review.anonymous, chars.next()) {
        (_, None) => ANONYMOUS_NAME.to_owned(),
        (false, Some(_)) => name.to_owned(),
        (true, Some(first)) => format!("{first}**"),
    }
}

impl From<&Review> for ReviewView {
    fn from(review: &Review) -> Self {
        ReviewView {
            id: review.id,
            product_id: review.product_id.value(),
            sku_id: review.sku_id.value(),
            reviewer: shown_name(review),
            anonymous: review.anonymous,
            rating: review.rating.stars(),
            text: review.text.clone(),
            images: review.images.clone(),
            spec: review.spec.clone(),
            reply: review.reply.clone(),
            created_at: review.created_at,
        }
    }
}
