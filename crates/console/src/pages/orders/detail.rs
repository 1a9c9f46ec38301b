//! `GET /console/orders/{number}`: one order, its history, the payment callbacks that named
//! it and the audit rows about it, with the actions the operator's role allows. The phone
//! number is masked; `POST …/reveal` shows it once, after the reveal was audited.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::audit::{AuditFilter, AuditRecord, AuditTargetType};
use elife_domain::accounts::permissions::Permission;
use elife_domain::order::{Order, OrderEvent, PaymentStatus, Resolution};
use elife_domain::ports::PageRequest;
use elife_domain::privacy::scrub_phone_numbers;
use elife_domain::services::NotificationSearch;

use super::{payment_badge, recharge_badge, when};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::Section;
use crate::pages::context::{Context, Fragment};
use crate::pages::forms::order_number;
use crate::pages::notifications::NotificationRow;

/// How many callbacks and audit rows the page shows (newest first); the rest are a link
/// away.
const RECENT: u64 = 50;

/// The order's own fields, as text.
pub struct Fields {
    pub number: String,
    pub created: String,
    pub paid: String,
    pub submitted: String,
    pub recharged: String,
    pub closed: String,
    pub openid: String,
    pub operator: String,
    pub kind: &'static str,
    pub code: String,
    pub package: String,
    pub package_en: String,
    pub extent: String,
    pub yuan: String,
    pub mnt: String,
    pub rate: String,
    pub payment: &'static str,
    pub payment_badge: &'static str,
    pub recharge: &'static str,
    pub recharge_badge: &'static str,
    /// The payment's refund state, when a refund was ever asked for.
    pub refund: Option<&'static str>,
    /// Unitel's transaction key of the top-up.
    pub seq: Option<String>,
    /// WeChat's transaction id of the payment.
    pub transaction: Option<String>,
    pub receipt: Option<String>,
    pub anomaly: Option<(&'static str, String)>,
    pub version: i32,
}

impl From<&Order> for Fields {
    fn from(order: &Order) -> Self {
        let product = &order.product;
        let extent = [
            product.unit.map(|unit| format!("{unit} units")),
            product.data.clone(),
            product.days.map(|days| format!("{days} days")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
        Fields {
            number: order.number.to_string(),
            created: format::china_time(order.created_at),
            paid: when(order.paid_at),
            submitted: when(order.recharge_at),
            recharged: when(order.recharged_at),
            closed: when(order.closed_at),
            openid: order.openid.masked(),
            operator: product.operator.to_string(),
            kind: product.kind.as_str(),
            code: product.code.clone(),
            package: product.name.clone(),
            package_en: product.eng_name.clone(),
            extent,
            yuan: format::yuan(order.price_fen.value()),
            mnt: format::grouped(product.price.value()),
            rate: order.exchange_rate.value().to_string(),
            payment: order.payment_status.as_str(),
            payment_badge: payment_badge(order.payment_status),
            recharge: order.recharge_status.as_str(),
            recharge_badge: recharge_badge(order.recharge_status),
            refund: match order.payment_status {
                PaymentStatus::Refunding
                | PaymentStatus::Refunded
                | PaymentStatus::RefundFailed => Some(order.payment_status.as_str()),
                PaymentStatus::Unpaid | PaymentStatus::Paid | PaymentStatus::Closed => None,
            },
            seq: order.seq_id.clone(),
            transaction: order.transaction_id.clone(),
            // Unitel's e-receipt may repeat the number.
            receipt: order.provider_receipt.as_ref().map(|receipt| {
                scrub_phone_numbers(
                    &serde_json::to_string_pretty(receipt).unwrap_or_else(|_| receipt.to_string()),
                )
            }),
            anomaly: order
                .anomaly
                .as_ref()
                .map(|anomaly| (anomaly.kind.as_str(), scrub_phone_numbers(&anomaly.details))),
            version: order.version,
        }
    }
}

pub struct EventRow {
    pub at: String,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub reason: String,
}

impl From<&OrderEvent> for EventRow {
    fn from(event: &OrderEvent) -> Self {
        EventRow {
            at: format::china_time(event.at),
            from: event.from.to_string(),
            to: event.to.to_string(),
            actor: event.actor.to_string(),
            // Provider messages may carry the number.
            reason: scrub_phone_numbers(&event.reason),
        }
    }
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub role: &'static str,
    pub action: &'static str,
    pub reason: String,
    pub change: String,
    pub request_id: String,
}

impl From<&AuditRecord> for AuditRow {
    fn from(record: &AuditRecord) -> Self {
        let entry = &record.entry;
        let json = |value: &Option<serde_json::Value>| {
            value.as_ref().map_or_else(String::new, ToString::to_string)
        };
        let change = match (&entry.before, &entry.after) {
            (Some(_), Some(_)) => format!("{} → {}", json(&entry.before), json(&entry.after)),
            _ => format!("{}{}", json(&entry.before), json(&entry.after)),
        };
        AuditRow {
            at: format::china_time(entry.at),
            actor: entry.actor.username.clone(),
            role: entry.actor.role.as_str(),
            action: entry.action.as_str(),
            reason: scrub_phone_numbers(entry.reason.as_deref().unwrap_or_default()),
            change: scrub_phone_numbers(&change),
            request_id: entry.request_id.clone().unwrap_or_default(),
        }
    }
}

/// The detail: what htmx replaces after an action (`#order`).
#[derive(Template)]
#[template(path = "order_body.html")]
pub struct OrderBody {
    /// What the last action did.
    pub flash: Option<String>,
    pub order: Fields,
    /// Masked, unless this answer is the audited reveal.
    pub phone: String,
    pub revealed: bool,
    pub can_reveal: bool,
    /// The top-up waits for a person, who may settle it.
    pub can_settle: bool,
    pub can_refund: bool,
    pub can_sync: bool,
    pub events: Vec<EventRow>,
    pub notifications: Vec<NotificationRow>,
    pub notifications_total: u64,
    /// `None`: the role may not read the audit trail.
    pub audit: Option<Vec<AuditRow>>,
}

impl Fragment for OrderBody {
    const SECTION: Section = Section::Orders;
}

impl OrderBody {
    /// The order as stored now, with `flash` on top and the full number when `revealed`.
    pub async fn load(
        cx: &Context,
        raw_number: &str,
        revealed: bool,
        flash: Option<String>,
    ) -> Result<Self, ConsoleError> {
        let (services, operator) = (cx.services(), &cx.operator);
        let number = order_number(raw_number)?;
        let history = services.order_queries.history(&number).await?;
        let order = &history.order;
        let notifications = services
            .notification_log
            .list(
                &NotificationSearch {
                    order_number: Some(number.to_string()),
                    ..NotificationSearch::default()
                },
                PageRequest {
                    page: 1,
                    limit: RECENT,
                },
            )
            .await?;
        let audit = if operator.may(Permission::ViewAudit) {
            let filter = AuditFilter {
                target_type: Some(AuditTargetType::Order),
                target_id: Some(number.to_string()),
                ..AuditFilter::default()
            };
            let rows = services
                .audit_trail
                .list(
                    &operator.act(),
                    &filter,
                    PageRequest {
                        page: 1,
                        limit: RECENT,
                    },
                )
                .await?;
            Some(rows.items.iter().map(AuditRow::from).collect())
        } else {
            None
        };
        let now = services.clock.now();
        Ok(OrderBody {
            flash,
            phone: if revealed {
                order.msisdn.as_str().to_owned()
            } else {
                order.msisdn.masked()
            },
            revealed,
            can_reveal: operator.may(Permission::RevealPhoneNumbers),
            // The order itself says whether a person may settle its top-up (some resolution
            // applies) or start a refund now; these dry runs change nothing, and the use
            // cases check again.
            can_settle: operator.may(Permission::ResolveTopUps)
                && Resolution::ALL.into_iter().any(|resolution| {
                    order
                        .resolve(resolution, operator.act().order_actor(), "check", now)
                        .is_ok()
                }),
            can_refund: operator.may(Permission::RefundOrders)
                && order
                    .request_refund(operator.act().order_actor(), "check", now)
                    .is_ok(),
            can_sync: operator.may(Permission::SyncPayments),
            order: Fields::from(order),
            events: history.events.iter().map(EventRow::from).collect(),
            notifications: notifications
                .items
                .iter()
                .map(NotificationRow::from)
                .collect(),
            notifications_total: notifications.total,
            audit,
        })
    }

    /// The whole page, or only the detail for htmx.
    pub fn answer(self, cx: &Context) -> Result<HttpResponse, ConsoleError> {
        // A revealed number stays out of caches and htmx's history snapshots.
        let cache = if self.revealed {
            "no-store"
        } else {
            "private, no-cache"
        };
        let mut response = cx.page(StatusCode::OK, self)?;
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(cache));
        Ok(response)
    }
}

/// The order as it is now, with what an action did on top.
pub async fn after_action(
    cx: &Context,
    raw_number: &str,
    flash: String,
) -> Result<HttpResponse, ConsoleError> {
    OrderBody::load(cx, raw_number, false, Some(flash))
        .await?
        .answer(cx)
}

pub async fn show(cx: Context, path: web::Path<String>) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ViewOrders)?;
    OrderBody::load(&cx, &path, false, None).await?.answer(&cx)
}

/// The full number, in this answer only; the reveal is audited before it is shown.
pub async fn reveal(cx: Context, path: web::Path<String>) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ViewOrders)?;
    cx.operator.require(Permission::RevealPhoneNumbers)?;
    let number = order_number(&path)?;
    let services = cx.services();
    // A number that names no order is not audited.
    services.order_queries.find(&number).await?;
    services
        .audit_trail
        .record_phone_reveal(&cx.operator.act(), &number)
        .await?;
    let flash = "已记录查看完整号码 The reveal was recorded in the audit log".to_owned();
    OrderBody::load(&cx, &path, true, Some(flash))
        .await?
        .answer(&cx)
}
