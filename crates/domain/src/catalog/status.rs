//! The statuses of products and SKUs, and the product's one state machine:
//! draft → on_sale ⇄ off_sale → archived, plus draft → archived for a draft that was
//! stocked but never published (its stock movements keep it from being deleted).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::payments::UnknownName;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Being written; never shown.
    Draft,
    OnSale,
    /// Shown to nobody, may go on sale again.
    OffSale,
    /// Kept for the orders and the ledger that refer to it; final.
    Archived,
}

/// What an admin does to a product's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductAction {
    Publish,
    Unpublish,
    Archive,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a product that is {from} cannot {action}")]
pub struct IllegalTransition {
    pub from: ProductStatus,
    pub action: &'static str,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 4] = [
        ProductStatus::Draft,
        ProductStatus::OnSale,
        ProductStatus::OffSale,
        ProductStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::OnSale => "on_sale",
            ProductStatus::OffSale => "off_sale",
            ProductStatus::Archived => "archived",
        }
    }

    /// The status after `action`: every state named, so a new state must decide each move.
    pub fn apply(self, action: ProductAction) -> Result<ProductStatus, IllegalTransition> {
        let next = match self {
            ProductStatus::Draft => match action {
                ProductAction::Publish => Some(ProductStatus::OnSale),
                ProductAction::Unpublish => None,
                ProductAction::Archive => Some(ProductStatus::Archived),
            },
            ProductStatus::OnSale => match action {
                ProductAction::Unpublish => Some(ProductStatus::OffSale),
                ProductAction::Publish | ProductAction::Archive => None,
            },
            ProductStatus::OffSale => match action {
                ProductAction::Publish => Some(ProductStatus::OnSale),
                ProductAction::Archive => Some(ProductStatus::Archived),
                ProductAction::Unpublish => None,
            },
            ProductStatus::Archived => None,
        };
        next.ok_or(IllegalTransition {
            from: self,
            action: action.as_str(),
        })
    }

    /// Whether shoppers may see and buy it.
    pub fn sellable(self) -> bool {
        match self {
            ProductStatus::OnSale => true,
            ProductStatus::Draft | ProductStatus::OffSale | ProductStatus::Archived => false,
        }
    }
}

impl ProductAction {
    pub const ALL: [ProductAction; 3] = [
        ProductAction::Publish,
        ProductAction::Unpublish,
        ProductAction::Archive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductAction::Publish => "publish",
            ProductAction::Unpublish => "unpublish",
            ProductAction::Archive => "archive",
        }
    }
}

/// Whether a SKU can be chosen (its product's status still decides whether it is shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkuStatus {
    Enabled,
    Disabled,
}

impl SkuStatus {
    pub const ALL: [SkuStatus; 2] = [SkuStatus::Enabled, SkuStatus::Disabled];

    pub fn as_str(self) -> &'static str {
        match self {
            SkuStatus::Enabled => "enabled",
            SkuStatus::Disabled => "disabled",
        }
    }
}

macro_rules! named {
    ($type:ident, $kind:literal) => {
        impl FromStr for $type {
            type Err = UnknownName;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                $type::ALL
                    .into_iter()
                    .find(|value| value.as_str() == raw)
                    .ok_or_else(|| UnknownName {
                        kind: $kind,
                        value: raw.to_owned(),
                    })
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(super) use named;

named!(ProductStatus, "product status");
named!(ProductAction, "product action");
named!(SkuStatus, "SKU status");
