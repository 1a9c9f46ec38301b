//! Mall orders, checkout quotes and after-sales as the API shows them. Amounts in fen with
//! yuan as a decimal string; the shopper's own address in full, masked for staff lists.

use chrono::{DateTime, Utc};
use elife_domain::money::Fen;
use elife_domain::payments::PaymentStart;
use elife_domain::ports::Page;
use elife_domain::trade::after_sales::{AfterSale, OrderBadge};
use elife_domain::trade::checkout::{CheckoutQuote, PricedLine};
use elife_domain::trade::orders::{AddressSnapshot, MallOrder, MallOrderItem};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::format::{decimal_string, js_time};
use super::paging::{Pagination, pagination};

pub(super) fn yuan(fen: Fen) -> String {
    decimal_string(fen.to_yuan())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressView {
    pub receiver: String,
    /// The full number for its owner; masked (`1381*******`) in staff lists.
    #[schema(example = "13812345678")]
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
}

impl AddressView {
    pub fn owner(address: &AddressSnapshot) -> Self {
        AddressView {
            receiver: address.receiver.clone(),
            phone: address.phone.as_str().to_owned(),
            province: address.province.clone(),
            city: address.city.clone(),
            district: address.district.clone(),
            detail: address.detail.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MallOrderItemView {
    pub line: u32,
    pub product_id: i64,
    pub sku_id: i64,
    pub name: String,
    #[schema(example = "颜色: 红; 尺码: XL")]
    pub spec: String,
    pub image: String,
    pub unit_price_fen: i64,
    pub quantity: u32,
    /// This line's share of what was paid: what its after-sales can give back at most.
    pub pay_price_fen: i64,
}

impl From<&MallOrderItem> for MallOrderItemView {
    fn from(item: &MallOrderItem) -> Self {
        MallOrderItemView {
            line: item.line,
            product_id: item.product_id,
            sku_id: item.sku_id,
            name: item.name.clone(),
            spec: item.spec.clone(),
            image: item.image.clone(),
            unit_price_fen: item.unit_price.value(),
            quantity: item.quantity,
            pay_price_fen: item.pay_price.value(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentView {
    pub carrier: String,
    pub tracking_no: String,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub shipped_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MallOrderView {
    #[schema(example = "ORD1760754386127abcdefghijkl")]
    pub order_no: String,
    /// `unpaid`, `paid`, `shipped`, `completed`, `cancelled`.
    #[schema(example = "unpaid")]
    pub status: String,
    /// What the shopper reads: 待付款, 待发货, 待收货, 已完成, 已取消, or 售后中.
    #[schema(example = "待付款")]
    pub status_label: String,
    pub items: Vec<MallOrderItemView>,
    pub address: AddressView,
    pub goods_fen: i64,
    pub discount_fen: i64,
    pub freight_fen: i64,
    pub pay_fen: i64,
    #[schema(example = "79.7")]
    pub pay_yuan: String,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub pay_deadline: DateTime<Utc>,
    #[serde(with = "js_time::option")]
    #[schema(value_type = Option<String>)]
    pub paid_at: Option<DateTime<Utc>>,
    /// `buyer`, `timeout` or `admin` once cancelled.
    pub cancel_reason: Option<String>,
    pub shipment: Option<ShipmentView>,
    #[serde(with = "js_time::option")]
    #[schema(value_type = Option<String>)]
    pub auto_confirm_at: Option<DateTime<Utc>>,
    #[serde(with = "js_time::option")]
    #[schema(value_type = Option<String>)]
    pub received_at: Option<DateTime<Utc>>,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
}

impl MallOrderView {
    pub fn new(order: &MallOrder, badge: Option<OrderBadge>) -> Self {
        let label = match badge {
            Some(badge) => badge.label_zh(),
            None => order.status.label_zh(),
        };
        MallOrderView {
            order_no: order.order_no.to_string(),
            status: order.status.as_str().to_owned(),
            status_label: label.to_owned(),
            items: order.items.iter().map(MallOrderItemView::from).collect(),
            address: AddressView::owner(&order.address),
            goods_fen: order.totals.goods.value(),
            discount_fen: order.totals.discount.value(),
            freight_fen: order.totals.freight.value(),
            pay_fen: order.totals.pay.value(),
            pay_yuan: yuan(order.totals.pay),
            pay_deadline: order.pay_deadline,
            paid_at: order.payment.as_ref().map(|payment| payment.paid_at),
            cancel_reason: order
                .cancellation
                .map(|cancellation| cancellation.reason.as_str().to_owned()),
            shipment: order.shipment.as_ref().map(|shipment| ShipmentView {
                carrier: shipment.carrier.clone(),
                tracking_no: shipment.tracking_no.clone(),
                shipped_at: shipment.at,
            }),
            auto_confirm_at: order.auto_confirm_at,
            received_at: order.receipt.map(|receipt| receipt.at),
            created_at: order.created_at,
        }
    }

    /// For staff lists: the receiver's phone masked.
    pub fn masked(order: &MallOrder) -> Self {
        let mut view = MallOrderView::new(order, None);
        view.address.phone = order.address.phone.masked();
        view
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MallOrderList {
    pub items: Vec<MallOrderView>,
    pub pagination: Pagination,
}

impl MallOrderList {
    pub fn new(page: &Page<MallOrder>, view: impl Fn(&MallOrder) -> MallOrderView) -> Self {
        MallOrderList {
            items: page.items.iter().map(view).collect(),
            pagination: pagination(page),
        }
    }
}

/// What the client needs to pay: `jsapi` gives `wx.requestPayment`'s object unchanged,
/// `native` a `{codeUrl}`. `null` when the payment could not be started now (`paymentError`
/// says why): the order stands and is paid from its page.
pub fn payment_json(start: &PaymentStart) -> (String, serde_json::Value) {
    match start {
        PaymentStart::Jsapi(params) => ("jsapi".to_owned(), params.0.clone()),
        PaymentStart::Native { code_url } => ("native".to_owned(), json!({ "codeUrl": code_url })),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MallPurchaseView {
    pub order: MallOrderView,
    /// `jsapi` or `native`; `null` when the payment was not started.
    pub channel: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub payment: Option<serde_json::Value>,
    pub payment_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteLineView {
    pub product_id: i64,
    pub sku_id: i64,
    pub name: String,
    pub spec: String,
    pub image: String,
    pub unit_price_fen: i64,
    pub quantity: u32,
    pub discount_fen: i64,
    pub freight_fen: i64,
    pub pay_fen: i64,
}

impl From<&PricedLine> for QuoteLineView {
    fn from(line: &PricedLine) -> Self {
        QuoteLineView {
            product_id: line.product.id.value(),
            sku_id: line.sku.id.value(),
            name: line.product.name.clone(),
            spec: line.spec_text(),
            image: line.image(),
            unit_price_fen: line.sku.price.value(),
            quantity: line.quantity,
            discount_fen: line.priced.discounts.total().unwrap_or(0),
            freight_fen: line.priced.freight,
            pay_fen: line.priced.pay,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutQuoteView {
    pub lines: Vec<QuoteLineView>,
    pub goods_fen: i64,
    pub discount_fen: i64,
    pub freight_fen: i64,
    pub pay_fen: i64,
    #[schema(example = "79.7")]
    pub pay_yuan: String,
    pub address_id: i64,
    pub address: AddressView,
    /// Send it back when placing the order: the order is refused if the price changed.
    #[schema(example = "3f1c…64 hex digits")]
    pub quote_fingerprint: String,
}

impl From<&CheckoutQuote> for CheckoutQuoteView {
    fn from(quote: &CheckoutQuote) -> Self {
        let totals = &quote.quote.totals;
        CheckoutQuoteView {
            lines: quote.lines.iter().map(QuoteLineView::from).collect(),
            goods_fen: totals.goods,
            discount_fen: totals.discount_total,
            freight_fen: totals.freight,
            pay_fen: totals.pay,
            pay_yuan: yuan(Fen::new(totals.pay)),
            address_id: quote.address.id,
            address: AddressView::owner(&quote.address.snapshot),
            quote_fingerprint: quote.quote.fingerprint.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AfterSaleView {
    /// `ORD…-line-seq`.
    #[schema(example = "ORD1760754386127abcdefghijkl-1-1")]
    pub id: String,
    pub order_no: String,
    pub line: u32,
    pub sku_id: i64,
    /// `refund_only` or `return_and_refund`.
    pub kind: String,
    pub reason: String,
    pub amount_fen: i64,
    pub quantity: u32,
    /// `applied`, `approved`, `rejected`, `returning`, `received`, `refunding`, `refunded`,
    /// `refund_failed`, `cancelled`.
    pub status: String,
    pub reject_reason: Option<String>,
    pub return_shipment: Option<ShipmentView>,
    pub refund_failure: Option<String>,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub created_at: DateTime<Utc>,
    #[serde(with = "js_time")]
    #[schema(value_type = String)]
    pub updated_at: DateTime<Utc>,
}

impl From<&AfterSale> for AfterSaleView {
    fn from(after_sale: &AfterSale) -> Self {
        AfterSaleView {
            id: after_sale.key.to_string(),
            order_no: after_sale.key.order_no.to_string(),
            line: after_sale.key.line,
            sku_id: after_sale.sku_id,
            kind: after_sale.kind.as_str().to_owned(),
            reason: after_sale.reason.clone(),
            amount_fen: after_sale.amount.value(),
            quantity: after_sale.quantity,
            status: after_sale.status.as_str().to_owned(),
            reject_reason: after_sale.reject_reason.clone(),
            return_shipment: after_sale
                .return_shipment
                .as_ref()
                .map(|shipment| ShipmentView {
                    carrier: shipment.carrier.clone(),
                    tracking_no: shipment.tracking_no.clone(),
                    shipped_at: shipment.at,
                }),
            refund_failure: after_sale.refund_failure.clone(),
            created_at: after_sale.created_at,
            updated_at: after_sale.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AfterSaleList {
    pub items: Vec<AfterSaleView>,
    pub pagination: Pagination,
}

impl From<&Page<AfterSale>> for AfterSaleList {
    fn from(page: &Page<AfterSale>) -> Self {
        AfterSaleList {
            items: page.items.iter().map(AfterSaleView::from).collect(),
            pagination: pagination(page),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderAfterSalesView {
    pub status_label: String,
    pub after_sales: Vec<AfterSaleView>,
}
