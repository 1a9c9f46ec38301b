//! Points as the API shows them: packages, points orders (amounts in fen, with yuan as a
//! decimal string like the top-up's `productPriceRmb`), accounts and their ledger, and the
//! shop's figures per day.

use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::payments::PayOrder;
use elife_domain::points::{LedgerEntry, Package, PointsAccount, PointsOrder, ShopDay};
use elife_domain::ports::Page;
use serde::Serialize;
use utoipa::ToSchema;

use super::admin::AnomalyView;
use super::format::{decimal_string, js_time};
use super::paging::{Pagination, pagination};

fn yuan_string(fen: Fen) -> String {
    decimal_string(fen.to_yuan())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageView {
    pub id: i64,
    #[schema(example = "100 积分")]
    pub name: String,
    pub description: String,
    #[schema(example = 990)]
    pub amount_fen: i64,
    /// CNY, a decimal string without trailing zeros (`"9.9"`).
    #[schema(example = "9.9")]
    pub amount_yuan: String,
    #[schema(example = 100)]
    pub points: i64,
    #[schema(example = 10)]
    pub bonus_points: i64,
    /// Points plus bonus points.
    #[schema(example = 110)]
    pub total_points: i64,
    pub active: bool,
    pub sort_order: i32,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub updated_at: DateTime<Utc>,
}

impl From<&Package> for PackageView {
    fn from(package: &Package) -> Self {
        PackageView {
            id: package.id,
            name: package.name.clone(),
            description: package.description.clone(),
            amount_fen: package.amount.value(),
            amount_yuan: yuan_string(package.amount),
            points: package.points,
            bonus_points: package.bonus_points,
            total_points: package.total_points(),
            active: package.active,
            sort_order: package.sort_order,
            created_at: package.created_at,
            updated_at: package.updated_at,
        }
    }
}

/// A points order: the package as it was sold, and where its payment stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsOrderView {
    #[schema(example = "ORD1760754386127abcdefghijkl")]
    pub order_no: String,
    pub package_id: i64,
    pub package_name: String,
    #[schema(example = 990)]
    pub amount_fen: i64,
    #[schema(example = "9.9")]
    pub amount_yuan: String,
    pub points: i64,
    pub bonus_points: i64,
    pub total_points: i64,
    /// `pending`, `paid`, `closed`, `partly_refunded`, `refunded`.
    #[schema(example = "pending")]
    pub status: String,
    pub transaction_id: Option<String>,
    #[serde(serialize_with = "js_time::option::serialize")]
    #[schema(value_type = Option<String>)]
    pub paid_at: Option<DateTime<Utc>>,
    /// The sum of refunds that succeeded.
    #[schema(example = 0)]
    pub refunded_fen: i64,
    #[schema(example = "0")]
    pub refunded_yuan: String,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub updated_at: DateTime<Utc>,
}

impl From<&PointsOrder> for PointsOrderView {
    fn from(order: &PointsOrder) -> Self {
        PointsOrderView {
            order_no: order.order_no.to_string(),
            package_id: order.package_id,
            package_name: order.package_name.clone(),
            amount_fen: order.amount.value(),
            amount_yuan: yuan_string(order.amount),
            points: order.points,
            bonus_points: order.bonus_points,
            total_points: order.total_points(),
            status: order.status.as_str().to_owned(),
            transaction_id: order.transaction_id.clone(),
            paid_at: order.paid_at,
            refunded_fen: order.refunded.value(),
            refunded_yuan: yuan_string(order.refunded),
            created_at: order.created_at,
            updated_at: order.updated_at,
        }
    }
}

/// `{data:[order], pagination}` of the buyer's points orders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsOrderList {
    pub data: Vec<PointsOrderView>,
    pub pagination: Pagination,
}

impl From<&Page<PointsOrder>> for PointsOrderList {
    fn from(page: &Page<PointsOrder>) -> Self {
        PointsOrderList {
            data: page.items.iter().map(PointsOrderView::from).collect(),
            pagination: pagination(page),
        }
    }
}

/// A new points order and what the client needs to pay it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsPurchaseView {
    pub order: PointsOrderView,
    /// `jsapi` or `native`.
    #[schema(example = "jsapi")]
    pub channel: String,
    /// `jsapi`: the object for `wx.requestPayment` (`appId, timeStamp, nonceStr, package,
    /// signType, paySign`), unchanged from WeChat; `native`: `{codeUrl}` for the QR code.
    #[schema(value_type = Object)]
    pub payment: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsAccountView {
    pub openid: String,
    #[schema(example = 110)]
    pub balance: i64,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub updated_at: DateTime<Utc>,
}

impl From<&PointsAccount> for PointsAccountView {
    fn from(account: &PointsAccount) -> Self {
        PointsAccountView {
            openid: account.user.to_string(),
            balance: account.balance,
            updated_at: account.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntryView {
    pub id: i64,
    /// `package_purchase`, `bonus`, `refund_reversal`, `admin_adjustment`, `spend`, `expiry`.
    #[schema(example = "package_purchase")]
    pub kind: String,
    /// The business event: e.g. `points_order`, `points_refund`, `admin`.
    #[schema(example = "points_order")]
    pub biz_type: String,
    pub biz_id: String,
    /// Positive credits, negative debits.
    #[schema(example = 100)]
    pub delta: i64,
    /// The balance right after this entry.
    #[schema(example = 100)]
    pub balance_after: i64,
    pub note: String,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:00:00.123Z")]
    pub created_at: DateTime<Utc>,
}

impl From<&LedgerEntry> for LedgerEntryView {
    fn from(entry: &LedgerEntry) -> Self {
        LedgerEntryView {
            id: entry.id,
            kind: entry.kind.as_str().to_owned(),
            biz_type: entry.reference.biz_type.clone(),
            biz_id: entry.reference.biz_id.clone(),
            delta: entry.delta,
            balance_after: entry.balance_after,
            note: entry.note.clone(),
            created_at: entry.created_at,
        }
    }
}

/// `{data:[entry], pagination}`, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerList {
    pub data: Vec<LedgerEntryView>,
    pub pagination: Pagination,
}

impl From<&Page<LedgerEntry>> for LedgerList {
    fn from(page: &Page<LedgerEntry>) -> Self {
        LedgerList {
            data: page.items.iter().map(LedgerEntryView::from).collect(),
            pagination: pagination(page),
        }
    }
}

/// A user's points account with a page of its ledger, for the back office.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminPointsAccountView {
    pub account: PointsAccountView,
    pub ledger: LedgerList,
}

/// An adjustment made, and the balance it left.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsAdjustmentView {
    pub entry: LedgerEntryView,
    pub account: PointsAccountView,
}

/// The pay order of a points order, as the payments core keeps it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsPaymentView {
    /// `unpaid`, `paid`, `closed`, `refunding`, `refunded`, `refund_failed`.
    pub status: String,
    /// `cloud` or `v3`.
    pub channel: String,
    pub amount_fen: i64,
    pub refunded_fen: i64,
    /// The refund in flight, 0 when none.
    pub refunding_fen: i64,
    /// The payment arrived after the order was closed, and is given back.
    pub late_payment: bool,
    pub anomaly: Option<AnomalyView>,
    #[serde(with = "js_time")]
    #[schema(value_type = String, example = "2025-10-18T10:30:00.000Z")]
    pub time_expire: DateTime<Utc>,
}

impl From<&PayOrder> for PointsPaymentView {
    fn from(pay_order: &PayOrder) -> Self {
        PointsPaymentView {
            status: pay_order.status.as_str().to_owned(),
            channel: pay_order.channel.as_str().to_owned(),
            amount_fen: pay_order.amount.value(),
            refunded_fen: pay_order.refunded.value(),
            refunding_fen: pay_order.refunding.value(),
            late_payment: pay_order.late_payment,
            anomaly: pay_order.anomaly.as_ref().map(|anomaly| AnomalyView {
                kind: anomaly.kind.to_string(),
                details: anomaly.details.clone(),
            }),
            time_expire: pay_order.time_expire,
        }
    }
}

/// A points order as the back office sees it: with its buyer and version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminPointsOrderView {
    #[serde(flatten)]
    pub order: PointsOrderView,
    pub openid: String,
    pub version: i32,
}

impl From<&PointsOrder> for AdminPointsOrderView {
    fn from(order: &PointsOrder) -> Self {
        AdminPointsOrderView {
            order: PointsOrderView::from(order),
            openid: order.user.to_string(),
            version: order.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminPointsOrderList {
    pub data: Vec<AdminPointsOrderView>,
    pub pagination: Pagination,
}

impl From<&Page<PointsOrder>> for AdminPointsOrderList {
    fn from(page: &Page<PointsOrder>) -> Self {
        AdminPointsOrderList {
            data: page.items.iter().map(AdminPointsOrderView::from).collect(),
            pagination: pagination(page),
        }
    }
}

/// One points order with its payment (absent only if the pay order was never opened).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminPointsOrderDetail {
    pub order: AdminPointsOrderView,
    pub payment: Option<PointsPaymentView>,
}

/// What a refund of a points order did.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PointsRefundView {
    /// `refunded`, `in_progress` or `failed`.
    pub outcome: String,
    pub message: Option<String>,
    pub order: AdminPointsOrderView,
    pub payment: Option<PointsPaymentView>,
}

/// What became of a package an admin asked to delete.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PackageRemovalView {
    /// `deleted`, or `deactivated` when it has orders (kept, no longer sold).
    #[schema(example = "deactivated")]
    pub outcome: String,
    /// The package kept, when deactivated.
    pub package: Option<PackageView>,
}

/// One UTC+8 day of the points shop.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShopDayView {
    /// YYYY-MM-DD (China day); `null` for what has no day.
    #[schema(example = "2025-10-18")]
    pub day: Option<String>,
    pub packages_sold: u64,
    pub revenue_fen: i64,
    #[schema(example = "99")]
    pub revenue_yuan: String,
    pub points_issued: i64,
    pub points_spent: i64,
    /// Taken back by refunds, net of any given back.
    pub points_reversed: i64,
}

impl From<&ShopDay> for ShopDayView {
    fn from(day: &ShopDay) -> Self {
        ShopDayView {
            day: day.day.map(|day| day.format("%Y-%m-%d").to_string()),
            packages_sold: day.packages_sold,
            revenue_fen: day.revenue.value(),
            revenue_yuan: yuan_string(day.revenue),
            points_issued: day.points_issued,
            points_spent: day.points_spent,
            points_reversed: day.points_reversed,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShopStatisticsView {
    /// The first day, YYYY-MM-DD (China day).
    pub from: String,
    /// The last day, inclusive.
    pub to: String,
    /// Days with sales or points moved, in order.
    pub days: Vec<ShopDayView>,
}
