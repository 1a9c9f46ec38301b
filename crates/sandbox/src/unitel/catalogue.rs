//! Which subscriber a number is, and what Unitel would answer about it, from the real
//! answers saved in `fixtures/unitel/`.
//!
//! Numbers are chosen by their last digit, so a tester picks a behaviour by picking a
//! number (any 8 digits; other lengths are unknown subscribers):
//!
//! | last digit | subscriber | price list |
//! |---|---|---|
//! | 0, 1, 2 | prepaid "Smart Days" | `Smart-days.json` |
//! | 3, 4, 5 | prepaid "Smart Talk" | `Smart-talk.json` |
//! | 6, 7 | prepaid "Smart Data" | `Smart-data.json` |
//! | 8 | postpaid, nothing owed (bill `a`) | `postpaid.json` |
//! | 9 | postpaid, 74 220 MNT owed (bill `b`) | `postpaid.json` |

use serde_json::Value;

const SMART_DAYS: &str = include_str!("../../fixtures/unitel/Smart-days.json");
const SMART_TALK: &str = include_str!("../../fixtures/unitel/Smart-talk.json");
const SMART_DATA: &str = include_str!("../../fixtures/unitel/Smart-data.json");
const POSTPAID: &str = include_str!("../../fixtures/unitel/postpaid.json");
const POSTPAID_BILLS: &str = include_str!("../../fixtures/unitel/postpaid-bill.json");
const RECHARGE_ANSWER: &str = include_str!("../../fixtures/unitel/recharge-res.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    SmartDays,
    SmartTalk,
    SmartData,
    /// Postpaid with bill `a` of the fixture (nothing owed).
    PostpaidSettled,
    /// Postpaid with bill `b` of the fixture (74 220 MNT owed).
    PostpaidOwing,
}

impl Plan {
    pub fn of(msisdn: &str) -> Option<Plan> {
        if msisdn.len() != 8 || !msisdn.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match msisdn.as_bytes()[7] {
            b'0' | b'1' | b'2' => Some(Plan::SmartDays),
            b'3' | b'4' | b'5' => Some(Plan::SmartTalk),
            b'6' | b'7' => Some(Plan::SmartData),
            b'8' => Some(Plan::PostpaidSettled),
            _ => Some(Plan::PostpaidOwing),
        }
    }

    pub fn is_postpaid(self) -> bool {
        match self {
            Plan::SmartDays | Plan::SmartTalk | Plan::SmartData => false,
            Plan::PostpaidSettled | Plan::PostpaidOwing => true,
        }
    }
}

/// The fixtures, parsed once at start-up.
#[derive(Debug, Clone)]
pub struct Catalogue {
    smart_days: Value,
    smart_talk: Value,
    smart_data: Value,
    postpaid: Value,
    bill_settled: Value,
    bill_owing: Value,
    receipt_template: Value,
}

/// Where a product sits in a price list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductGroup {
    /// `service.cards.*`: bought with `/service/recharge`.
    Card,
    /// `service.data.*`: bought with `/service/datapackage`.
    DataPackage,
}

impl Catalogue {
    pub fn load() -> Result<Catalogue, serde_json::Error> {
        let bills: Value = serde_json::from_str(POSTPAID_BILLS)?;
        let recharge: Value = serde_json::from_str(RECHARGE_ANSWER)?;
        Ok(Catalogue {
            smart_days: serde_json::from_str(SMART_DAYS)?,
            smart_talk: serde_json::from_str(SMART_TALK)?,
            smart_data: serde_json::from_str(SMART_DATA)?,
            postpaid: serde_json::from_str(POSTPAID)?,
            bill_settled: bills.get("a").cloned().unwrap_or(Value::Null),
            bill_owing: bills.get("b").cloned().unwrap_or(Value::Null),
            receipt_template: recharge.get("vat").cloned().unwrap_or(Value::Null),
        })
    }

    /// The `/service/servicetype` answer for a plan.
    pub fn price_list(&self, plan: Plan) -> &Value {
        match plan {
            Plan::SmartDays => &self.smart_days,
            Plan::SmartTalk => &self.smart_talk,
            Plan::SmartData => &self.smart_data,
            Plan::PostpaidSettled | Plan::PostpaidOwing => &self.postpaid,
        }
    }

    /// The `/service/unitel` answer of a postpaid plan, before payments.
    pub fn bill(&self, plan: Plan) -> Option<&Value> {
        match plan {
            Plan::SmartDays | Plan::SmartTalk | Plan::SmartData => None,
            Plan::PostpaidSettled => Some(&self.bill_settled),
            Plan::PostpaidOwing => Some(&self.bill_owing),
        }
    }

    /// The price of `code` in the plan's list, if it is sold there in that group.
    pub fn price_of(&self, plan: Plan, group: ProductGroup, code: &str) -> Option<i64> {
        let key = match group {
            ProductGroup::Card => "cards",
            ProductGroup::DataPackage => "data",
        };
        self.price_list(plan)
            .get("service")?
            .get(key)?
            .as_object()?
            .values()
            .filter_map(Value::as_array)
            .flatten()
            .find(|item| item.get("code").and_then(Value::as_str) == Some(code))?
            .get("price")?
            .as_i64()
    }

    /// A VAT e-receipt shaped like the real one, for `amount` MNT.
    pub fn receipt(&self, amount: i64, bill_id: &str, date: &str) -> Value {
        let mut receipt = self.receipt_template.clone();
        if let Some(fields) = receipt.as_object_mut() {
            let amount = format!("{amount}.00");
            fields.insert("billId".into(), Value::String(bill_id.to_owned()));
            fields.insert("amount".into(), Value::String(amount.clone()));
            fields.insert("cashAmount".into(), Value::String(amount));
            fields.insert("date".into(), Value::String(date.to_owned()));
        }
        receipt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_map_to_plans_by_last_digit() {
        assert_eq!(Plan::of("88110000"), Some(Plan::SmartDays));
        assert_eq!(Plan::of("88110004"), Some(Plan::SmartTalk));
        assert_eq!(Plan::of("88110007"), Some(Plan::SmartData));
        assert_eq!(Plan::of("88110008"), Some(Plan::PostpaidSettled));
        assert_eq!(Plan::of("88110009"), Some(Plan::PostpaidOwing));
        assert_eq!(Plan::of("8811000"), None);
        assert_eq!(Plan::of("8811000x"), None);
    }

    #[test]
    fn prices_come_from_the_right_group() {
        let catalogue = Catalogue::load().expect("fixtures parse");
        assert_eq!(
            catalogue.price_of(Plan::SmartDays, ProductGroup::Card, "SY3000"),
            Some(3000)
        );
        assert_eq!(
            catalogue.price_of(Plan::SmartDays, ProductGroup::DataPackage, "SY3000"),
            None
        );
        assert_eq!(
            catalogue.price_of(Plan::PostpaidOwing, ProductGroup::DataPackage, "data3gb2d"),
            Some(3500)
        );
        assert!(catalogue.bill(Plan::SmartTalk).is_none());
        assert_eq!(
            catalogue
                .bill(Plan::PostpaidOwing)
                .and_then(|b| b["total_unpaid"].as_i64()),
            Some(74220)
        );
    }
}
