//! Order creation (`POST /orders`), the price list warm.

use std::sync::{Arc, Mutex};

use crate::bench::error::BenchError;
use crate::bench::load::closed_loop;
use crate::bench::run::Run;

impl Run {
    pub(super) async fn create(&mut self) -> Result<(), BenchError> {
        // Warm-up, not timed: connections open, the price list fetched once.
        let warm = self.concurrency();
        let warmed = self.new_orders(warm).await?;
        self.created.extend(warmed);
        let users = self.users(self.options.orders);
        let created = Arc::new(Mutex::new(Vec::with_capacity(users.len())));
        let api = self.api.clone();
        let sink = Arc::clone(&created);
        let result = closed_loop(users, self.concurrency(), move |users, index| {
            let api = api.clone();
            let sink = Arc::clone(&sink);
            async move {
                let user = &users[index];
                let number = api.create_order(user).await?;
                if let Ok(mut sink) = sink.lock() {
                    sink.push((number, user.clone()));
                }
                Ok(())
            }
        })
        .await;
        if let Ok(mut created) = created.lock() {
            self.created.append(&mut created);
        }
        self.report
            .load_rows("order creation (`POST /orders`)", &result);
        Ok(())
    }
}
