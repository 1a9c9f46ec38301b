//! The category tree: at most three levels, siblings ordered by (sort order, id), a
//! disabled category hiding everything under it. Categories are few and change rarely, so
//! the whole tree is read at once and every write is a compare-and-set on the tree's
//! revision: two moves that are each valid alone (A under B, B under A) cannot both land
//! and make a cycle.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::{CasOutcome, RepositoryError};

use super::ids::CategoryId;

/// Levels of the tree: a root is level 1.
pub const MAX_DEPTH: usize = 3;
/// Categories in the whole tree at most: enough for any single shop, small enough to read.
pub const MAX_CATEGORIES: usize = 1_000;
const NAME_MAX_CHARS: usize = 32;
/// Gap between sort orders a reorder assigns, so that one can be slotted in by hand later.
const SORT_STEP: i32 = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub parent: Option<CategoryId>,
    pub name: String,
    pub sort_order: i32,
    /// The category's own switch; it is shown only when its ancestors are enabled too.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A category as an admin creates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryDraft {
    pub parent: Option<CategoryId>,
    pub name: String,
    pub sort_order: i32,
    pub enabled: bool,
}

/// The whole tree as stored, with the revision every write must name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategorySnapshot {
    pub revision: i64,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("category {0} not found")]
    NotFound(CategoryId),
    #[error("categories nest at most {MAX_DEPTH} levels; this would make {0}")]
    TooDeep(usize),
    #[error("category {0} cannot move under itself or one of its descendants")]
    Cycle(CategoryId),
    #[error("a sibling is already named {0:?}")]
    DuplicateName(String),
    #[error("a category name has 1 to {NAME_MAX_CHARS} characters")]
    InvalidName,
    #[error("a reorder must list every child of the parent exactly once")]
    NotTheChildren,
    #[error("the tree holds at most {MAX_CATEGORIES} categories")]
    TooMany,
    /// What storage returned is not a tree (a dangling parent, a cycle, too deep).
    #[error("stored categories are not a valid tree: {0}")]
    Corrupt(String),
}

/// A validated tree: every parent exists, no cycle, no deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    nodes: BTreeMap<CategoryId, Category>,
}

impl CategoryTree {
    pub fn new(categories: Vec<Category>) -> Result<Self, CategoryError> {
        let mut nodes = BTreeMap::new();
        for category in categories {
            let id = category.id;
            if nodes.insert(id, category).is_some() {
                return Err(CategoryError::Corrupt(format!("category {id} twice")));
            }
        }
        let tree = CategoryTree { nodes };
        for (id, category) in &tree.nodes {
            if let Some(parent) = category.parent
                && !tree.nodes.contains_key(&parent)
            {
                return Err(CategoryError::Corrupt(format!(
                    "category {id} has a missing parent {parent}"
                )));
            }
            // A walk longer than the limit is either too deep or a cycle: both corrupt.
            let depth = tree.depth(*id)?;
            if depth > MAX_DEPTH {
                return Err(CategoryError::Corrupt(format!(
                    "category {id} is at depth {depth}"
                )));
            }
        }
        Ok(tree)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn get(&self, id: CategoryId) -> Result<&Category, CategoryError> {
        self.nodes.get(&id).ok_or(CategoryError::NotFound(id))
    }

    /// The level of a category: 1 for a root. Bounded, so a corrupt cycle cannot loop.
    pub fn depth(&self, id: CategoryId) -> Result<usize, CategoryError> {
        Ok(self.path(id)?.len())
    }

    /// The ids from the root down to `id`.
    pub fn path(&self, id: CategoryId) -> Result<Vec<CategoryId>, CategoryError> {
        let mut path = vec![id];
        let mut current = self.get(id)?;
        while let Some(parent) = current.parent {
            if path.len() > MAX_DEPTH {
                return Err(CategoryError::Corrupt(format!(
                    "category {id} is deeper than {MAX_DEPTH} or in a cycle"
                )));
            }
            path.push(parent);
            current = self.get(parent)?;
        }
        path.reverse();
        Ok(path)
    }

    /// The children of `parent` (the roots for `None`) in display order.
    pub fn children(&self, parent: Option<CategoryId>) -> Vec<&Category> {
        let mut children: Vec<&Category> = self
            .nodes
            .values()
            .filter(|category| category.parent == parent)
            .collect();
        children.sort_by_key(|category| (category.sort_order, category.id));
        children
    }

    /// Every category of the tree.
    pub fn all_ids(&self) -> Vec<CategoryId> {
        self.nodes.keys().copied().collect()
    }

    /// `id` and everything under it: what a shopper's "in this category" filter covers.
    pub fn subtree(&self, id: CategoryId) -> Result<Vec<CategoryId>, CategoryError> {
        self.get(id)?;
        let mut found = vec![id];
        let mut next = 0;
        while let Some(current) = found.get(next).copied() {
            found.extend(self.children(Some(current)).iter().map(|child| child.id));
            next += 1;
        }
        Ok(found)
    }

    /// Levels in the subtree of `id`, itself included (1 for a leaf).
    fn height(&self, id: CategoryId) -> usize {
        self.children(Some(id))
            .iter()
            .map(|child| self.height(child.id) + 1)
            .max()
            .unwrap_or(1)
    }

    /// Shown to shoppers: enabled, and every ancestor enabled.
    pub fn is_visible(&self, id: CategoryId) -> Result<bool, CategoryError> {
        let path = self.path(id)?;
        Ok(path
            .iter()
            .all(|step| self.nodes.get(step).is_some_and(|c| c.enabled)))
    }

    /// What shoppers see, parents before children, siblings in display order.
    pub fn visible(&self) -> Vec<&Category> {
        let mut shown = Vec::new();
        let mut stack: Vec<&Category> = self.children(None).into_iter().rev().collect();
        while let Some(category) = stack.pop() {
            if !category.enabled {
                continue;
            }
            shown.push(category);
            stack.extend(self.children(Some(category.id)).into_iter().rev());
        }
        shown
    }

    /// Whether a new category may be created as drafted.
    pub fn check_insert(&self, draft: &CategoryDraft) -> Result<(), CategoryError> {
        if self.nodes.len() >= MAX_CATEGORIES {
            return Err(CategoryError::TooMany);
        }
        let name = checked_name(&draft.name)?;
        let depth = match draft.parent {
            Some(parent) => self.depth(parent)? + 1,
            None => 1,
        };
        if depth > MAX_DEPTH {
            return Err(CategoryError::TooDeep(depth));
        }
        self.check_sibling_name(draft.parent, name, None)
    }

    /// The category moved under `parent` (a root for `None`), placed last among its new
    /// siblings. Refused when it would create a cycle or make the subtree too deep.
    pub fn plan_move(
        &self,
        id: CategoryId,
        parent: Option<CategoryId>,
        now: DateTime<Utc>,
    ) -> Result<Category, CategoryError> {
        let category = self.get(id)?;
        let parent_depth = match parent {
            Some(parent) => {
                if self.path(parent)?.contains(&id) {
                    return Err(CategoryError::Cycle(id));
                }
                self.depth(parent)?
            }
            None => 0,
        };
        let depth = parent_depth + self.height(id);
        if depth > MAX_DEPTH {
            return Err(CategoryError::TooDeep(depth));
        }
        self.check_sibling_name(parent, &category.name, Some(id))?;
        let last = self
            .children(parent)
            .iter()
            .filter(|sibling| sibling.id != id)
            .map(|sibling| sibling.sort_order)
            .max();
        Ok(Category {
            parent,
            sort_order: last.map_or(0, |last| last.saturating_add(SORT_STEP)),
            updated_at: now,
            ..category.clone()
        })
    }

    /// The children of `parent` with sort orders following `ordered`, which must name each
    /// of them exactly once. Only the categories whose order changes are returned.
    pub fn plan_reorder(
        &self,
        parent: Option<CategoryId>,
        ordered: &[CategoryId],
        now: DateTime<Utc>,
    ) -> Result<Vec<Category>, CategoryError> {
        let children: BTreeSet<CategoryId> =
            self.children(parent).iter().map(|child| child.id).collect();
        let asked: BTreeSet<CategoryId> = ordered.iter().copied().collect();
        if asked.len() != ordered.len() || asked != children {
            return Err(CategoryError::NotTheChildren);
        }
        let mut changed = Vec::new();
        for (position, id) in ordered.iter().enumerate() {
            let sort_order = i32::try_from(position + 1)
                .unwrap_or(i32::MAX / SORT_STEP)
                .saturating_mul(SORT_STEP);
            let category = self.get(*id)?;
            if category.sort_order != sort_order {
                changed.push(Category {
                    sort_order,
                    updated_at: now,
                    ..category.clone()
                });
            }
        }
        Ok(changed)
    }

    /// The category renamed (unique among its siblings).
    pub fn plan_rename(
        &self,
        id: CategoryId,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Category, CategoryError> {
        let category = self.get(id)?;
        let name = checked_name(name)?;
        self.check_sibling_name(category.parent, name, Some(id))?;
        Ok(Category {
            name: name.to_owned(),
            updated_at: now,
            ..category.clone()
        })
    }

    /// The category switched on or off. Its descendants keep their own switches, so turning
    /// a parent back on shows again exactly what was shown before.
    pub fn plan_enable(
        &self,
        id: CategoryId,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> Result<Category, CategoryError> {
        let category = self.get(id)?;
        Ok(Category {
            enabled,
            updated_at: now,
            ..category.clone()
        })
    }

    fn check_sibling_name(
        &self,
        parent: Option<CategoryId>,
        name: &str,
        except: Option<CategoryId>,
    ) -> Result<(), CategoryError> {
        let taken = self.children(parent).iter().any(|sibling| {
            Some(sibling.id) != except && sibling.name.trim().eq_ignore_ascii_case(name)
        });
        if taken {
            Err(CategoryError::DuplicateName(name.to_owned()))
        } else {
            Ok(())
        }
    }
}

fn checked_name(raw: &str) -> Result<&str, CategoryError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_MAX_CHARS {
        return Err(CategoryError::InvalidName);
    }
    Ok(name)
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CategoryRepository: Send + Sync {
    /// Every category, and the tree's revision.
    async fn snapshot(&self) -> Result<CategorySnapshot, RepositoryError>;

    /// Inserts a category (name trimmed) if the tree is still at `revision`, and moves the
    /// revision on; `None` when someone changed the tree first (nothing written).
    async fn insert(
        &self,
        revision: i64,
        draft: &CategoryDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<Category>, RepositoryError>;

    /// Writes `changed` (existing ids) if the tree is still at `revision`, all or none, and
    /// moves the revision on.
    async fn update(
        &self,
        revision: i64,
        changed: &[Category],
    ) -> Result<CasOutcome, RepositoryError>;
}
