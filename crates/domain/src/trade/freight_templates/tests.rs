//! Freight template validation and administration on the in-memory store.

use std::sync::Arc;

use super::memory::MemoryFreightTemplates;
use super::*;
use crate::services::ServiceError;
use crate::shoppers::tests::TickingClock;
use crate::trade::pricing::RegionCode;

fn rule(regions: &[&str], first_fee: i64) -> FreightRule {
    FreightRule {
        regions: regions
            .iter()
            .map(|r| RegionCode::parse(r).unwrap())
            .collect(),
        first_units: 1,
        first_fee,
        extra_units: 1,
        extra_fee: 100,
        free_over: Some(9_900),
    }
}

pub(crate) fn draft(name: &str) -> FreightTemplateDraft {
    FreightTemplateDraft {
        name: format!(" {name} "),
        charge_by: ChargeBy::Count,
        rules: vec![rule(&["000000"], 1_000), rule(&["110000", "310000"], 500)],
    }
}

fn admin() -> FreightTemplateAdmin {
    FreightTemplateAdmin::new(
        Arc::new(MemoryFreightTemplates::new()),
        Arc::new(TickingClock::default()),
    )
}

#[test]
fn problems_are_listed_together() {
    assert!(draft("ok").problems().is_empty());
    let mut bad = draft("");
    bad.rules[0].extra_units = 0;
    bad.rules[1].first_fee = -1;
    bad.rules[1]
        .regions
        .push(RegionCode::parse("000000").unwrap());
    bad.rules.push(FreightRule {
        regions: vec![],
        ..rule(&[], 1_000_000_000)
    });
    let problems = bad.problems();
    assert_eq!(problems.len(), 6, "{problems:?}");
    assert!(problems[0].starts_with("name"));
    assert!(problems.iter().any(|p| p.contains("extra units")));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("already in another rule"))
    );
    assert!(problems.iter().any(|p| p.contains("1 to 500 regions")));
    let empty = FreightTemplateDraft {
        rules: vec![],
        ..draft("x")
    };
    assert_eq!(empty.problems().len(), 1);
}

#[tokio::test]
async fn templates_change_by_compare_and_set() {
    let admin = admin();
    let created = admin.create(&draft("普通快递")).await.unwrap();
    assert_eq!((created.name.as_str(), created.version), ("普通快递", 1));
    assert!(matches!(
        admin.create(&draft("")).await,
        Err(ServiceError::Validation(_))
    ));
    let mut changed = draft("顺丰");
    changed.charge_by = ChargeBy::Weight;
    let updated = admin.update(created.id(), 1, &changed).await.unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.template.charge_by, ChargeBy::Weight);
    assert!(matches!(
        admin.update(created.id(), 1, &changed).await,
        Err(ServiceError::Conflict(m)) if m.contains("version 2")
    ));
    assert!(matches!(
        admin.update(999, 1, &changed).await,
        Err(ServiceError::NotFound(_))
    ));
}

#[tokio::test]
async fn one_default_which_cannot_be_deleted() {
    let admin = admin();
    let a = admin.create(&draft("a")).await.unwrap();
    let b = admin.create(&draft("b")).await.unwrap();
    assert!(admin.set_default(a.id()).await.unwrap().is_default);
    assert!(admin.set_default(b.id()).await.unwrap().is_default);
    let defaults: Vec<i64> = admin
        .list()
        .await
        .unwrap()
        .iter()
        .filter(|t| t.is_default)
        .map(|t| t.id())
        .collect();
    assert_eq!(defaults, [b.id()]);
    assert!(matches!(
        admin.delete(b.id()).await,
        Err(ServiceError::Conflict(_))
    ));
    admin.delete(a.id()).await.unwrap();
    assert!(matches!(
        admin.delete(a.id()).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        admin.set_default(a.id()).await,
        Err(ServiceError::NotFound(_))
    ));
}
