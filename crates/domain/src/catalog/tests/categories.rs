//! The category tree's rules: depth, cycles, ordering, names, visibility.

use crate::catalog::{Category, CategoryDraft, CategoryError, CategoryId, CategoryTree};
use crate::testing::t0;

fn node(id: i64, parent: Option<i64>, sort_order: i32, enabled: bool) -> Category {
    Category {
        id: CategoryId(id),
        parent: parent.map(CategoryId),
        name: format!("c{id}"),
        sort_order,
        enabled,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// 1 ─ 2 ─ 3        (three levels)
/// 1 ─ 4
/// 5 ─ 6
/// 7
fn tree() -> CategoryTree {
    CategoryTree::new(vec![
        node(1, None, 0, true),
        node(2, Some(1), 20, true),
        node(3, Some(2), 0, true),
        node(4, Some(1), 10, true),
        node(5, None, 0, true),
        node(6, Some(5), 0, true),
        node(7, None, 5, true),
    ])
    .unwrap()
}

fn draft(parent: Option<i64>, name: &str) -> CategoryDraft {
    CategoryDraft {
        parent: parent.map(CategoryId),
        name: name.to_owned(),
        sort_order: 0,
        enabled: true,
    }
}

fn ids(categories: &[&Category]) -> Vec<i64> {
    categories.iter().map(|c| c.id.0).collect()
}

#[test]
fn depth_paths_children_and_subtrees() {
    let tree = tree();
    assert_eq!(tree.depth(CategoryId(3)).unwrap(), 3);
    assert_eq!(
        tree.path(CategoryId(3)).unwrap(),
        vec![CategoryId(1), CategoryId(2), CategoryId(3)]
    );
    assert_eq!(ids(&tree.children(Some(CategoryId(1)))), vec![4, 2]);
    assert_eq!(
        ids(&tree.children(None)),
        vec![1, 5, 7],
        "ties broken by id"
    );
    let mut under = tree.subtree(CategoryId(1)).unwrap();
    under.sort();
    assert_eq!(
        under,
        vec![CategoryId(1), CategoryId(2), CategoryId(3), CategoryId(4)]
    );
    assert_eq!(
        tree.depth(CategoryId(99)),
        Err(CategoryError::NotFound(CategoryId(99)))
    );
}

#[test]
fn a_fourth_level_is_refused() {
    let tree = tree();
    assert_eq!(
        tree.check_insert(&draft(Some(3), "deep")),
        Err(CategoryError::TooDeep(4))
    );
    assert!(tree.check_insert(&draft(Some(2), "ok")).is_ok());
    assert!(tree.check_insert(&draft(None, "root")).is_ok());
    assert_eq!(
        tree.check_insert(&draft(Some(99), "x")),
        Err(CategoryError::NotFound(CategoryId(99)))
    );
}

#[test]
fn names_are_trimmed_bounded_and_unique_among_siblings() {
    let tree = tree();
    assert_eq!(
        tree.check_insert(&draft(Some(1), "  ")),
        Err(CategoryError::InvalidName)
    );
    assert_eq!(
        tree.check_insert(&draft(Some(1), &"长".repeat(33))),
        Err(CategoryError::InvalidName)
    );
    assert!(tree.check_insert(&draft(Some(1), &"长".repeat(32))).is_ok());
    assert!(matches!(
        tree.check_insert(&draft(Some(1), " C2 ")),
        Err(CategoryError::DuplicateName(_))
    ));
    assert!(
        tree.check_insert(&draft(Some(5), "c2")).is_ok(),
        "another parent"
    );
    assert!(matches!(
        tree.plan_rename(CategoryId(4), "c2", t0()),
        Err(CategoryError::DuplicateName(_))
    ));
    assert_eq!(
        tree.plan_rename(CategoryId(4), " 杯子 ", t0())
            .unwrap()
            .name,
        "杯子"
    );
    assert!(
        tree.plan_rename(CategoryId(4), "c4", t0()).is_ok(),
        "its own name"
    );
}

#[test]
fn moves_refuse_cycles_and_depth_beyond_three_levels() {
    let tree = tree();
    assert_eq!(
        tree.plan_move(CategoryId(1), Some(CategoryId(1)), t0()),
        Err(CategoryError::Cycle(CategoryId(1)))
    );
    assert_eq!(
        tree.plan_move(CategoryId(1), Some(CategoryId(3)), t0()),
        Err(CategoryError::Cycle(CategoryId(1)))
    );
    // 1 has three levels: under 5 it would reach four.
    assert_eq!(
        tree.plan_move(CategoryId(1), Some(CategoryId(5)), t0()),
        Err(CategoryError::TooDeep(4))
    );
    // 5 ─ 6 (two levels) under 4 (level 2) would reach four.
    assert_eq!(
        tree.plan_move(CategoryId(5), Some(CategoryId(4)), t0()),
        Err(CategoryError::TooDeep(4))
    );
    let moved = tree
        .plan_move(CategoryId(5), Some(CategoryId(7)), t0())
        .unwrap();
    assert_eq!(moved.parent, Some(CategoryId(7)));
    let moved = tree.plan_move(CategoryId(2), None, t0()).unwrap();
    assert_eq!(
        (moved.parent, moved.sort_order),
        (None, 15),
        "last among roots"
    );
    let moved = tree
        .plan_move(CategoryId(7), Some(CategoryId(6)), t0())
        .unwrap();
    assert_eq!(moved.sort_order, 0, "first child");
}

#[test]
fn reorder_lists_every_child_once_and_changes_only_what_moved() {
    let tree = tree();
    let order = [CategoryId(7), CategoryId(1), CategoryId(5)];
    let changed = tree.plan_reorder(None, &order, t0()).unwrap();
    let orders: Vec<(i64, i32)> = changed.iter().map(|c| (c.id.0, c.sort_order)).collect();
    assert_eq!(orders, vec![(7, 10), (1, 20), (5, 30)]);
    let applied = CategoryTree::new(
        tree.children(None)
            .into_iter()
            .chain(tree.children(Some(CategoryId(1))))
            .chain(tree.children(Some(CategoryId(2))))
            .chain(tree.children(Some(CategoryId(5))))
            .map(|c| changed.iter().find(|x| x.id == c.id).unwrap_or(c).clone())
            .collect(),
    )
    .unwrap();
    assert_eq!(ids(&applied.children(None)), vec![7, 1, 5]);
    assert!(applied.plan_reorder(None, &order, t0()).unwrap().is_empty());

    for wrong in [
        vec![CategoryId(7), CategoryId(1)],
        vec![CategoryId(7), CategoryId(1), CategoryId(5), CategoryId(5)],
        vec![CategoryId(7), CategoryId(1), CategoryId(2)],
    ] {
        assert_eq!(
            tree.plan_reorder(None, &wrong, t0()),
            Err(CategoryError::NotTheChildren)
        );
    }
}

#[test]
fn a_disabled_parent_hides_its_children_and_keeps_their_switches() {
    let mut nodes = vec![
        node(1, None, 0, false),
        node(2, Some(1), 0, true),
        node(3, Some(2), 0, true),
        node(4, None, 1, true),
        node(5, Some(4), 0, false),
        node(6, Some(5), 0, true),
        node(7, Some(4), 1, true),
    ];
    let tree = CategoryTree::new(nodes.clone()).unwrap();
    assert!(!tree.is_visible(CategoryId(3)).unwrap());
    assert!(!tree.is_visible(CategoryId(6)).unwrap());
    assert!(tree.is_visible(CategoryId(7)).unwrap());
    assert_eq!(ids(&tree.visible()), vec![4, 7]);

    let enabled = tree.plan_enable(CategoryId(1), true, t0()).unwrap();
    nodes[0] = enabled;
    let tree = CategoryTree::new(nodes).unwrap();
    assert_eq!(ids(&tree.visible()), vec![1, 2, 3, 4, 7], "parents first");
}

#[test]
fn stored_trees_that_are_not_trees_are_refused() {
    let dangling = vec![node(1, Some(9), 0, true)];
    let cycle = vec![node(1, Some(2), 0, true), node(2, Some(1), 0, true)];
    let deep = vec![
        node(1, None, 0, true),
        node(2, Some(1), 0, true),
        node(3, Some(2), 0, true),
        node(4, Some(3), 0, true),
    ];
    let twice = vec![node(1, None, 0, true), node(1, None, 0, true)];
    for corrupt in [dangling, cycle, deep, twice] {
        assert!(matches!(
            CategoryTree::new(corrupt),
            Err(CategoryError::Corrupt(_))
        ));
    }
    assert!(CategoryTree::new(Vec::new()).unwrap().is_empty());
}
