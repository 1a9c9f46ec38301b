//! The review use cases: a buyer reviews an item of their completed order once; the
//! merchant replies once; shoppers list a product's reviews and its statistics.

use std::sync::Arc;

use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{CasOutcome, Clock, Page, PageRequest, RepositoryError};
use crate::services::ServiceError;
use crate::trade::orders::{MallOrderRepository, MallOrderStatus, buyer_number, owned_by};

use super::model::{NewReview, Reply, Review, ReviewError, ReviewId, ReviewInput};
use super::ports::{ReviewFilter, ReviewRepository};
use super::stats::ReviewStats;
use super::view::ReviewView;

pub struct ReviewService {
    reviews: Arc<dyn ReviewRepository>,
    orders: Arc<dyn MallOrderRepository>,
    clock: Arc<dyn Clock>,
}

fn invalid(error: ReviewError) -> ServiceError {
    match error {
        ReviewError::Invalid(message) => ServiceError::Validation(message),
    }
}

fn views(page: Page<Review>) -> Page<ReviewView> {
    Page {
        items: page.items.iter().map(ReviewView::from).collect(),
        total: page.total,
        page: page.page,
        limit: page.limit,
    }
}

impl ReviewService {
    pub fn new(
        reviews: Arc<dyn ReviewRepository>,
        orders: Arc<dyn MallOrderRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ReviewService {
            reviews,
            orders,
            clock,
        }
    }

    /// Reviews line `line` of the buyer's order `order_no`. Someone else's order, or a line
    /// it does not have, reads as not found; an order not completed yet is a conflict; a
    /// second review of the same item is a conflict (also when two arrive at once).
    pub async fn review(
        &self,
        user: &OpenId,
        order_no: &str,
        line: u32,
        input: ReviewInput,
    ) -> Result<Review, ServiceError> {
        let number = buyer_number(order_no)?;
        let order = owned_by(
            self.orders.find_for_buyer(&number, user).await?,
            user,
            &format!("order {number}"),
        )?;
        let item = order
            .item(line)
            .ok_or_else(|| ServiceError::NotFound(format!("order {number} has no line {line}")))?;
        match order.status {
            MallOrderStatus::Completed => {}
            MallOrderStatus::Unpaid
            | MallOrderStatus::Paid
            | MallOrderStatus::Shipped
            | MallOrderStatus::Cancelled => {
                return Err(ServiceError::Conflict(format!(
                    "order {number} is {}: only a completed order can be reviewed",
                    order.status.label_zh()
                )));
            }
        }
        let review = NewReview::write(number.clone(), item, user.clone(), input, self.clock.now())
            .map_err(invalid)?;
        match self.reviews.insert(&review).await {
            Ok(stored) => Ok(stored),
            Err(RepositoryError::Duplicate(_)) => Err(ServiceError::Conflict(format!(
                "line {line} of order {number} is reviewed already"
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// The merchant's reply, once: a second reply (or one racing the first) is a conflict.
    pub async fn reply(&self, id: ReviewId, text: &str) -> Result<Review, ServiceError> {
        let reply = Reply::new(text, self.clock.now()).map_err(invalid)?;
        let mut review = self.review_by_id(id).await?;
        if review.reply.is_some() {
            return Err(ServiceError::Conflict(format!(
                "review {id} has a reply already"
            )));
        }
        match self.reviews.reply(id, &reply).await? {
            CasOutcome::Won => {
                review.reply = Some(reply);
                Ok(review)
            }
            CasOutcome::Lost => Err(ServiceError::Conflict(format!(
                "review {id} has a reply already"
            ))),
        }
    }

    /// One review as staff see it.
    pub async fn review_by_id(&self, id: ReviewId) -> Result<Review, ServiceError> {
        self.reviews
            .find(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("review {id} not found")))
    }

    /// A product's reviews as shoppers read them, newest first.
    pub async fn product_reviews(
        &self,
        product: ProductId,
        filter: ReviewFilter,
        page: PageRequest,
    ) -> Result<Page<ReviewView>, ServiceError> {
        Ok(views(
            self.reviews.for_product(product, filter, page).await?,
        ))
    }

    pub async fn stats(&self, product: ProductId) -> Result<ReviewStats, ServiceError> {
        Ok(ReviewStats::from_counts(
            self.reviews.counts(product).await?,
        ))
    }

    /// Every review, newest first, for the merchant.
    pub async fn merchant_reviews(&self, page: PageRequest) -> Result<Page<Review>, ServiceError> {
        Ok(self.reviews.all(page).await?)
    }

    /// The buyer's own reviews, newest first.
    pub async fn my_reviews(
        &self,
        user: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Review>, ServiceError> {
        Ok(self.reviews.for_buyer(user, page).await?)
    }
}
