//! Identifiers of the catalog: typed so that a SKU id can never be passed as a product id,
//! and ordered so that several SKUs are always locked in the same (ascending) order.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::stock_plan::StockError;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub const fn value(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A node of the category tree.
    CategoryId
);
id_type!(
    /// A product (SPU): what the shopper sees as one item.
    ProductId
);
id_type!(
    /// A stock-keeping unit: one sellable variant of a product, with its own price and stock.
    SkuId
);

/// The business event a stock movement belongs to: an order number, an after-sale number or
/// an admin adjustment's id. Printable ASCII without spaces, 1 to 64 characters, so that it
/// fits any database's key column unchanged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StockRef(String);

impl StockRef {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, StockError> {
        let fits = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.bytes().all(|byte| byte.is_ascii_graphic());
        if fits {
            Ok(StockRef(raw.to_owned()))
        } else {
            Err(StockError::BadReference(raw.chars().take(80).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StockRef {
    type Error = StockError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        StockRef::parse(&raw)
    }
}

impl From<StockRef> for String {
    fn from(reference: StockRef) -> Self {
        reference.0
    }
}

impl fmt::Display for StockRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
