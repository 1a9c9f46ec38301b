//! Storage ports.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::profile::Profile;
use crate::money::{ExchangeRate, Fen};
use crate::msisdn::Msisdn;
use crate::order::{
    AnomalyKind, OpenId, Order, OrderEvent, OrderNumber, PaymentStatus, RechargeKind,
    RechargeStatus, Transition,
};

use super::notification_log::{NotificationFilter, NotificationStatistics, NotificationStatsQuery};

#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The database could not be reached or did not answer in time; the change may be retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// Whether this caller's compare-and-set took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CasOutcome {
    /// The row matched the expected state and version, and was written.
    Won,
    /// Someone else changed the order first (or it no longer exists); nothing was written.
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based.
    pub page: u64,
    pub limit: u64,
}

impl PageRequest {
    pub const MAX_LIMIT: u64 = 100;

    pub fn offset(self) -> u64 {
        self.page.saturating_sub(1) * self.limit
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub limit: u64,
}

impl<T> Page<T> {
    pub fn total_pages(&self) -> u64 {
        if self.limit == 0 {
            0
        } else {
            self.total.div_ceil(self.limit)
        }
    }
}

/// Filters of the customer's "my orders" list; dates are inclusive days in UTC+8.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub payment_status: Option<PaymentStatus>,
    pub recharge_status: Option<RechargeStatus>,
    pub created_from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub created_before: Option<DateTime<Utc>>,
    pub anomaly: Option<AnomalyKind>,
    pub only_anomalies: bool,
    /// Orders for this phone number (the admin list's search). Numbers are stored
    /// encrypted; the adapter matches them through a keyed blind index.
    pub msisdn: Option<Msisdn>,
    /// Voice cards, data packages or postpaid bills.
    pub recharge_kind: Option<RechargeKind>,
}

/// The work queues of the scheduled jobs; each is served by an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkQueue {
    /// Paid, top-up pending and never claimed, paid before the cut-off.
    PaidUnclaimed,
    /// Claimed (`submitting`) before the cut-off and never finished: a worker died mid-call.
    StaleSubmissions,
    /// Accepted by the provider, awaiting confirmation, claimed before the cut-off.
    Confirming,
    /// Unpaid and created before the cut-off.
    ExpiredUnpaid,
    /// Paid and definitively failed: may be refunded.
    FailedPaid,
    /// Refund requested and not finished, requested before the cut-off.
    Refunding,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrderRepository: Send + Sync {
    /// Stores a new order; `Duplicate` if the number is taken.
    async fn insert(&self, order: &Order) -> Result<(), RepositoryError>;

    async fn find(&self, number: &OrderNumber) -> Result<Option<Order>, RepositoryError>;

    /// The single way any order changes: a conditional update on state and version, plus the
    /// event row, in one transaction.
    async fn apply(&self, transition: &Transition) -> Result<CasOutcome, RepositoryError>;

    /// A customer's orders, newest first.
    async fn list_for_user(
        &self,
        openid: &OpenId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, RepositoryError>;

    /// All orders for the admin, newest first.
    async fn list_all(
        &self,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, RepositoryError>;

    /// Candidates for a job, by order number ascending (oldest first: numbers start with
    /// the creation time), only those after `after` when given. The cursor lets a job go
    /// round the whole queue, so candidates that stay stuck cannot hide newer ones.
    /// Candidates are not claimed: the job claims each by a transition.
    async fn find_work(
        &self,
        queue: WorkQueue,
        cutoff: DateTime<Utc>,
        after: Option<OrderNumber>,
        limit: u64,
    ) -> Result<Vec<Order>, RepositoryError>;

    /// The order's history, oldest first.
    async fn events(&self, number: &OrderNumber) -> Result<Vec<OrderEvent>, RepositoryError>;
}

/// The identity WeChat Cloud Hosting injects into every mini-program call.
#[derive(Clone, PartialEq, Eq)]
pub struct WechatIdentity {
    pub openid: OpenId,
    pub unionid: Option<String>,
    pub appid: Option<String>,
}

/// Masked like the openid: a unionid names the person across apps.
impl std::fmt::Debug for WechatIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatIdentity")
            .field("openid", &self.openid)
            .field(
                "unionid",
                &self.unionid.as_deref().map(crate::privacy::mask_openid),
            )
            .field("appid", &self.appid)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub openid: OpenId,
    pub unionid: Option<String>,
    pub appid: Option<String>,
    /// Nickname, avatar and gender the shopper chose (all optional).
    pub profile: Profile,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Finds the user by unionid first, else upserts by openid, refreshing appid/unionid.
    /// Writes the row: callers that only identify use `ShopperService::recognise`, which
    /// reads first and writes only what changed.
    async fn upsert(
        &self,
        identity: &WechatIdentity,
        now: DateTime<Utc>,
    ) -> Result<User, RepositoryError>;

    async fn find(&self, openid: &OpenId) -> Result<Option<User>, RepositoryError>;

    async fn find_by_unionid(&self, unionid: &str) -> Result<Option<User>, RepositoryError>;

    /// Replaces the profile; `None` if there is no such user.
    async fn update_profile(
        &self,
        openid: &OpenId,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Option<User>, RepositoryError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRate {
    pub pair: String,
    pub rate: ExchangeRate,
    pub is_active: bool,
    pub updated_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ExchangeRateRepository: Send + Sync {
    async fn active(&self, pair: &str) -> Result<Option<StoredRate>, RepositoryError>;

    /// Sets the active rate of a pair if it still is `expected` (`None`: the pair has no
    /// rate yet, and is created), with `audit` (the admin's change) in the same
    /// transaction. `Lost` when someone changed it first: nothing is written.
    async fn set(
        &self,
        pair: &str,
        expected: Option<ExchangeRate>,
        rate: ExchangeRate,
        now: DateTime<Utc>,
        audit: Option<crate::accounts::audit::AuditEntry>,
    ) -> Result<CasOutcome, RepositoryError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Payment,
    Refund,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 2] = [NotificationKind::Payment, NotificationKind::Refund];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Payment => "payment",
            NotificationKind::Refund => "refund",
        }
    }
}

impl std::str::FromStr for NotificationKind {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        NotificationKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| format!("unknown notification kind {raw:?}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationOutcome {
    /// Received, not yet decided (a crash left it so).
    Received,
    Processed,
    Duplicate,
    /// Will never be accepted (wrong amount, unknown order, ...); acknowledged anyway.
    Rejected,
    /// An unsigned callback WeChat's own record does not confirm (a forgery, or a claim
    /// about a payment that does not stand): stored, acknowledged, and nothing else.
    Unconfirmed,
    /// Could not be handled now; WeChat was told to retry.
    Error,
}

impl NotificationOutcome {
    pub const ALL: [NotificationOutcome; 6] = [
        NotificationOutcome::Received,
        NotificationOutcome::Processed,
        NotificationOutcome::Duplicate,
        NotificationOutcome::Rejected,
        NotificationOutcome::Unconfirmed,
        NotificationOutcome::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationOutcome::Received => "received",
            NotificationOutcome::Processed => "processed",
            NotificationOutcome::Duplicate => "duplicate",
            NotificationOutcome::Rejected => "rejected",
            NotificationOutcome::Unconfirmed => "unconfirmed",
            NotificationOutcome::Error => "error",
        }
    }

    /// A later delivery with this outcome keeps the decision already logged (a duplicate,
    /// or an unconfirmed claim about a transaction that was processed).
    pub fn keeps_earlier_decision(self) -> bool {
        match self {
            NotificationOutcome::Duplicate | NotificationOutcome::Unconfirmed => true,
            NotificationOutcome::Received
            | NotificationOutcome::Processed
            | NotificationOutcome::Rejected
            | NotificationOutcome::Error => false,
        }
    }
}

impl std::str::FromStr for NotificationOutcome {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        NotificationOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == raw)
            .ok_or_else(|| format!("unknown notification outcome {raw:?}"))
    }
}

/// A callback as it arrived, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingNotification {
    pub channel: String,
    pub kind: NotificationKind,
    pub order_number: Option<String>,
    pub transaction_id: Option<String>,
    pub headers: serde_json::Value,
    pub raw_body: String,
    pub client_ip: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Where the log put a callback: a new row, or the row of the same transaction seen before
/// (whose retry count was raised).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedNotification {
    pub id: i64,
    pub seen_before: bool,
}

/// A callback with the outcome decided for it, logged in one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecidedNotification {
    pub notification: IncomingNotification,
    pub outcome: NotificationOutcome,
    pub error_message: Option<String>,
    pub processing_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRecord {
    pub id: i64,
    pub channel: String,
    pub kind: NotificationKind,
    pub order_number: Option<String>,
    pub transaction_id: Option<String>,
    pub outcome: NotificationOutcome,
    pub error_message: Option<String>,
    pub processing_ms: Option<i64>,
    pub retry_count: i32,
    pub client_ip: Option<String>,
    pub raw_body: String,
    pub created_at: DateTime<Utc>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PaymentNotificationLog: Send + Sync {
    /// Records a callback before it is processed; deduplicated on (channel, transaction_id, kind).
    async fn record(
        &self,
        notification: &IncomingNotification,
    ) -> Result<LoggedNotification, RepositoryError>;

    /// Records a callback with its outcome, in one statement, deduplicated on
    /// (channel, transaction_id, kind) like [`Self::record`]: a callback seen for the first
    /// time makes a new row; a repeat raises the retry count of the first row and replaces
    /// its outcome, except that a `Duplicate` repeat keeps the first decision (e.g.
    /// `processed`). The callback is acknowledged only once this (or
    /// [`crate::payments::PayOrderRepository::apply`]) succeeded.
    async fn record_decided(&self, decided: &DecidedNotification) -> Result<(), RepositoryError>;

    async fn set_outcome(
        &self,
        id: i64,
        outcome: NotificationOutcome,
        error_message: Option<String>,
        processing_ms: i64,
    ) -> Result<(), RepositoryError>;

    /// One stored callback.
    async fn find(&self, id: i64) -> Result<Option<NotificationRecord>, RepositoryError>;

    /// The callbacks `filter` matches, newest first.
    async fn list(
        &self,
        filter: &NotificationFilter,
        page: PageRequest,
    ) -> Result<Page<NotificationRecord>, RepositoryError>;

    /// The callbacks first received in `query`'s range, counted by outcome per UTC+8
    /// calendar day (every day the range touches, oldest first, days without any included)
    /// and overall, with their processing times. A callback counts once, under its current
    /// outcome, however often it was delivered.
    async fn statistics(
        &self,
        query: &NotificationStatsQuery,
    ) -> Result<NotificationStatistics, RepositoryError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Sent to the gateway (or about to be); the answer may not be known yet.
    Processing,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 3] = [
        RefundStatus::Processing,
        RefundStatus::Succeeded,
        RefundStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Processing => "processing",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }
}

impl std::str::FromStr for RefundStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        RefundStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| format!("unknown refund status {raw:?}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// `out_refund_no` at WeChat: derived from the order, so a refund is never requested twice.
    pub refund_no: String,
    pub order_number: OrderNumber,
    pub amount: Fen,
    pub reason: String,
    pub status: RefundStatus,
    pub gateway_refund_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RefundRepository: Send + Sync {
    /// `Duplicate` if this refund number exists.
    async fn insert(&self, refund: &Refund) -> Result<(), RepositoryError>;

    async fn find(&self, refund_no: &str) -> Result<Option<Refund>, RepositoryError>;

    /// The order's most recent refund attempt.
    async fn latest_for_order(
        &self,
        order_number: &OrderNumber,
    ) -> Result<Option<Refund>, RepositoryError>;

    /// Compare-and-set on status and version, like orders.
    async fn update(
        &self,
        refund: &Refund,
        expected_status: RefundStatus,
        expected_version: i32,
    ) -> Result<CasOutcome, RepositoryError>;
}

/// Aggregate figures for the admin dashboards and the daily report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderStatistics {
    pub total_orders: u64,
    pub by_payment_status: Vec<(String, u64)>,
    pub by_recharge_status: Vec<(String, u64)>,
    pub by_operator: Vec<(String, u64)>,
    pub by_recharge_kind: Vec<(String, u64)>,
    pub revenue_fen: i64,
    pub revenue_mnt: i64,
    pub revenue_by_day: Vec<(NaiveDate, i64)>,
    pub anomalies_by_day: Vec<(NaiveDate, String, u64)>,
    /// Paid to recharged, in seconds.
    pub recharge_delay_avg_secs: Option<i64>,
    pub recharge_delay_max_secs: Option<i64>,
    pub recharge_delay_min_secs: Option<i64>,
    /// Paid orders whose top-up is not settled.
    pub pending_backlog: u64,
    pub oldest_pending_paid_at: Option<DateTime<Utc>>,
    pub total_users: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatisticsQuery {
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    pub appid: Option<String>,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait StatisticsRepository: Send + Sync {
    async fn order_statistics(
        &self,
        query: &StatisticsQuery,
    ) -> Result<OrderStatistics, RepositoryError>;
}

/// Leases that keep a periodic job on one instance at a time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait JobLeases: Send + Sync {
    /// Takes or renews the lease of `job` for `holder` until `until`; false if another
    /// holder's lease has not expired.
    async fn acquire(
        &self,
        job: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;

    async fn release(&self, job: &str, holder: &str) -> Result<(), RepositoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_statuses_round_trip_through_storage() {
        for status in RefundStatus::ALL {
            assert_eq!(status.as_str().parse::<RefundStatus>(), Ok(status));
        }
        assert!("refunded".parse::<RefundStatus>().is_err());
        assert!("".parse::<RefundStatus>().is_err());
    }
}
