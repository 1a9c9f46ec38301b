//! A shopper's delivery address: what the address book stores and the checkout copies into
//! an order. The receiver's name and street stay out of logs, the phone is masked.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::order::OpenId;
use crate::trade::orders::{AddressSnapshot, ChinaMobile};
use crate::trade::pricing::RegionCode;

/// The most addresses one shopper keeps.
pub const MAX_ADDRESSES: usize = 20;
/// Longest receiver name, province, city and district, in characters.
pub const MAX_NAME: usize = 32;
/// Longest street address, in characters (an order stores at most this much).
pub const MAX_DETAIL: usize = crate::trade::orders::MAX_TEXT;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AddressId(pub i64);

impl fmt::Display for AddressId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An address as the shopper types it, before validation.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressDraft {
    pub receiver: String,
    pub phone: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    /// The GB/T 2260 code of the district (or city) the address is in: freight is priced by it.
    pub region: String,
}

/// The content of an address, validated and trimmed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressFields {
    pub receiver: String,
    pub phone: ChinaMobile,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub region: RegionCode,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub id: AddressId,
    pub buyer: OpenId,
    pub fields: AddressFields,
    /// Exactly one address of a shopper who has any is the default.
    pub is_default: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AddressDraft {
    /// The validated address, or every problem at once.
    pub fn validate(&self) -> Result<AddressFields, Vec<String>> {
        let mut problems = Vec::new();
        let mut text = |field: &str, raw: &str, max: usize, required: bool| {
            let trimmed = raw.trim();
            let chars = trimmed.chars().count();
            if (required && chars == 0) || chars > max {
                let least = if required { 1 } else { 0 };
                problems.push(format!("{field} must have {least} to {max} characters"));
            } else if trimmed.chars().any(char::is_control) {
                problems.push(format!("{field} must not contain control characters"));
            }
            trimmed.to_owned()
        };
        let receiver = text("receiver", &self.receiver, MAX_NAME, true);
        let province = text("province", &self.province, MAX_NAME, true);
        let city = text("city", &self.city, MAX_NAME, true);
        let district = text("district", &self.district, MAX_NAME, false);
        let detail = text("address detail", &self.detail, MAX_DETAIL, true);
        let phone = ChinaMobile::parse(&self.phone).map_err(|error| error.to_string());
        let region = RegionCode::parse(&self.region)
            .map_err(|_| "region must be a 6-digit administrative code".to_owned());
        match (phone, region) {
            (Ok(phone), Ok(region)) if problems.is_empty() => Ok(AddressFields {
                receiver,
                phone,
                province,
                city,
                district,
                detail,
                region,
            }),
            (phone, region) => {
                problems.extend(phone.err());
                problems.extend(region.err());
                Err(problems)
            }
        }
    }
}

impl Address {
    /// What an order keeps of this address.
    pub fn snapshot(&self) -> AddressSnapshot {
        AddressSnapshot::from(&self.fields)
    }
}

impl From<&AddressFields> for AddressSnapshot {
    fn from(fields: &AddressFields) -> Self {
        AddressSnapshot {
            receiver: fields.receiver.clone(),
            phone: fields.phone.clone(),
            province: fields.province.clone(),
            city: fields.city.clone(),
            district: fields.district.clone(),
            detail: fields.detail.clone(),
        }
    }
}

impl From<&Address> for AddressSnapshot {
    fn from(address: &Address) -> Self {
        address.snapshot()
    }
}

const REDACTED: &str = "<redacted>";

/// Personal data stays out of logs: the phone masked, the name and street withheld.
impl fmt::Debug for AddressDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressDraft")
            .field("receiver", &REDACTED)
            .field("phone", &crate::privacy::mask_phone(self.phone.trim()))
            .field("province", &self.province)
            .field("city", &self.city)
            .field("district", &self.district)
            .field("detail", &REDACTED)
            .field("region", &self.region)
            .finish()
    }
}

impl fmt::Debug for AddressFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressFields")
            .field("receiver", &REDACTED)
            .field("phone", &self.phone)
            .field("province", &self.province)
            .field("city", &self.city)
            .field("district", &self.district)
            .field("detail", &REDACTED)
            .field("region", &self.region)
            .finish()
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("id", &self.id)
            .field("buyer", &self.buyer)
            .field("fields", &self.fields)
            .field("is_default", &self.is_default)
            .field("version", &self.version)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}
