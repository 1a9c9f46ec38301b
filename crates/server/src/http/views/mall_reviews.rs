//! Reviews (never the reviewer's openid), parcels, logistics companies and freight
//! templates as the API shows them.

use chrono::{DateTime, Utc};
use elife_domain::catalog::reviews::{Review, ReviewStats, ReviewView as DomainReviewView};
use elife_domain::ports::Page;
use elife_domain::trade::delivery::{LogisticsCompany, ParcelView as DomainParcel};
use elife_domain::trade::freight_templates::StoredFreightTemplate;
use elife_domain::trade::pricing::ChargeBy;
use serde::Serialize;
use utoipa::ToSchema;

use super::format::js_time;
use super::paging::{Pagination, pagination};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewView {
    pub id: i64,
    pub product_id: i64,
    pub sku_id: i64,
    /// The name shown; masked (`张**`) when anonymous, 匿名用户 when there is none.
    pub reviewer: String,
    pub anonymous: bool,
    pub rating: u8,
    pub text: String,
    pub images: Vec<String>,
    pub spec: String,
    pub reply: Option<String>,
    #[serde(with = "js_time::option")]
    #[schema(value_type = Option<String>)]
    pub replied_at: Option<DateTime<Utc>>,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
}

impl From<&DomainReviewView> for ReviewView {
    fn from(review: &DomainReviewView) -> Self {
        ReviewView {
            id: review.id.value(),
            product_id: review.product_id,
            sku_id: review.sku_id,
            reviewer: review.reviewer.clone(),
            anonymous: review.anonymous,
            rating: review.rating,
            text: review.text.clone(),
            images: review.images.clone(),
            spec: review.spec.clone(),
            reply: review.reply.as_ref().map(|reply| reply.text.clone()),
            replied_at: review.reply.as_ref().map(|reply| reply.at),
            created_at: review.created_at,
        }
    }
}

impl From<&Review> for ReviewView {
    fn from(review: &Review) -> Self {
        ReviewView::from(&DomainReviewView::from(review))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewList {
    pub items: Vec<ReviewView>,
    pub pagination: Pagination,
}

impl From<&Page<DomainReviewView>> for ReviewList {
    fn from(page: &Page<DomainReviewView>) -> Self {
        ReviewList {
            items: page.items.iter().map(ReviewView::from).collect(),
            pagination: pagination(page),
        }
    }
}

impl ReviewList {
    pub fn of_reviews(page: &Page<Review>) -> Self {
        ReviewList {
            items: page.items.iter().map(ReviewView::from).collect(),
            pagination: pagination(page),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewStatsView {
    pub count: u64,
    /// Hundredths of a star: `466` is 4.66.
    pub average_hundredths: u64,
    /// Reviews with 1, 2, 3, 4 and 5 stars.
    pub per_star: [u64; 5],
    pub with_images: u64,
    /// 好评率: 4 and 5 stars, whole percent.
    pub positive_percent: u64,
}

impl From<&ReviewStats> for ReviewStatsView {
    fn from(stats: &ReviewStats) -> Self {
        ReviewStatsView {
            count: stats.count,
            average_hundredths: stats.average_hundredths,
            per_star: stats.per_star,
            with_images: stats.with_images,
            positive_percent: stats.positive_percent,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParcelEventView {
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub at: DateTime<Utc>,
    pub description: String,
    pub place: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParcelView {
    pub order_no: String,
    #[schema(example = "shunfeng")]
    pub carrier_code: String,
    #[schema(example = "顺丰速运")]
    pub carrier_name: String,
    pub tracking_no: String,
    /// `collected`, `in_transit`, `delivering`, `delivered`, `problem`, `returning`,
    /// `returned`, `customs`, `unknown`.
    pub state: String,
    #[schema(example = "运输中")]
    pub state_label: String,
    pub events: Vec<ParcelEventView>,
}

impl From<&DomainParcel> for ParcelView {
    fn from(parcel: &DomainParcel) -> Self {
        ParcelView {
            order_no: parcel.order_no.to_string(),
            carrier_code: parcel.carrier_code.clone(),
            carrier_name: parcel.carrier_name.clone(),
            tracking_no: parcel.tracking_no.clone(),
            state: parcel.tracking.state.as_str().to_owned(),
            state_label: parcel.tracking.state.label_zh().to_owned(),
            events: parcel
                .tracking
                .events
                .iter()
                .map(|event| ParcelEventView {
                    at: event.at,
                    description: event.description.clone(),
                    place: event.place.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogisticsCompanyView {
    #[schema(example = "shunfeng")]
    pub code: String,
    #[schema(example = "顺丰速运")]
    pub name: String,
    pub enabled: bool,
    pub sort_order: i32,
}

impl From<&LogisticsCompany> for LogisticsCompanyView {
    fn from(company: &LogisticsCompany) -> Self {
        LogisticsCompanyView {
            code: company.code.clone(),
            name: company.name.clone(),
            enabled: company.enabled,
            sort_order: company.sort_order,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FreightTemplateView {
    pub id: i64,
    pub name: String,
    /// `count` or `weight`.
    pub charge_by: String,
    /// As stored: `regions`, `first_units`, `first_fee`, `extra_units`, `extra_fee` (fen),
    /// `free_over` (fen).
    #[schema(value_type = Vec<Object>)]
    pub rules: serde_json::Value,
    pub is_default: bool,
    pub version: i64,
}

impl From<&StoredFreightTemplate> for FreightTemplateView {
    fn from(stored: &StoredFreightTemplate) -> Self {
        FreightTemplateView {
            id: stored.id(),
            name: stored.name.clone(),
            charge_by: match stored.template.charge_by {
                ChargeBy::Count => "count",
                ChargeBy::Weight => "weight",
            }
            .to_owned(),
            rules: serde_json::to_value(&stored.template.rules).unwrap_or_default(),
            is_default: stored.is_default,
            version: stored.version,
        }
    }
}
