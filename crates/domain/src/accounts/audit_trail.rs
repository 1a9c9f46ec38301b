//! Reading the audit trail, and recording the actions that change nothing else (revealing a
//! customer's phone number).

use std::sync::Arc;

use super::admin_error::AdminError;
use super::audit::{AdminAct, AuditAction, AuditFilter, AuditLog, AuditRecord};
use super::permissions::{Permission, allows};
use crate::order::OrderNumber;
use crate::ports::{Clock, Page, PageRequest};

pub struct AuditTrail {
    log: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
}

impl AuditTrail {
    pub fn new(log: Arc<dyn AuditLog>, clock: Arc<dyn Clock>) -> Self {
        AuditTrail { log, clock }
    }

    /// Newest first.
    pub async fn list(
        &self,
        act: &AdminAct,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<AuditRecord>, AdminError> {
        ensure(act, Permission::ViewAudit)?;
        if page.page == 0 || page.limit == 0 || page.limit > PageRequest::MAX_LIMIT {
            return Err(AdminError::Validation(format!(
                "page must be at least 1 and limit between 1 and {}",
                PageRequest::MAX_LIMIT
            )));
        }
        if let (Some(from), Some(before)) = (filter.from, filter.before)
            && from >= before
        {
            return Err(AdminError::Validation(
                "from must be before before".to_owned(),
            ));
        }
        Ok(self.log.list(filter, page).await?)
    }

    /// Records that `act` is about to see an order's full phone number. The number is shown
    /// only once this succeeded, so no reveal goes unrecorded.
    pub async fn record_phone_reveal(
        &self,
        act: &AdminAct,
        order: &OrderNumber,
    ) -> Result<(), AdminError> {
        ensure(act, Permission::RevealPhoneNumbers)?;
        let entry = act.entry(
            AuditAction::PhoneReveal,
            order.as_str(),
            None,
            None,
            None,
            self.clock.now(),
        );
        self.log.record(&entry).await?;
        tracing::info!(order = %order, by = %act.actor.username, "phone number revealed");
        Ok(())
    }
}

fn ensure(act: &AdminAct, permission: Permission) -> Result<(), AdminError> {
    if allows(act.actor.role, permission) {
        Ok(())
    } else {
        Err(AdminError::Forbidden(format!(
            "role {} lacks the permission {permission}",
            act.actor.role
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::admins::{AdminId, Role};
    use crate::accounts::audit::AuditActor;
    use crate::accounts::fakes::AuditRows;
    use crate::ports::MockClock;
    use crate::testing::{order_number, t0};

    fn trail(rows: &AuditRows) -> AuditTrail {
        let mut clock = MockClock::new();
        clock.expect_now().returning(t0);
        AuditTrail::new(Arc::new(rows.clone()), Arc::new(clock))
    }

    fn act(role: Role) -> AdminAct {
        AdminAct::new(
            AuditActor {
                admin_id: Some(AdminId(3)),
                username: "carol".to_owned(),
                role,
            },
            None,
        )
    }

    #[tokio::test]
    async fn a_reveal_is_recorded_for_roles_that_may_reveal_only() {
        let rows = AuditRows::default();
        let trail = trail(&rows);
        trail
            .record_phone_reveal(&act(Role::Admin), &order_number(1))
            .await
            .unwrap();
        let refused = trail
            .record_phone_reveal(&act(Role::Operator), &order_number(1))
            .await
            .unwrap_err();
        assert!(matches!(refused, AdminError::Forbidden(_)));
        let all = rows.all();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].action, AuditAction::PhoneReveal);
        assert_eq!(all[0].target_id, order_number(1).as_str());
    }

    #[tokio::test]
    async fn the_trail_is_listed_with_valid_pages_and_ranges() {
        let rows = AuditRows::default();
        let trail = trail(&rows);
        trail
            .record_phone_reveal(&act(Role::SuperAdmin), &order_number(2))
            .await
            .unwrap();
        let page = trail
            .list(
                &act(Role::Viewer),
                &AuditFilter::default(),
                PageRequest { page: 1, limit: 10 },
            )
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        for bad in [
            PageRequest { page: 0, limit: 10 },
            PageRequest {
                page: 1,
                limit: 101,
            },
        ] {
            assert!(matches!(
                trail
                    .list(&act(Role::Viewer), &AuditFilter::default(), bad)
                    .await,
                Err(AdminError::Validation(_))
            ));
        }
        let backwards = AuditFilter {
            from: Some(t0()),
            before: Some(t0()),
            ..AuditFilter::default()
        };
        assert!(matches!(
            trail
                .list(
                    &act(Role::Viewer),
                    &backwards,
                    PageRequest { page: 1, limit: 10 }
                )
                .await,
            Err(AdminError::Validation(_))
        ));
    }
}
