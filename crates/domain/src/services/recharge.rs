//! Topping the number up: exactly one submission per order, whatever happens.
//!
//! The claim (`pending → submitting`) is durably won before the request leaves. A claim
//! whose answer was never recorded becomes `unknown` and is never sent again.

use chrono::Duration;

use crate::accounts::audit::{AdminAct, AuditAction, order_state_view};
use crate::order::{
    Actor, Order, OrderNumber, RechargeStatus, Resolution, TopUpResult, Transition,
};
use crate::ports::{
    AlertLevel, CasOutcome, TopUpAccepted, TopUpError, TopUpRequest, TransactionCheck, WorkQueue,
};

use super::{MAX_RACE_RETRIES, Ports, ServiceError, Work};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchOutcome {
    /// This caller sent the top-up; the order is now in this state.
    Submitted(RechargeStatus),
    /// Another worker claimed it first; nothing was sent.
    AlreadyClaimed,
    /// Not a paid order waiting for its top-up.
    NotDispatchable(RechargeStatus),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub examined: usize,
    pub changed: usize,
    /// The cursor the next run passes as `after`: the last candidate when the page was full,
    /// `None` when the queue's end was reached (the next run starts from the oldest).
    pub next: Option<OrderNumber>,
}

impl SweepReport {
    /// Nothing changed yet among these candidates.
    pub fn of<T>(candidates: &[T], next: Option<OrderNumber>) -> Self {
        SweepReport {
            examined: candidates.len(),
            changed: 0,
            next,
        }
    }
}

/// Paid orders waiting for their top-up, and where the next page starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnclaimedPage {
    pub orders: Vec<OrderNumber>,
    /// `None` when the queue's end was reached.
    pub next: Option<OrderNumber>,
}

/// What a claim attempt came to: lost means the order was not as given (nothing was sent).
enum Claimed {
    Done(DispatchOutcome),
    Lost,
}

pub struct RechargeService {
    ports: Ports,
}

impl RechargeService {
    pub fn new(ports: Ports) -> Self {
        RechargeService { ports }
    }

    /// Claims the order and sends its top-up once (reads the order first: the job path).
    pub async fn dispatch(&self, number: &OrderNumber) -> Result<DispatchOutcome, ServiceError> {
        let order = self.read(number).await?;
        match self.claim_and_send(order).await? {
            Claimed::Done(outcome) => Ok(outcome),
            Claimed::Lost => Ok(DispatchOutcome::AlreadyClaimed),
        }
    }

    /// [`Self::dispatch`] for a caller that holds the order as it just wrote it (the
    /// payment callback), without reading it back. The claim is a compare-and-set on the
    /// version, so an order that changed meanwhile only loses the claim; then the order is
    /// read once and the claim tried again, so that a concurrent change that claims nothing
    /// (e.g. an anomaly flag) does not leave it unclaimed, while a claim won elsewhere still
    /// makes this `AlreadyClaimed` or `NotDispatchable`, and the top-up is sent at most once.
    pub async fn dispatch_order(&self, order: Order) -> Result<DispatchOutcome, ServiceError> {
        let number = order.number.clone();
        match self.claim_and_send(order).await? {
            Claimed::Done(outcome) => Ok(outcome),
            Claimed::Lost => self.dispatch(&number).await,
        }
    }

    async fn read(&self, number: &OrderNumber) -> Result<Order, ServiceError> {
        self.ports
            .orders
            .find(number)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order {number} not found")))
    }

    /// Claims `order` as given and, if won, sends its top-up once and records the answer.
    async fn claim_and_send(&self, order: Order) -> Result<Claimed, ServiceError> {
        let Ok(claim) = order.claim_recharge(self.ports.clock.now()) else {
            return Ok(Claimed::Done(DispatchOutcome::NotDispatchable(
                order.recharge_status,
            )));
        };
        match self.ports.orders.apply(&claim).await? {
            CasOutcome::Won => {}
            CasOutcome::Lost => return Ok(Claimed::Lost),
        }
        let number = &order.number;
        let claimed = claim.order;
        let request = TopUpRequest {
            journal_id: claimed.number.clone(),
            msisdn: claimed.msisdn.clone(),
            kind: claimed.product.kind,
            product_code: claimed.product.code.clone(),
            amount: claimed.product.price,
        };
        tracing::info!(order = %number, msisdn = %claimed.msisdn.masked(), kind = %claimed.product.kind, "sending top-up");
        let result = match self.ports.provider.top_up(&request).await {
            Ok(TopUpAccepted::Succeeded {
                seq,
                sv_id: _,
                receipt,
            }) => TopUpResult::Succeeded { seq, receipt },
            Ok(TopUpAccepted::Pending { seq }) => TopUpResult::Pending { seq },
            Err(TopUpError::Rejected { code, message }) => TopUpResult::Failed {
                reason: format!("{code}: {message}"),
            },
            Err(TopUpError::OutcomeUnknown(reason)) => TopUpResult::Unknown { reason },
            Err(TopUpError::NotSent(reason)) => TopUpResult::NotSent { reason },
        };
        let status = self.record(&claimed, &result).await.inspect_err(|error| {
            // The answer is known only to this log line now; the sweep will mark the order
            // unknown and a person can use this to resolve it.
            tracing::error!(order = %number, result = %result_for_logs(&result), %error, "top-up answer could not be stored");
        })?;
        Ok(Claimed::Done(DispatchOutcome::Submitted(status)))
    }

    /// Stores the provider's answer on the freshest order: a concurrent anomaly flag only
    /// moves the version, and a stale sweep may have marked the claim unknown meanwhile, in
    /// which case the late answer resolves it.
    async fn record(
        &self,
        claimed: &Order,
        result: &TopUpResult,
    ) -> Result<RechargeStatus, ServiceError> {
        let mut current = claimed.clone();
        for _ in 0..MAX_RACE_RETRIES {
            let now = self.ports.clock.now();
            let transition = match current.recharge_status {
                RechargeStatus::Submitting => current.record_top_up(result, now)?,
                RechargeStatus::Unknown => {
                    let resolution = match result {
                        TopUpResult::Succeeded { .. } => Resolution::Succeeded,
                        TopUpResult::Failed { .. } => Resolution::Failed,
                        // Still unknown: a person decides (a "not sent" on a swept claim
                        // is not trusted to make it sendable again).
                        TopUpResult::Pending { .. }
                        | TopUpResult::Unknown { .. }
                        | TopUpResult::NotSent { .. } => {
                            return Ok(self.answer_too_late(&current, result));
                        }
                    };
                    match current.resolve(
                        resolution,
                        Actor::System,
                        "late provider answer after the claim was marked unknown",
                        now,
                    ) {
                        Ok(transition) => transition,
                        Err(refused) => {
                            // E.g. topped up after all while a person is refunding it.
                            self.ports.alert(
                                AlertLevel::Critical,
                                &format!("order {}: late top-up answer conflicts", current.number),
                                &format!(
                                    "provider answered {} after the order became {}/{}: {refused}; check the refund",
                                    result_for_logs(result), current.payment_status, current.recharge_status
                                ),
                            )
                            .await;
                            return Ok(self.answer_too_late(&current, result));
                        }
                    }
                }
                RechargeStatus::NotStarted
                | RechargeStatus::Pending
                | RechargeStatus::Confirming
                | RechargeStatus::Success
                | RechargeStatus::Failed => return Ok(self.answer_too_late(&current, result)),
            };
            if self.apply(&transition).await? {
                // A late answer on an `unknown` order was alerted when it became unknown.
                if transition.event.from.recharge == RechargeStatus::Submitting {
                    self.alert_outcome(&transition.order, result).await;
                }
                return Ok(transition.order.recharge_status);
            }
            current = self
                .ports
                .orders
                .find(&claimed.number)
                .await?
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("order {} vanished", claimed.number))
                })?;
        }
        Err(ServiceError::Unavailable(format!(
            "order {} kept changing; top-up answer not stored",
            claimed.number
        )))
    }

    fn answer_too_late(&self, current: &Order, result: &TopUpResult) -> RechargeStatus {
        tracing::warn!(order = %current.number, result = %result_for_logs(result), now = %current.recharge_status, "top-up answer arrived after the order moved on");
        current.recharge_status
    }

    async fn apply(&self, transition: &Transition) -> Result<bool, ServiceError> {
        Ok(self.ports.orders.apply(transition).await? == CasOutcome::Won)
    }

    async fn alert_outcome(&self, order: &Order, result: &TopUpResult) {
        let (level, what) = match result {
            TopUpResult::Succeeded { .. } | TopUpResult::Pending { .. } => return,
            // Retried every minute while the provider is unreachable: the backlog alert
            // covers an outage, one alert per attempt would drown it.
            TopUpResult::NotSent { reason } => {
                tracing::warn!(order = %order.number, reason, "top-up not sent; queued again");
                return;
            }
            TopUpResult::Failed { reason } => {
                (AlertLevel::Warning, format!("top-up failed: {reason}"))
            }
            TopUpResult::Unknown { reason } => (
                AlertLevel::Critical,
                format!("top-up outcome unknown ({reason}); not re-sent, check with Unitel"),
            ),
        };
        self.ports
            .alert(level, &format!("order {}", order.number), &what)
            .await;
    }

    /// A page of paid orders whose top-up was never claimed (a crash between payment and
    /// dispatch, or a backlog), oldest first; the caller dispatches each, in parallel if it
    /// bounds how many are in flight.
    pub async fn unclaimed(
        &self,
        older_than: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<UnclaimedPage, ServiceError> {
        let Work { orders, next } = self
            .ports
            .work(WorkQueue::PaidUnclaimed, older_than, after, limit)
            .await?;
        Ok(UnclaimedPage {
            orders: orders.into_iter().map(|order| order.number).collect(),
            next,
        })
    }

    /// Dispatches one page of [`Self::unclaimed`] orders, one after the other.
    pub async fn dispatch_unclaimed(
        &self,
        older_than: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<SweepReport, ServiceError> {
        let UnclaimedPage { orders, next } = self.unclaimed(older_than, after, limit).await?;
        let mut report = SweepReport::of(&orders, next);
        for number in orders {
            match self.dispatch(&number).await {
                Ok(DispatchOutcome::Submitted(_)) => report.changed += 1,
                Ok(DispatchOutcome::AlreadyClaimed | DispatchOutcome::NotDispatchable(_)) => {}
                Err(error) => tracing::warn!(order = %number, %error, "dispatch failed"),
            }
        }
        Ok(report)
    }

    /// Claims older than `stale_after` with no recorded answer: the worker died mid-call.
    /// They become `unknown` — never re-sent.
    pub async fn sweep_stale_submissions(
        &self,
        stale_after: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<SweepReport, ServiceError> {
        let Work { orders, next } = self
            .ports
            .work(WorkQueue::StaleSubmissions, stale_after, after, limit)
            .await?;
        let mut report = SweepReport::of(&orders, next);
        for order in orders {
            let result = TopUpResult::Unknown {
                reason: format!(
                    "claimed at {} and no answer was recorded",
                    order
                        .recharge_at
                        .map(|at| at.to_rfc3339())
                        .unwrap_or_default()
                ),
            };
            let transition = match order.record_top_up(&result, self.ports.clock.now()) {
                Ok(transition) => transition,
                // Moved on since it was selected: nothing to sweep.
                Err(_) => continue,
            };
            if self.apply(&transition).await? {
                report.changed += 1;
                self.alert_outcome(&transition.order, &result).await;
            }
        }
        Ok(report)
    }

    /// Asks the provider about accepted top-ups awaiting confirmation.
    pub async fn confirm_pending(
        &self,
        older_than: Duration,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<SweepReport, ServiceError> {
        let Work { orders, next } = self
            .ports
            .work(WorkQueue::Confirming, older_than, after, limit)
            .await?;
        let mut report = SweepReport::of(&orders, next);
        for order in orders {
            let Some(seq) = order.seq_id.clone() else {
                tracing::error!(order = %order.number, "confirming without a seq");
                continue;
            };
            let result = match self.ports.provider.check_transaction(&seq).await {
                Ok(TransactionCheck::Succeeded { receipt }) => TopUpResult::Succeeded {
                    seq: Some(seq),
                    receipt,
                },
                Ok(TransactionCheck::Failed { code, message }) => TopUpResult::Failed {
                    reason: format!("{code}: {message}"),
                },
                Ok(TransactionCheck::StillPending) => continue,
                Err(error) => {
                    tracing::warn!(order = %order.number, %error, "confirmation deferred");
                    continue;
                }
            };
            let Ok(transition) = order.record_top_up(&result, self.ports.clock.now()) else {
                continue;
            };
            if self.apply(&transition).await? {
                report.changed += 1;
                self.alert_outcome(&transition.order, &result).await;
            }
        }
        Ok(report)
    }

    /// A person (or reconciliation) decides an `unknown` or `failed` top-up.
    pub async fn resolve(
        &self,
        number: &OrderNumber,
        resolution: Resolution,
        actor: Actor,
        reason: &str,
    ) -> Result<Order, ServiceError> {
        self.decide(number, resolution, actor, reason, None).await
    }

    /// An admin decides an `unknown` or `failed` top-up; the audit row is written with the
    /// change.
    pub async fn resolve_by_admin(
        &self,
        number: &OrderNumber,
        resolution: Resolution,
        act: &AdminAct,
        reason: &str,
    ) -> Result<Order, ServiceError> {
        self.decide(number, resolution, act.order_actor(), reason, Some(act))
            .await
    }

    async fn decide(
        &self,
        number: &OrderNumber,
        resolution: Resolution,
        actor: Actor,
        reason: &str,
        act: Option<&AdminAct>,
    ) -> Result<Order, ServiceError> {
        if reason.trim().is_empty() {
            return Err(ServiceError::Validation("a reason is required".to_owned()));
        }
        let order = self
            .ports
            .orders
            .find(number)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order {number} not found")))?;
        let now = self.ports.clock.now();
        let mut transition = order.resolve(resolution, actor, reason, now)?;
        if let Some(act) = act {
            let entry = act.entry(
                AuditAction::OrderResolve,
                number.as_str(),
                Some(reason),
                Some(order_state_view(transition.event.from)),
                Some(order_state_view(transition.event.to)),
                now,
            );
            transition = transition.audited(entry);
        }
        if self.apply(&transition).await? {
            Ok(transition.order)
        } else {
            Err(ServiceError::Conflict(format!(
                "order {number} changed meanwhile; try again"
            )))
        }
    }
}

/// A provider's answer for a log line or an alert: the whole of it (a person may need it to
/// resolve the order), with any phone number in it — a receipt's customer number, a
/// message repeating the number — masked.
fn result_for_logs(result: &TopUpResult) -> String {
    crate::privacy::scrub_phone_numbers(&format!("{result:?}"))
}
