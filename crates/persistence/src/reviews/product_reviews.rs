//! [`ReviewRepository`] on SeaORM. The unique key on (order_no, line) lets exactly one of
//! concurrent reviews of an item in; the reply is a conditional `UPDATE ... WHERE id = ?
//! AND reply_at IS NULL` decided by rows affected; statistics are one `GROUP BY rating`
//! over the product's rows (served by the (product_id, created_at) index), so there is no
//! second copy to keep in step and no hot row for every review of a popular product.

use async_trait::async_trait;
use elife_domain::catalog::reviews::{
    NewReview, Rating, Reply, Review, ReviewCounts, ReviewFilter, ReviewId, ReviewRepository,
};
use elife_domain::catalog::{ProductId, SkuId};
use elife_domain::order::{OpenId, OrderNumber};
use elife_domain::ports::{CasOutcome, Page, PageRequest, RepositoryError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Select,
};

use super::entities::reviews;
use crate::error::{corrupt, map_db_err};
use crate::paging::fetch_page;
use crate::time::{from_db, to_db};

#[derive(Clone)]
pub struct SeaOrmReviewRepository {
    db: DatabaseConnection,
}

impl SeaOrmReviewRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmReviewRepository { db }
    }

    async fn page(
        &self,
        query: Select<reviews::Entity>,
        page: PageRequest,
    ) -> Result<Page<Review>, RepositoryError> {
        fetch_page(
            &self.db,
            query,
            &[reviews::Column::CreatedAt, reviews::Column::Id],
            page,
            review_from_row,
        )
        .await
    }
}

fn review_from_row(row: reviews::Model) -> Result<Review, RepositoryError> {
    let id = row.id;
    let reply = match (row.reply_text, row.reply_at) {
        (Some(text), Some(at)) => Some(Reply {
            text,
            at: from_db(at),
        }),
        (None, None) => None,
        _ => return Err(corrupt("review reply half set", id)),
    };
    Ok(Review {
        id: ReviewId(id),
        product_id: ProductId(row.product_id),
        sku_id: SkuId(row.sku_id),
        order_no: OrderNumber::parse(&row.order_no)
            .map_err(|e| corrupt("review order number", e))?,
        line: u32::try_from(row.line).map_err(|_| corrupt("review line", row.line))?,
        buyer: OpenId::parse(&row.buyer).map_err(|_| corrupt("review buyer", id))?,
        reviewer_name: row.reviewer_name,
        rating: u8::try_from(row.rating)
            .ok()
            .and_then(|stars| Rating::new(stars).ok())
            .ok_or_else(|| corrupt("review rating", row.rating))?,
        text: row.content,
        images: serde_json::from_str(&row.images).map_err(|_| corrupt("review images", id))?,
        anonymous: row.anonymous,
        spec: row.spec,
        reply,
        created_at: from_db(row.created_at),
    })
}

#[async_trait]
impl ReviewRepository for SeaOrmReviewRepository {
    async fn insert(&self, review: &NewReview) -> Result<Review, RepositoryError> {
        let images = serde_json::to_string(&review.images)
            .map_err(|error| corrupt("review images", error))?;
        let row = reviews::ActiveModel {
            id: NotSet,
            product_id: Set(review.product_id.value()),
            sku_id: Set(review.sku_id.value()),
            order_no: Set(review.order_no.as_str().to_owned()),
            line: Set(i32::try_from(review.line).map_err(|_| corrupt("review line", review.line))?),
            buyer: Set(review.buyer.as_str().to_owned()),
            reviewer_name: Set(review.reviewer_name.clone()),
            rating: Set(i16::from(review.rating.stars())),
            content: Set(review.text.clone()),
            images: Set(images),
            image_count: Set(i32::try_from(review.images.len()).unwrap_or(i32::MAX)),
            anonymous: Set(review.anonymous),
            spec: Set(review.spec.clone()),
            reply_text: Set(None),
            reply_at: Set(None),
            created_at: Set(to_db(review.created_at)),
        };
        let id = reviews::Entity::insert(row)
            .exec(&self.db)
            .await
            .map_err(map_db_err)?
            .last_insert_id;
        let mut stored = Review::stored(ReviewId(id), review.clone());
        stored.created_at = from_db(to_db(stored.created_at));
        Ok(stored)
    }

    async fn find(&self, id: ReviewId) -> Result<Option<Review>, RepositoryError> {
        reviews::Entity::find_by_id(id.value())
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(review_from_row)
            .transpose()
    }

    async fn reply(&self, id: ReviewId, reply: &Reply) -> Result<CasOutcome, RepositoryError> {
        let result = reviews::Entity::update_many()
            .col_expr(reviews::Column::ReplyText, Expr::value(reply.text.clone()))
            .col_expr(reviews::Column::ReplyAt, Expr::value(to_db(reply.at)))
            .filter(reviews::Column::Id.eq(id.value()))
            .filter(reviews::Column::ReplyAt.is_null())
            .exec(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(if result.rows_affected == 1 {
            CasOutcome::Won
        } else {
            CasOutcome::Lost
        })
    }

    async fn for_product(
        &self,
        product: ProductId,
        filter: ReviewFilter,
        page: PageRequest,
    ) -> Result<Page<Review>, RepositoryError> {
        let mut query =
            reviews::Entity::find().filter(reviews::Column::ProductId.eq(product.value()));
        match filter {
            ReviewFilter::All => {}
            ReviewFilter::WithImages => {
                query = query.filter(reviews::Column::ImageCount.gt(0));
            }
        }
        self.page(query, page).await
    }

    async fn all(&self, page: PageRequest) -> Result<Page<Review>, RepositoryError> {
        self.page(reviews::Entity::find(), page).await
    }

    async fn for_buyer(
        &self,
        buyer: &OpenId,
        page: PageRequest,
    ) -> Result<Page<Review>, RepositoryError> {
        let query = reviews::Entity::find().filter(reviews::Column::Buyer.eq(buyer.as_str()));
        self.page(query, page).await
    }

    async fn counts(&self, product: ProductId) -> Result<ReviewCounts, RepositoryError> {
        let of_product =
            || reviews::Entity::find().filter(reviews::Column::ProductId.eq(product.value()));
        let per_rating: Vec<(i16, i64)> = of_product()
            .select_only()
            .column(reviews::Column::Rating)
            .column_as(Expr::col(reviews::Column::Id).count(), "reviews")
            .group_by(reviews::Column::Rating)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(map_db_err)?;
        let mut counts = ReviewCounts::default();
        for (rating, count) in per_rating {
            let slot = usize::try_from(rating)
                .ok()
                .and_then(|stars| stars.checked_sub(1))
                .and_then(|index| counts.per_star.get_mut(index))
                .ok_or_else(|| corrupt("review rating", rating))?;
            *slot = u64::try_from(count).map_err(|_| corrupt("review count", count))?;
        }
        counts.with_images = of_product()
            .filter(reviews::Column::ImageCount.gt(0))
            .count(&self.db)
            .await
            .map_err(map_db_err)?;
        Ok(counts)
    }
}
