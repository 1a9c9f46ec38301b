//! The category tree on each database: it round-trips, every write is a compare-and-set on
//! the tree's revision (all rows or none), and two moves planned on one revision
//! (A under B, B under A) cannot both land and make a cycle.

use std::sync::Arc;

use chrono::TimeDelta;
use elife_domain::catalog::{
    CatalogAdmin, Category, CategoryDraft, CategoryId, CategoryRepository, CategoryTree,
};
use elife_domain::ports::{CasOutcome, SystemClock};
use elife_domain::services::ServiceError;
use elife_domain::testing::t0;
use elife_persistence::{SeaOrmCategoryRepository, SeaOrmProductRepository};

use crate::common::TestDb;

type Admin = CatalogAdmin<SeaOrmCategoryRepository, SeaOrmProductRepository, SystemClock>;

fn admin(test: &TestDb) -> Admin {
    CatalogAdmin::new(
        Arc::new(SeaOrmCategoryRepository::new(test.db.clone())),
        Arc::new(SeaOrmProductRepository::new(test.db.clone())),
        Arc::new(SystemClock),
    )
}

fn draft(parent: Option<CategoryId>, name: &str) -> CategoryDraft {
    CategoryDraft {
        parent,
        name: name.to_owned(),
        sort_order: 0,
        enabled: true,
    }
}

#[tokio::test]
async fn categories_round_trip_and_move_the_revision_on() {
    let test = TestDb::new().await;
    let repo = SeaOrmCategoryRepository::new(test.db.clone());
    let empty = repo.snapshot().await.expect("snapshot");
    assert_eq!((empty.revision, empty.categories.len()), (0, 0));

    let food = repo
        .insert(0, &draft(None, " 食品 "), t0())
        .await
        .expect("insert")
        .expect("on revision 0");
    assert_eq!(food.name, "食品");
    assert_eq!((food.parent, food.created_at), (None, t0()));
    let tea = repo
        .insert(1, &draft(Some(food.id), "茶"), t0())
        .await
        .expect("insert")
        .expect("on revision 1");
    let snapshot = repo.snapshot().await.expect("snapshot");
    assert_eq!(snapshot.revision, 2);
    assert_eq!(snapshot.categories, vec![food.clone(), tea.clone()]);

    let later = t0() + TimeDelta::minutes(1);
    let tree = CategoryTree::new(snapshot.categories).expect("tree");
    let renamed = tree.plan_rename(tea.id, "绿茶", later).expect("rename");
    let hidden = tree.plan_enable(food.id, false, later).expect("hide");
    let outcome = repo
        .update(2, &[renamed.clone(), hidden.clone()])
        .await
        .expect("update");
    assert_eq!(outcome, CasOutcome::Won);
    let snapshot = repo.snapshot().await.expect("snapshot");
    assert_eq!(snapshot.revision, 3);
    assert_eq!(snapshot.categories, vec![hidden, renamed]);
    assert_eq!(snapshot.categories[0].created_at, t0());
}

#[tokio::test]
async fn a_stale_revision_writes_nothing() {
    let test = TestDb::new().await;
    let repo = SeaOrmCategoryRepository::new(test.db.clone());
    let food = repo
        .insert(0, &draft(None, "食品"), t0())
        .await
        .expect("insert")
        .expect("on revision 0");

    let stale = repo.insert(0, &draft(None, "茶"), t0()).await;
    assert_eq!(stale.expect("stale insert"), None);
    let renamed = renamed_copy(&food, "饮料");
    let stale = repo.update(0, std::slice::from_ref(&renamed)).await;
    assert_eq!(stale.expect("stale update"), CasOutcome::Lost);

    // All or none: a missing row undoes the rows written before it and the revision bump.
    let missing = Category {
        id: CategoryId(food.id.value() + 100),
        ..renamed.clone()
    };
    let partial = repo.update(1, &[renamed, missing]).await;
    assert_eq!(partial.expect("partial update"), CasOutcome::Lost);

    let snapshot = repo.snapshot().await.expect("snapshot");
    assert_eq!(snapshot.revision, 1);
    assert_eq!(snapshot.categories, vec![food]);
}

fn renamed_copy(category: &Category, name: &str) -> Category {
    Category {
        name: name.to_owned(),
        updated_at: t0() + TimeDelta::minutes(1),
        ..category.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_moves_planned_on_one_revision_cannot_make_a_cycle() {
    let test = TestDb::new().await;
    let admin = admin(&test);
    let a = admin.create_category(draft(None, "A")).await.expect("A").id;
    let b = admin.create_category(draft(None, "B")).await.expect("B").id;

    // Both planned against the same tree, each valid alone, written at once.
    let repo = Arc::new(SeaOrmCategoryRepository::new(test.db.clone()));
    let snapshot = repo.snapshot().await.expect("snapshot");
    let tree = CategoryTree::new(snapshot.categories).expect("tree");
    let moves = [
        tree.plan_move(a, Some(b), t0()).expect("A under B"),
        tree.plan_move(b, Some(a), t0()).expect("B under A"),
    ];
    let tasks: Vec<_> = moves
        .into_iter()
        .map(|planned| {
            let repo = Arc::clone(&repo);
            let revision = snapshot.revision;
            tokio::spawn(async move { repo.update(revision, &[planned]).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("task").expect("update"));
    }
    let won: Vec<bool> = outcomes.iter().map(|o| *o == CasOutcome::Won).collect();
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{outcomes:?}");

    // The loser, retried through the admin, re-reads the tree and is refused as a cycle.
    let (moved, parent, loser, loser_parent) = if won[0] { (a, b, b, a) } else { (b, a, a, b) };
    let refused = admin.move_category(loser, Some(loser_parent)).await;
    assert!(
        matches!(refused, Err(ServiceError::Validation(_))),
        "{refused:?}"
    );
    let tree = admin.tree().await.expect("tree");
    assert_eq!(tree.get(moved).expect("moved").parent, Some(parent));
    assert_eq!(tree.get(loser).expect("loser").parent, None);
    let snapshot = repo.snapshot().await.expect("snapshot");
    assert_eq!(snapshot.revision, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creations_all_land_through_the_admin() {
    let test = TestDb::new().await;
    let admin = Arc::new(admin(&test));
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let admin = Arc::clone(&admin);
            tokio::spawn(async move { admin.create_category(draft(None, &format!("C{n}"))).await })
        })
        .collect();
    let mut landed = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => landed += 1,
            // The admin gives up after a few lost races: a conflict, never a wrong tree.
            Err(ServiceError::Conflict(_)) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    let snapshot = SeaOrmCategoryRepository::new(test.db.clone())
        .snapshot()
        .await
        .expect("snapshot");
    assert!(landed >= 1);
    assert_eq!(snapshot.categories.len(), landed);
    assert_eq!(snapshot.revision, i64::try_from(landed).expect("small"));
}
