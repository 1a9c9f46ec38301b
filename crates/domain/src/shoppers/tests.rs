//! The shoppers' rules through the services and the in-memory adapter.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use super::memory::MemoryShoppers;
use super::*;
use crate::catalog::ProductId;
use crate::order::OpenId;
use crate::ports::{Clock, PageRequest, RepositoryError};
use crate::services::ServiceError;
use crate::testing::t0;

/// A clock one second further on every reading, so that "newest" is never a tie.
#[derive(Default)]
pub(crate) struct TickingClock(Mutex<i64>);

impl Clock for TickingClock {
    fn now(&self) -> DateTime<Utc> {
        let mut ticks = self.0.lock().unwrap();
        *ticks += 1;
        t0() + TimeDelta::seconds(*ticks)
    }
}

fn buyer(name: &str) -> OpenId {
    OpenId::parse(name).unwrap()
}

pub(crate) fn draft(receiver: &str) -> AddressDraft {
    AddressDraft {
        receiver: format!(" {receiver} "),
        phone: "+86 13812345678".replace(' ', ""),
        province: "北京市".to_owned(),
        city: "北京市".to_owned(),
        district: "朝阳区".to_owned(),
        detail: "建国路 1 号".to_owned(),
        region: "110105".to_owned(),
    }
}

fn book() -> (AddressBook, Arc<MemoryShoppers>) {
    let store = Arc::new(MemoryShoppers::new());
    let clock = Arc::new(TickingClock::default());
    (AddressBook::new(store.clone(), clock), store)
}

fn defaults(addresses: &[Address]) -> Vec<AddressId> {
    addresses
        .iter()
        .filter(|a| a.is_default)
        .map(|a| a.id)
        .collect()
}

#[test]
fn validation_lists_every_problem_and_trims() {
    let fields = draft("张三").validate().unwrap();
    assert_eq!(fields.receiver, "张三");
    assert_eq!(fields.phone.as_str(), "13812345678");
    let bad = AddressDraft {
        receiver: " ".to_owned(),
        phone: "12345".to_owned(),
        detail: "x".repeat(MAX_DETAIL + 1),
        region: "11010".to_owned(),
        ..draft("a")
    };
    let problems = bad.validate().unwrap_err();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems.iter().any(|p| p.starts_with("receiver")));
    assert!(problems.iter().any(|p| p.starts_with("address detail")));
    assert!(problems.iter().any(|p| p.contains("mobile number")));
    assert!(problems.iter().any(|p| p.starts_with("region")));
    let empty_district = AddressDraft {
        district: String::new(),
        ..draft("a")
    };
    assert!(empty_district.validate().is_ok());
}

#[test]
fn debug_redacts_the_receiver_and_street_and_masks_the_phone() {
    let fields = draft("张三").validate().unwrap();
    for text in [format!("{fields:?}"), format!("{:?}", draft("张三"))] {
        assert!(!text.contains("张三"), "{text}");
        assert!(!text.contains("建国路"), "{text}");
        assert!(!text.contains("13812345678"), "{text}");
    }
    assert!(format!("{fields:?}").contains("1381"));
}

#[tokio::test]
async fn the_first_address_is_the_default_and_listed_first() {
    let (book, _) = book();
    let me = buyer("o-me");
    let first = book.add(&me, &draft("a")).await.unwrap();
    let second = book.add(&me, &draft("b")).await.unwrap();
    assert!(first.is_default && !second.is_default);
    let listed = book.list(&me).await.unwrap();
    assert_eq!(
        listed.iter().map(|a| a.id).collect::<Vec<_>>(),
        [first.id, second.id]
    );
    let third = book.add(&me, &draft("c")).await.unwrap();
    let listed = book.list(&me).await.unwrap();
    assert_eq!(
        listed.iter().map(|a| a.id).collect::<Vec<_>>(),
        [first.id, third.id, second.id]
    );
}

#[tokio::test]
async fn invalid_addresses_and_a_full_book_are_refused() {
    let (book, _) = book();
    let me = buyer("o-me");
    let bad = AddressDraft {
        phone: "110".to_owned(),
        ..draft("a")
    };
    assert!(matches!(
        book.add(&me, &bad).await,
        Err(ServiceError::Validation(m)) if m.contains("mobile number") && !m.contains("110")
            || m.contains("mobile number")
    ));
    for n in 0..MAX_ADDRESSES {
        book.add(&me, &draft(&format!("r{n}"))).await.unwrap();
    }
    assert!(matches!(
        book.add(&me, &draft("one too many")).await,
        Err(ServiceError::Conflict(m)) if m.contains("20")
    ));
    // Another shopper has their own bound.
    book.add(&buyer("o-other"), &draft("x")).await.unwrap();
}

#[tokio::test]
async fn update_is_a_compare_and_set_on_the_version() {
    let (book, _) = book();
    let me = buyer("o-me");
    let address = book.add(&me, &draft("a")).await.unwrap();
    let updated = book
        .update(&me, address.id, address.version, &draft("b"))
        .await
        .unwrap();
    assert_eq!(updated.fields.receiver, "b");
    assert_eq!(updated.version, address.version + 1);
    assert!(updated.is_default);
    assert!(matches!(
        book.update(&me, address.id, address.version, &draft("c"))
            .await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(matches!(
        book.update(&buyer("o-thief"), address.id, updated.version, &draft("c"))
            .await,
        Err(ServiceError::NotFound(_))
    ));
}

#[tokio::test]
async fn deleting_the_default_promotes_the_newest_remaining() {
    let (book, _) = book();
    let me = buyer("o-me");
    let first = book.add(&me, &draft("a")).await.unwrap();
    let second = book.add(&me, &draft("b")).await.unwrap();
    let third = book.add(&me, &draft("c")).await.unwrap();
    book.delete(&me, second.id).await.unwrap();
    assert_eq!(defaults(&book.list(&me).await.unwrap()), [first.id]);
    book.delete(&me, first.id).await.unwrap();
    assert_eq!(defaults(&book.list(&me).await.unwrap()), [third.id]);
    assert!(matches!(
        book.delete(&me, first.id).await,
        Err(ServiceError::NotFound(_))
    ));
    book.delete(&me, third.id).await.unwrap();
    assert!(book.list(&me).await.unwrap().is_empty());
}

#[tokio::test]
async fn someone_elses_address_reads_as_not_found() {
    let (book, _) = book();
    let me = buyer("o-me");
    let thief = buyer("o-thief");
    let mine = book.add(&me, &draft("a")).await.unwrap();
    book.add(&thief, &draft("t")).await.unwrap();
    for result in [
        book.for_checkout(&thief, mine.id).await,
        book.set_default(&thief, mine.id).await,
    ] {
        assert!(matches!(result, Err(ServiceError::NotFound(_))));
    }
    assert!(matches!(
        book.delete(&thief, mine.id).await,
        Err(ServiceError::NotFound(_))
    ));
    assert_eq!(book.list(&me).await.unwrap().len(), 1);
    let snapshot = book.snapshot_for_checkout(&me, mine.id).await.unwrap();
    assert_eq!(snapshot.receiver, "a");
    assert_eq!(snapshot.phone.as_str(), "13812345678");
    assert_eq!(snapshot.district, "朝阳区");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_set_default_leaves_exactly_one_default() {
    let (book, _) = book();
    let book = Arc::new(book);
    let me = buyer("o-me");
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(book.add(&me, &draft(&format!("r{n}"))).await.unwrap().id);
    }
    for _ in 0..20 {
        let tasks: Vec<_> = ids
            .iter()
            .map(|&id| {
                let (book, me) = (book.clone(), me.clone());
                tokio::spawn(async move { book.set_default(&me, id).await })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().unwrap().is_default);
        }
        assert_eq!(defaults(&book.list(&me).await.unwrap()).len(), 1);
    }
}

#[tokio::test]
async fn storage_failures_are_unavailable() {
    let mut repo = MockAddressRepository::new();
    repo.expect_list()
        .returning(|_| Err(RepositoryError::Unavailable("down".to_owned())));
    let book = AddressBook::new(Arc::new(repo), Arc::new(TickingClock::default()));
    assert!(matches!(
        book.list(&buyer("o-me")).await,
        Err(ServiceError::Unavailable(_))
    ));
}

#[tokio::test]
async fn favourites_are_idempotent_bounded_and_newest_first() {
    let store = Arc::new(MemoryShoppers::new());
    let favourites = Favourites::new(store.clone(), Arc::new(TickingClock::default()));
    let me = buyer("o-me");
    assert!(favourites.add(&me, ProductId(1)).await.unwrap());
    assert!(favourites.add(&me, ProductId(2)).await.unwrap());
    assert!(!favourites.add(&me, ProductId(1)).await.unwrap());
    assert!(favourites.is_favourite(&me, ProductId(1)).await.unwrap());
    assert!(
        !favourites
            .is_favourite(&buyer("o-other"), ProductId(1))
            .await
            .unwrap()
    );
    let page = favourites
        .list(&me, PageRequest { page: 1, limit: 10 })
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].product, ProductId(2));
    assert!(favourites.remove(&me, ProductId(2)).await.unwrap());
    assert!(!favourites.remove(&me, ProductId(2)).await.unwrap());
    assert!(matches!(
        favourites.add(&me, ProductId(0)).await,
        Err(ServiceError::Validation(_))
    ));
    for n in 2..=MAX_FAVOURITES as i64 {
        favourites.add(&me, ProductId(n + 100)).await.unwrap();
    }
    assert!(matches!(
        favourites.add(&me, ProductId(99_999)).await,
        Err(ServiceError::Conflict(_))
    ));
    // Already a favourite: still fine when full.
    assert!(!favourites.add(&me, ProductId(1)).await.unwrap());
}

#[tokio::test]
async fn history_moves_repeats_to_the_top_and_drops_the_oldest() {
    let store = Arc::new(MemoryShoppers::new());
    let history = BrowsingHistory::new(store.clone(), Arc::new(TickingClock::default()));
    let me = buyer("o-me");
    for n in 1..=3 {
        history.record(&me, ProductId(n)).await.unwrap();
    }
    history.record(&me, ProductId(1)).await.unwrap();
    let page = history
        .list(&me, PageRequest { page: 1, limit: 10 })
        .await
        .unwrap();
    let order: Vec<i64> = page.items.iter().map(|v| v.product.value()).collect();
    assert_eq!(order, [1, 3, 2]);
    for n in 10..10 + MAX_HISTORY as i64 {
        history.record(&me, ProductId(n)).await.unwrap();
    }
    let page = history
        .list(&me, PageRequest { page: 1, limit: 1 })
        .await
        .unwrap();
    assert_eq!(page.total, MAX_HISTORY as u64);
    assert_eq!(page.items[0].product.value(), 9 + MAX_HISTORY as i64);
    history
        .record(&buyer("o-other"), ProductId(1))
        .await
        .unwrap();
    assert_eq!(history.clear(&me).await.unwrap(), MAX_HISTORY as u64);
    assert_eq!(
        history
            .list(&buyer("o-other"), PageRequest { page: 1, limit: 10 })
            .await
            .unwrap()
            .total,
        1
    );
}
