use std::sync::Arc;

use chrono::TimeDelta;
use elife_domain::ports::JobLeases;
use elife_domain::testing::t0;
use elife_persistence::SeaOrmJobLeases;

use crate::common::TestDb;

#[tokio::test]
async fn a_lease_belongs_to_one_holder_until_it_expires_or_is_released() {
    let test = TestDb::new().await;
    let leases = SeaOrmJobLeases::new(test.db.clone());
    let at = |seconds: i64| t0() + TimeDelta::seconds(seconds);

    assert!(
        leases
            .acquire("expire-unpaid", "a", at(0), at(60))
            .await
            .unwrap()
    );
    assert!(
        !leases
            .acquire("expire-unpaid", "b", at(30), at(90))
            .await
            .unwrap()
    );
    // Other jobs are independent.
    assert!(
        leases
            .acquire("confirm", "b", at(30), at(90))
            .await
            .unwrap()
    );
    // The holder renews, also with an unchanged expiry.
    assert!(
        leases
            .acquire("expire-unpaid", "a", at(30), at(120))
            .await
            .unwrap()
    );
    assert!(
        leases
            .acquire("expire-unpaid", "a", at(31), at(120))
            .await
            .unwrap()
    );
    assert!(
        !leases
            .acquire("expire-unpaid", "b", at(119), at(200))
            .await
            .unwrap()
    );
    // Expired: taken over.
    assert!(
        leases
            .acquire("expire-unpaid", "b", at(120), at(200))
            .await
            .unwrap()
    );
    assert!(
        !leases
            .acquire("expire-unpaid", "a", at(130), at(200))
            .await
            .unwrap()
    );

    // Only the holder releases.
    leases.release("expire-unpaid", "a").await.unwrap();
    assert!(
        !leases
            .acquire("expire-unpaid", "a", at(140), at(200))
            .await
            .unwrap()
    );
    leases.release("expire-unpaid", "b").await.unwrap();
    assert!(
        leases
            .acquire("expire-unpaid", "a", at(140), at(200))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn of_many_instances_starting_together_one_gets_the_lease() {
    let test = TestDb::new().await;
    let leases = Arc::new(SeaOrmJobLeases::new(test.db.clone()));
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let leases = Arc::clone(&leases);
            tokio::spawn(async move {
                leases
                    .acquire(
                        "reconcile",
                        &format!("instance-{n}"),
                        t0(),
                        t0() + TimeDelta::minutes(1),
                    )
                    .await
            })
        })
        .collect();
    let mut holders = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            holders += 1;
        }
    }
    assert_eq!(holders, 1);
}
