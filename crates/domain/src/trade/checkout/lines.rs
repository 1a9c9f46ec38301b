//! What the shopper is buying: lines of SKUs and quantities, from the cart or "buy now",
//! and the same lines once priced, with what the order will copy of each product.

use crate::catalog::{Product, Sku, SkuId};
use crate::trade::orders::{MAX_ITEMS, MAX_QUANTITY};
use crate::trade::pricing::QuoteLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckoutLine {
    pub sku: SkuId,
    pub quantity: u32,
}

/// Where the lines come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutItems {
    /// The selected lines of the cart; they leave the cart once ordered.
    Cart,
    /// "Buy now": these lines, the cart untouched.
    Lines(Vec<CheckoutLine>),
}

/// A line with its product and SKU as they are now and its share of the quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub product: Product,
    pub sku: Sku,
    pub quantity: u32,
    pub priced: QuoteLine,
}

impl PricedLine {
    /// `颜色: 红; 尺码: XL`
    pub fn spec_text(&self) -> String {
        self.sku
            .specs
            .iter()
            .map(|spec| format!("{}: {}", spec.name, spec.value))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn image(&self) -> String {
        self.product.images.first().cloned().unwrap_or_default()
    }
}

/// Merges repeated SKUs and checks the bounds an order has; sorted by SKU so the same
/// basket always prices and reserves the same way.
pub(super) fn merged(lines: &[CheckoutLine]) -> Result<Vec<CheckoutLine>, String> {
    if lines.is_empty() {
        return Err("nothing to buy: choose at least one item".to_owned());
    }
    let mut merged: Vec<CheckoutLine> = Vec::with_capacity(lines.len());
    for line in lines {
        if line.quantity == 0 || line.quantity > MAX_QUANTITY {
            return Err(format!(
                "SKU {}: quantity must be 1 to {MAX_QUANTITY}",
                line.sku
            ));
        }
        match merged.iter_mut().find(|seen| seen.sku == line.sku) {
            Some(seen) => {
                seen.quantity = seen.quantity.saturating_add(line.quantity);
                if seen.quantity > MAX_QUANTITY {
                    return Err(format!(
                        "SKU {}: quantity must be 1 to {MAX_QUANTITY}",
                        line.sku
                    ));
                }
            }
            None => merged.push(*line),
        }
    }
    if merged.len() > MAX_ITEMS {
        return Err(format!("an order has at most {MAX_ITEMS} different items"));
    }
    merged.sort_by_key(|line| line.sku);
    Ok(merged)
}
