//! Addresses: sealed phone, ownership, the bound and exactly one default under concurrency.

use std::sync::Arc;

use elife_domain::ports::CasOutcome;
use elife_domain::shoppers::{AddressDraft, AddressFields, AddressRepository, Bounded};
use elife_persistence::SeaOrmAddressRepository;

use super::{at, buyer};
use crate::common::{TestDb, keyring};

fn fields(receiver: &str) -> AddressFields {
    AddressDraft {
        receiver: receiver.to_owned(),
        phone: "13812345678".to_owned(),
        province: "北京市".to_owned(),
        city: "北京市".to_owned(),
        district: "朝阳区".to_owned(),
        detail: "建国路 1 号".to_owned(),
        region: "110105".to_owned(),
    }
    .validate()
    .expect("valid address")
}

fn inserted<T: std::fmt::Debug>(outcome: Bounded<T>) -> T {
    match outcome {
        Bounded::Inserted(value) => value,
        Bounded::Full => panic!("unexpectedly full"),
    }
}

async fn defaults(test: &TestDb, buyer: &str) -> Vec<String> {
    let sql = format!(
        "SELECT receiver FROM shopper_addresses WHERE buyer = '{buyer}' AND default_mark IS NOT NULL"
    );
    test.strings(&sql, vec![]).await
}

#[tokio::test]
async fn addresses_round_trip_with_the_phone_sealed() {
    let test = TestDb::new().await;
    let repo = SeaOrmAddressRepository::new(test.db.clone(), keyring());
    let me = buyer("o-me");
    let first = inserted(repo.insert(&me, &fields("a"), 20, at(1)).await.unwrap());
    let second = inserted(repo.insert(&me, &fields("b"), 20, at(2)).await.unwrap());
    assert!(first.is_default && !second.is_default);
    assert_eq!(first.fields, fields("a"));
    assert_eq!(first.version, 1);
    let stored = test
        .strings(
            "SELECT phone_cipher FROM shopper_addresses WHERE buyer = 'o-me'",
            vec![],
        )
        .await;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|cipher| !cipher.contains("13812345678")));
    let masked = test
        .strings(
            "SELECT phone_masked FROM shopper_addresses WHERE buyer = 'o-me'",
            vec![],
        )
        .await;
    assert!(masked.iter().all(|m| !m.contains("12345678")), "{masked:?}");

    let listed = repo.list(&me).await.unwrap();
    assert_eq!(listed, [first.clone(), second.clone()]);
    let third = inserted(repo.insert(&me, &fields("c"), 20, at(3)).await.unwrap());
    let ids: Vec<_> = repo.list(&me).await.unwrap().iter().map(|a| a.id).collect();
    assert_eq!(ids, [first.id, third.id, second.id]);

    assert_eq!(
        repo.update(&me, second.id, 1, &fields("b2"), at(4))
            .await
            .unwrap(),
        CasOutcome::Won
    );
    assert_eq!(
        repo.update(&me, second.id, 1, &fields("b3"), at(5))
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    let updated = repo.find(&me, second.id).await.unwrap().unwrap();
    assert_eq!(
        (updated.fields.receiver.as_str(), updated.version),
        ("b2", 2)
    );
}

#[tokio::test]
async fn someone_elses_address_is_out_of_reach() {
    let test = TestDb::new().await;
    let repo = SeaOrmAddressRepository::new(test.db.clone(), keyring());
    let (me, thief) = (buyer("o-me"), buyer("o-thief"));
    let mine = inserted(repo.insert(&me, &fields("a"), 20, at(1)).await.unwrap());
    let theirs = inserted(repo.insert(&thief, &fields("t"), 20, at(2)).await.unwrap());
    assert!(theirs.is_default, "each shopper has their own default");
    assert_eq!(repo.find(&thief, mine.id).await.unwrap(), None);
    assert!(!repo.set_default(&thief, mine.id, at(3)).await.unwrap());
    assert!(!repo.delete(&thief, mine.id, at(3)).await.unwrap());
    assert_eq!(
        repo.update(&thief, mine.id, 1, &fields("x"), at(3))
            .await
            .unwrap(),
        CasOutcome::Lost
    );
    assert_eq!(repo.list(&me).await.unwrap(), [mine]);
    assert_eq!(repo.list(&thief).await.unwrap().len(), 1);
}

#[tokio::test]
async fn deleting_the_default_promotes_the_newest() {
    let test = TestDb::new().await;
    let repo = SeaOrmAddressRepository::new(test.db.clone(), keyring());
    let me = buyer("o-me");
    let a = inserted(repo.insert(&me, &fields("a"), 20, at(1)).await.unwrap());
    let b = inserted(repo.insert(&me, &fields("b"), 20, at(2)).await.unwrap());
    let c = inserted(repo.insert(&me, &fields("c"), 20, at(3)).await.unwrap());
    assert!(repo.delete(&me, b.id, at(4)).await.unwrap());
    assert_eq!(defaults(&test, "o-me").await, ["a"]);
    assert!(repo.delete(&me, a.id, at(5)).await.unwrap());
    let listed = repo.list(&me).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].is_default && listed[0].id == c.id);
    assert!(!repo.delete(&me, a.id, at(6)).await.unwrap());
    assert!(repo.set_default(&me, c.id, at(7)).await.unwrap());
    assert!(repo.delete(&me, c.id, at(8)).await.unwrap());
    // The place freed: a new first address is the default again.
    let d = inserted(repo.insert(&me, &fields("d"), 1, at(9)).await.unwrap());
    assert!(d.is_default);
    assert_eq!(
        repo.insert(&me, &fields("e"), 1, at(10)).await.unwrap(),
        Bounded::Full
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_never_pass_the_bound_and_make_one_default() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmAddressRepository::new(test.db.clone(), keyring()));
    let me = buyer("o-me");
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (repo, me) = (repo.clone(), me.clone());
            tokio::spawn(async move { repo.insert(&me, &fields(&format!("r{n}")), 5, at(n)).await })
        })
        .collect();
    let mut added = 0;
    for task in tasks {
        if let Bounded::Inserted(_) = task.await.unwrap().expect("insert") {
            added += 1;
        }
    }
    assert_eq!(added, 5);
    assert_eq!(repo.list(&me).await.unwrap().len(), 5);
    assert_eq!(defaults(&test, "o-me").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_set_default_leaves_exactly_one() {
    let test = TestDb::new().await;
    let repo = Arc::new(SeaOrmAddressRepository::new(test.db.clone(), keyring()));
    let me = buyer("o-me");
    let mut ids = Vec::new();
    for n in 0..5 {
        let address = inserted(
            repo.insert(&me, &fields(&format!("r{n}")), 20, at(n))
                .await
                .unwrap(),
        );
        ids.push(address.id);
    }
    for round in 0..3 {
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let (repo, me) = (repo.clone(), me.clone());
                tokio::spawn(async move { repo.set_default(&me, id, at(100 + round)).await })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().expect("set default"));
        }
        assert_eq!(defaults(&test, "o-me").await.len(), 1);
        let listed = repo.list(&me).await.unwrap();
        assert_eq!(listed.iter().filter(|a| a.is_default).count(), 1);
        assert!(listed[0].is_default);
    }
}
