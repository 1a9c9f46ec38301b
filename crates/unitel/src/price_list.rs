//! Reading a subscriber's price list (`/service/servicetype`) into typed products.
//!
//! Tolerant by design: Unitel adds fields and leaves groups out depending on the plan,
//! so a missing group is an empty one, extra fields are ignored, and a malformed item is
//! skipped (and logged) rather than hiding the rest of the list.

use elife_domain::money::Mnt;
use elife_domain::order::RechargeKind;
use elife_domain::ports::{PriceList, Product};
use serde_json::Value;

use crate::json::{text, whole_mnt};

/// `service.cards.*` are voice/unit cards, `service.data.*` data packages.
const GROUPS: [(&str, &[&str], RechargeKind); 2] = [
    ("cards", &["day", "noday", "special"], RechargeKind::Voice),
    (
        "data",
        &["data", "days", "entertainment"],
        RechargeKind::Data,
    ),
];

pub fn parse_price_list(raw: Value) -> PriceList {
    let mut products = Vec::new();
    for (section, groups, kind) in GROUPS {
        for group in groups {
            let items = raw
                .get("service")
                .and_then(|service| service.get(section))
                .and_then(|section| section.get(*group))
                .and_then(Value::as_array);
            for item in items.into_iter().flatten() {
                match parse_product(item, kind, group) {
                    Some(product) => products.push(product),
                    None => tracing::warn!(
                        section,
                        group,
                        "unitel price list: skipped an item without a usable code or price"
                    ),
                }
            }
        }
    }
    PriceList { products, raw }
}

fn parse_product(item: &Value, kind: RechargeKind, group: &str) -> Option<Product> {
    let code = text(item.get("code"))?;
    let price = whole_mnt(item.get("price")).filter(|price| *price > 0)?;
    Some(Product {
        kind,
        group: group.to_owned(),
        code,
        name: text(item.get("name")).unwrap_or_default(),
        eng_name: text(item.get("eng_name")).unwrap_or_default(),
        price: Mnt::new(price),
        unit: whole_mnt(item.get("unit")),
        data: text(item.get("data")),
        days: whole_mnt(item.get("days")).and_then(|days| i32::try_from(days).ok()),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fixture(name: &str) -> Value {
        let text = match name {
            "Smart-days" => include_str!("../tests/fixtures/Smart-days.json"),
            "Smart-talk" => include_str!("../tests/fixtures/Smart-talk.json"),
            "Smart-data" => include_str!("../tests/fixtures/Smart-data.json"),
            _ => include_str!("../tests/fixtures/postpaid.json"),
        };
        serde_json::from_str(text).expect("fixture is JSON")
    }

    fn count(list: &PriceList, kind: RechargeKind, group: &str) -> usize {
        list.products
            .iter()
            .filter(|p| p.kind == kind && p.group == group)
            .count()
    }

    #[test]
    fn reads_every_group_of_the_smart_talk_fixture() {
        let list = parse_price_list(fixture("Smart-talk"));
        assert_eq!(count(&list, RechargeKind::Voice, "day"), 7);
        assert_eq!(count(&list, RechargeKind::Voice, "noday"), 3);
        assert_eq!(count(&list, RechargeKind::Voice, "special"), 0);
        assert_eq!(count(&list, RechargeKind::Data, "data"), 9);
        assert_eq!(count(&list, RechargeKind::Data, "entertainment"), 8);
        let card = list
            .find(RechargeKind::Voice, "ST5000")
            .expect("ST5000 listed");
        assert_eq!(card.price, Mnt::new(5000));
        assert_eq!(card.unit, Some(5000));
        assert_eq!(card.days, Some(3));
        assert_eq!(
            card.eng_name,
            "5000 unit, 3 days, unlimited in-network call"
        );
        // A card code is not a data package.
        assert!(list.find(RechargeKind::Data, "ST5000").is_none());
        assert_eq!(list.raw, fixture("Smart-talk"));
    }

    #[test]
    fn reads_the_other_fixtures() {
        let days = parse_price_list(fixture("Smart-days"));
        assert_eq!(count(&days, RechargeKind::Voice, "day"), 10);
        assert!(days.find(RechargeKind::Voice, "SY3000").is_some());
        let data = parse_price_list(fixture("Smart-data"));
        assert_eq!(count(&data, RechargeKind::Voice, "noday"), 3);
        let postpaid = parse_price_list(fixture("postpaid"));
        // Postpaid lists have no voice cards (and an unknown `cards.data` group).
        assert_eq!(count(&postpaid, RechargeKind::Voice, "day"), 0);
        let package = postpaid
            .find(RechargeKind::Data, "data3gb2d")
            .expect("data3gb2d listed");
        assert_eq!(package.price, Mnt::new(3500));
        assert_eq!(package.data.as_deref(), Some("3GB"));
        assert_eq!(package.unit, None);
    }

    #[test]
    fn tolerates_missing_groups_extra_fields_and_bad_items() {
        let raw = json!({
            "result": "success",
            "new_top_level_field": {"x": 1},
            "service": {
                "cards": {
                    "day": [
                        {"code": "C1", "price": "1500", "name": "n", "brand_new": true},
                        {"code": "", "price": 1000},
                        {"code": "C3"},
                        {"code": "C4", "price": 12.5}
                    ]
                }
            }
        });
        let list = parse_price_list(raw);
        assert_eq!(list.products.len(), 1);
        let product = &list.products[0];
        assert_eq!(product.code, "C1");
        assert_eq!(product.price, Mnt::new(1500));
        assert_eq!(product.eng_name, "");
        assert_eq!(product.days, None);
    }

    #[test]
    fn a_list_without_service_is_empty() {
        let list = parse_price_list(json!({"result": "success"}));
        assert!(list.products.is_empty());
    }
}
