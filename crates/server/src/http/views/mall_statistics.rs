//! The mall's figures as the back office reads them: money in fen (and yuan as text), units
//! from the stock ledger, conversion as integers.

use chrono::NaiveDate;
use elife_domain::money::Fen;
use elife_domain::trade::statistics::{MallDay, MallFigures, ProductSales, SkuUnits};
use serde::Serialize;
use utoipa::ToSchema;

use super::mall_orders::yuan;

fn day_string(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MoneyView {
    pub fen: i64,
    #[schema(example = "12.5")]
    pub yuan: String,
}

impl From<Fen> for MoneyView {
    fn from(fen: Fen) -> Self {
        MoneyView {
            fen: fen.value(),
            yuan: yuan(fen),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MallDayView {
    /// YYYY-MM-DD (China day).
    #[schema(example = "2026-11-30")]
    pub day: String,
    pub orders_placed: u64,
    /// By the payment's time.
    pub orders_paid: u64,
    pub paid: MoneyView,
}

impl From<&MallDay> for MallDayView {
    fn from(day: &MallDay) -> Self {
        MallDayView {
            day: day_string(day.day),
            orders_placed: day.orders_placed,
            orders_paid: day.orders_paid,
            paid: MoneyView::from(day.paid_amount),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopProductView {
    pub product_id: i64,
    pub name: String,
    /// Units paid for (stock ledger deductions).
    pub units_deducted: i64,
    /// Units back on the shelf from after-sales.
    pub units_restocked: i64,
    /// Deducted minus restocked.
    pub units_sold: i64,
}

impl From<&ProductSales> for TopProductView {
    fn from(product: &ProductSales) -> Self {
        TopProductView {
            product_id: product.product.value(),
            name: product.name.clone(),
            units_deducted: product.deducted,
            units_restocked: product.restocked,
            units_sold: product.sold,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopSkuView {
    pub sku_id: i64,
    /// `null` when the SKU's product is unknown.
    pub product_id: Option<i64>,
    pub product_name: String,
    pub units_deducted: i64,
    pub units_restocked: i64,
    pub units_sold: i64,
}

impl From<&SkuUnits> for TopSkuView {
    fn from(sku: &SkuUnits) -> Self {
        TopSkuView {
            sku_id: sku.sku.value(),
            product_id: sku.product.map(|product| product.value()),
            product_name: sku.product_name.clone(),
            units_deducted: sku.deducted,
            units_restocked: sku.restocked,
            units_sold: sku.sold(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversionView {
    /// Distinct shoppers with an order paid in the period.
    pub buyers: u64,
    /// Distinct shoppers who viewed a product in the period (their latest view per product).
    pub viewers: u64,
    /// buyers / viewers in basis points (6666 = 66.66 %), rounded down; `null` without
    /// viewers. May pass 10000 when buyers came without a recorded view.
    pub basis_points: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MallStatisticsView {
    /// The first day, YYYY-MM-DD (China day).
    pub from: String,
    /// The last day, inclusive.
    pub to: String,
    pub orders_placed: u64,
    pub orders_paid: u64,
    /// Totals of the orders paid in the period.
    pub paid: MoneyView,
    /// After-sales refunded in the period.
    pub refunds: u64,
    pub refunded: MoneyView,
    pub units_deducted: i64,
    pub units_restocked: i64,
    pub units_sold: i64,
    pub top_products: Vec<TopProductView>,
    pub top_skus: Vec<TopSkuView>,
    /// Every day of the period, oldest first.
    pub days: Vec<MallDayView>,
    pub conversion: ConversionView,
}

impl MallStatisticsView {
    pub fn new(from: NaiveDate, to: NaiveDate, figures: &MallFigures) -> Self {
        MallStatisticsView {
            from: day_string(from),
            to: day_string(to),
            orders_placed: figures.orders_placed,
            orders_paid: figures.orders_paid,
            paid: MoneyView::from(figures.paid_amount),
            refunds: figures.refunds.count,
            refunded: MoneyView::from(figures.refunds.amount),
            units_deducted: figures.units_deducted,
            units_restocked: figures.units_restocked,
            units_sold: figures.units_sold(),
            top_products: figures
                .top_products
                .iter()
                .map(TopProductView::from)
                .collect(),
            top_skus: figures.top_skus.iter().map(TopSkuView::from).collect(),
            days: figures.days.iter().map(MallDayView::from).collect(),
            conversion: ConversionView {
                buyers: figures.conversion.buyers,
                viewers: figures.conversion.viewers,
                basis_points: figures.conversion.basis_points(),
            },
        }
    }
}
