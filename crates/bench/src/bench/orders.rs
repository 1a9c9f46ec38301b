//! The orders a scenario needs, made before it is timed, and the count of topped-up orders
//! it waits on.

use std::time::{Duration, Instant};

use futures::StreamExt;
use sea_orm::ConnectionTrait;

use super::api::{PreparedOrder, openid};
use super::error::{self, BenchError};
use super::run::{Run, USERS};
use super::sql::statement;

/// `f(item)` for every item, `concurrency` at a time (preparation: not timed).
pub(super) async fn for_each_concurrent<T, R, F, Fut>(
    items: Vec<T>,
    concurrency: usize,
    f: F,
) -> Result<Vec<R>, BenchError>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<R, BenchError>>,
{
    let results: Vec<Result<R, BenchError>> = futures::stream::iter(items.into_iter().map(f))
        .buffered(concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

impl Run {
    /// Users for `count` new orders, round-robin over [`USERS`].
    pub(super) fn users(&mut self, count: usize) -> Vec<String> {
        let users = (0..count)
            .map(|i| openid((self.next_user + i) % USERS))
            .collect();
        self.next_user += count;
        users
    }

    /// Creates `count` unpaid orders (not timed): (number, openid).
    pub(super) async fn new_orders(
        &mut self,
        count: usize,
    ) -> Result<Vec<(String, String)>, BenchError> {
        let users = self.users(count);
        let api = self.api.clone();
        for_each_concurrent(users, self.concurrency(), |user| {
            let api = api.clone();
            async move {
                let number = api.create_order(&user).await?;
                Ok::<_, BenchError>((number, user))
            }
        })
        .await
    }

    /// Payment created and paid in the simulator without a notification (not timed).
    pub(super) async fn pay_in_simulator(
        &self,
        orders: Vec<(String, String)>,
    ) -> Result<Vec<PreparedOrder>, BenchError> {
        let api = self.api.clone();
        for_each_concurrent(orders, self.concurrency(), |(number, user)| {
            let api = api.clone();
            async move {
                api.create_payment(&user, &number).await?;
                let (transaction, fee) = api.pay_without_callback(&number).await?;
                Ok::<_, BenchError>(PreparedOrder {
                    number,
                    openid: user,
                    transaction_id: Some(transaction),
                    total_fee: fee,
                })
            }
        })
        .await
    }

    /// `count` orders ready for their callback: from `create` when there are, else new.
    pub(super) async fn prepared(
        &mut self,
        count: usize,
    ) -> Result<Vec<PreparedOrder>, BenchError> {
        let take = count.min(self.created.len());
        let mut orders: Vec<(String, String)> = self.created.drain(..take).collect();
        if orders.len() < count {
            let more = self.new_orders(count - orders.len()).await?;
            orders.extend(more);
        }
        self.pay_in_simulator(orders).await
    }

    pub(super) async fn count_success(&self) -> Result<i64, BenchError> {
        let row = self
            .db
            .query_one_raw(statement(
                self.engine,
                "SELECT COUNT(*) AS n FROM \"orders\" WHERE \"recharge_status\" = ?",
                vec!["success".into()],
            ))
            .await
            .map_err(error::sql("counting topped-up orders"))?
            .ok_or(BenchError::NoRow("COUNT answered no row"))?;
        row.try_get::<i64>("", "n")
            .map_err(error::sql("reading the count"))
    }

    /// Polls until `count` orders more than `before` are topped up or `limit` passes: (time
    /// since `from` when reached, the last count, polls made).
    pub(super) async fn wait_for_success(
        &self,
        before: i64,
        count: usize,
        from: Instant,
        limit: Duration,
    ) -> Result<(Option<Duration>, i64, i64), BenchError> {
        let target = before + i64::try_from(count).unwrap_or(i64::MAX);
        let mut polls = 0;
        loop {
            let done = self.count_success().await?;
            polls += 1;
            if done >= target {
                return Ok((Some(from.elapsed()), done, polls));
            }
            if from.elapsed() > limit {
                return Ok((None, done, polls));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
