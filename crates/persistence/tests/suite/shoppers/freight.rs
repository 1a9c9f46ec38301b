//! Freight templates: JSON rules round-trip, updates by compare-and-set, one default even
//! when chosen concurrently, the default not deleted.

use std::sync::Arc;

use elife_domain::ports::CasOutcome;
use elife_domain::trade::freight_templates::{FreightTemplateDraft, FreightTemplateRepository};
use elife_domain::trade::pricing::{ChargeBy, FreightRule, RegionCode};
use elife_persistence::SeaOrmFreightTemplateRepository;

use super::at;
use crate::common::TestDb;

fn draft(name: &str, first_fee: i64) -> FreightTemplateDraft {
    FreightTemplateDraft {
        name: name.to_owned(),
        charge_by: ChargeBy::Weight,
        rules: vec![
            FreightRule {
                regions: vec![RegionCode::parse("000000").unwrap()],
                first_units: 1_000,
                first_fee,
                extra_units: 500,
                extra_fee: 200,
                free_over: None,
            },
            FreightRule {
                regions: vec![
                    RegionCode::parse("110000").unwrap(),
                    RegionCode::parse("310100").unwrap(),
                ],
                first_units: 1_000,
                first_fee: 600,
                extra_units: 1_000,
                extra_fee: 100,
                free_over: Some(9_900),
            },
        ],
    }
}

#[tokio::test]
async fn templates_round_trip_and_change_by_compare_and_set() {
    let test = TestDb::new().await;
    let repo = SeaOrmFreightTemplateRepository::new(test.db.clone());
    let a = repo.insert(&draft("普通", 1_000), at(1)).await.unwrap();
    let b = repo.insert(&draft("偏远", 2_000), at(2)).await.unwrap();
    assert_eq!((a.version, a.is_default), (1, false));
    assert_eq!(a.template.rules, draft("x", 1_000).rules);
    assert_eq!(a.template.charge_by, ChargeBy::Weight);
    assert_eq!(repo.find(a.id()).await.unwrap(), Some(a.clone()));
    assert_eq!(repo.list().await.unwrap(), [a.clone(), b.clone()]);
    let many = repo.find_many(&[b.id(), 999]).await.unwrap();
    assert_eq!(many, std::slice::from_ref(&b.template));
    assert!(repo.find_many(&[]).await.unwrap().is_empty());

    assert_eq!(
        repo.update(a.id(), 1, &draft("普通2", 800), at(3))
            .await
            .unwrap(),
        CasOutcome::Won
    );
    assert_eq!(
        repo.update(a.id(), 1, &draft("普通3", 700), at(4))
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    let updated = repo.find(a.id()).await.unwrap().unwrap();
    assert_eq!((updated.name.as_str(), updated.version), ("普通2", 2));
    assert_eq!(updated.template.rules[0].first_fee, 800);

    assert_eq!(repo.find_default().await.unwrap(), None);
    assert!(repo.set_default(a.id(), at(5)).await.unwrap());
    assert!(!repo.set_default(999, at(5)).await.unwrap());
    assert!(!repo.delete(a.id()).await.unwrap(), "the default stays");
    assert!(repo.delete(b.id()).await.unwrap());
    assert!(!repo.delete(b.id()).await.unwrap());
    assert_eq!(
        repo.find_default().await.unwrap().map(|t| t.id()),
        Some(a.id())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_defaults_leave_exactly_one() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmFreightTemplateRepository::new(test.db.clone()));
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            repo.insert(&draft(&format!("t{n}"), 100), at(n))
                .await
                .unwrap()
                .id(),
        );
    }
    for round in 0..3 {
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let repo = repo.clone();
                tokio::spawn(async move { repo.set_default(id, at(10 + round)).await })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().expect("set default"));
        }
        let defaults = repo
            .list()
            .await
            .unwrap()
            .iter()
            .filter(|t| t.is_default)
            .count();
        assert_eq!(defaults, 1);
    }
}
