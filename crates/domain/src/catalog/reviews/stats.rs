//! Per-product statistics, derived from counts that storage aggregates (`GROUP BY rating`
//! over the product's reviews), so they can never drift from the reviews themselves.

use serde::{Deserialize, Serialize};

/// What storage counts for one product.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCounts {
    /// `per_star[i]`: reviews of `i + 1` stars.
    pub per_star: [u64; 5],
    /// Reviews showing at least one image.
    pub with_images: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewStats {
    pub count: u64,
    /// The mean rating in hundredths of a star, rounded half up (`466` is 4.66 stars); 0
    /// without reviews.
    pub average_hundredths: u64,
    pub per_star: [u64; 5],
    pub with_images: u64,
    /// Share of 4- and 5-star reviews in whole percent, rounded half up (好评率).
    pub positive_percent: u64,
}

/// `numerator / denominator` rounded half up, in integers; 0 when `denominator` is 0.
fn rounded(numerator: u128, denominator: u128) -> u64 {
    if denominator == 0 {
        return 0;
    }
    u64::try_from((numerator * 2 + denominator) / (denominator * 2)).unwrap_or(u64::MAX)
}

impl ReviewStats {
    pub fn from_counts(counts: ReviewCounts) -> ReviewStats {
        let count: u64 = counts.per_star.iter().sum();
        let stars: u128 = counts
            .per_star
            .iter()
            .zip(1u128..)
            .map(|(n, stars)| u128::from(*n) * stars)
            .sum();
        let positive = u128::from(counts.per_star[3]) + u128::from(counts.per_star[4]);
        ReviewStats {
            count,
            average_hundredths: rounded(stars * 100, u128::from(count)),
            per_star: counts.per_star,
            with_images: counts.with_images,
            positive_percent: rounded(positive * 100, u128::from(count)),
        }
    }
}
