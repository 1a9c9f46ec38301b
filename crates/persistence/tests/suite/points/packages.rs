//! Packages: written and read back exactly, listed by sort order then id, and deleted only
//! while no order refers to them.

use elife_domain::money::Fen;
use elife_domain::points::{PackageDraft, PackageRepository, PointsOrderRepository};
use elife_persistence::{SeaOrmPackageRepository, SeaOrmPointsOrderRepository};

use super::minutes;
use super::orders::pending_order;
use crate::common::TestDb;

pub(crate) fn draft(name: &str, sort_order: i32, active: bool) -> PackageDraft {
    PackageDraft {
        name: name.to_owned(),
        description: format!("{name}: points for the mall"),
        amount: Fen::new(9_900),
        points: 1_000,
        bonus_points: 100,
        active,
        sort_order,
    }
}

#[tokio::test]
async fn a_package_is_written_read_updated_and_listed_in_order() {
    let test = TestDb::new().await;
    let packages = SeaOrmPackageRepository::new(test.db.clone());
    // Stored trimmed; the timestamps as the backends keep them.
    let gold = packages
        .insert(&draft("  Gold  ", 2, true), minutes(0))
        .await
        .unwrap();
    assert_eq!(gold.name, "Gold");
    assert_eq!((gold.created_at, gold.updated_at), (minutes(0), minutes(0)));
    assert_eq!(packages.find(gold.id).await.unwrap(), Some(gold.clone()));
    let silver = packages
        .insert(&draft("Silver", 1, true), minutes(1))
        .await
        .unwrap();
    let hidden = packages
        .insert(&draft("Hidden", 0, false), minutes(2))
        .await
        .unwrap();
    let bronze = packages
        .insert(&draft("Bronze", 1, true), minutes(3))
        .await
        .unwrap();
    assert!(silver.id > gold.id && bronze.id > silver.id);

    let ids = |list: Vec<elife_domain::points::Package>| -> Vec<i64> {
        list.iter().map(|p| p.id).collect()
    };
    assert_eq!(
        ids(packages.list(false).await.unwrap()),
        [hidden.id, silver.id, bronze.id, gold.id]
    );
    assert_eq!(
        ids(packages.list(true).await.unwrap()),
        [silver.id, bronze.id, gold.id]
    );

    let mut change = draft(" Platinum ", -1, false);
    change.amount = Fen::new(19_900);
    change.points = 2_500;
    change.bonus_points = 0;
    change.description = String::new();
    let updated = packages
        .update(gold.id, &change, minutes(9))
        .await
        .unwrap()
        .expect("the package exists");
    assert_eq!(
        updated,
        elife_domain::points::Package {
            id: gold.id,
            name: "Platinum".to_owned(),
            description: String::new(),
            amount: Fen::new(19_900),
            points: 2_500,
            bonus_points: 0,
            active: false,
            sort_order: -1,
            created_at: minutes(0),
            updated_at: minutes(9),
        }
    );
    assert_eq!(packages.find(gold.id).await.unwrap(), Some(updated));
    assert_eq!(
        ids(packages.list(true).await.unwrap()),
        [silver.id, bronze.id]
    );
    // Updating the same values again still finds the package.
    assert!(
        packages
            .update(gold.id, &change, minutes(9))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        packages.update(9_999, &change, minutes(9)).await.unwrap(),
        None
    );
    assert_eq!(packages.find(9_999).await.unwrap(), None);
}

#[tokio::test]
async fn only_a_package_nobody_ordered_is_deleted() {
    let test = TestDb::new().await;
    let packages = SeaOrmPackageRepository::new(test.db.clone());
    let orders = SeaOrmPointsOrderRepository::new(test.db.clone());
    let sold = packages
        .insert(&draft("Sold", 1, true), minutes(0))
        .await
        .unwrap();
    let unsold = packages
        .insert(&draft("Unsold", 2, true), minutes(0))
        .await
        .unwrap();
    orders.insert(&pending_order(1, &sold, 5)).await.unwrap();
    assert!(orders.package_sold(sold.id).await.unwrap());
    assert!(!orders.package_sold(unsold.id).await.unwrap());

    assert!(!packages.delete_unsold(sold.id).await.unwrap());
    assert!(packages.find(sold.id).await.unwrap().is_some());
    assert!(packages.delete_unsold(unsold.id).await.unwrap());
    assert_eq!(packages.find(unsold.id).await.unwrap(), None);
    // Gone already, or never there.
    assert!(!packages.delete_unsold(unsold.id).await.unwrap());
    assert!(!packages.delete_unsold(9_999).await.unwrap());
    let left: Vec<i64> = packages
        .list(false)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(left, [sold.id]);
}
