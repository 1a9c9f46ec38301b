//! `GET /orders/my`, first page.

use crate::bench::api::openid;
use crate::bench::error::BenchError;
use crate::bench::load::closed_loop;
use crate::bench::run::{Run, USERS};

impl Run {
    pub(super) async fn my_orders(&mut self) -> Result<(), BenchError> {
        if self.created.is_empty() {
            let made = self.new_orders(USERS.min(self.options.orders)).await?;
            self.created.extend(made);
        }
        let users: Vec<String> = (0..self.options.orders)
            .map(|i| openid(i % USERS.min(self.next_user.max(1))))
            .collect();
        let api = self.api.clone();
        let result = closed_loop(users, self.concurrency(), move |users, index| {
            let api = api.clone();
            async move { api.my_orders(&users[index]).await }
        })
        .await;
        self.report
            .load_rows("`GET /orders/my` (page of 10)", &result);
        Ok(())
    }
}
