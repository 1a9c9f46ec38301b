//! Reading orders for the back office: any order by number, its history, the list of all.
//! Only reads; what a customer may see of their own orders is `OrderService`'s.

use std::sync::Arc;

use crate::order::{Order, OrderEvent, OrderNumber};
use crate::ports::{OrderFilter, OrderRepository, Page, PageRequest};

use super::ServiceError;

/// An order and every change it went through, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderHistory {
    pub order: Order,
    pub events: Vec<OrderEvent>,
}

pub struct OrderQueries {
    orders: Arc<dyn OrderRepository>,
}

impl OrderQueries {
    pub fn new(orders: Arc<dyn OrderRepository>) -> Self {
        OrderQueries { orders }
    }

    /// The order as stored now; `NotFound` when no order has this number.
    pub async fn find(&self, number: &OrderNumber) -> Result<Order, ServiceError> {
        self.orders
            .find(number)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("order {number} not found")))
    }

    /// The order with its history; `NotFound` when no order has this number.
    pub async fn history(&self, number: &OrderNumber) -> Result<OrderHistory, ServiceError> {
        let order = self.find(number).await?;
        let events = self.orders.events(number).await?;
        Ok(OrderHistory { order, events })
    }

    /// Every customer's orders that `filter` matches, newest first.
    pub async fn list_all(
        &self,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, ServiceError> {
        if page.page == 0 || page.limit == 0 || page.limit > PageRequest::MAX_LIMIT {
            return Err(ServiceError::Validation(format!(
                "page must be at least 1 and limit between 1 and {}",
                PageRequest::MAX_LIMIT
            )));
        }
        Ok(self.orders.list_all(filter, page).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{Actor, OrderEvent};
    use crate::ports::{MockOrderRepository, RepositoryError};
    use crate::testing::{order_number, t0, unpaid_order};

    fn queries(orders: MockOrderRepository) -> OrderQueries {
        OrderQueries::new(Arc::new(orders))
    }

    fn storage_down() -> RepositoryError {
        RepositoryError::Unavailable("connection refused".to_owned())
    }

    #[tokio::test]
    async fn an_order_is_found_by_its_number() {
        let order = unpaid_order();
        let stored = order.clone();
        let mut orders = MockOrderRepository::new();
        orders
            .expect_find()
            .withf(move |number| *number == stored.number)
            .returning(move |_| Ok(Some(unpaid_order())));
        assert_eq!(queries(orders).find(&order.number).await.unwrap(), order);
    }

    #[tokio::test]
    async fn a_number_without_an_order_is_not_found() {
        let mut orders = MockOrderRepository::new();
        orders.expect_find().returning(|_| Ok(None));
        orders.expect_events().never();
        let number = order_number(7);
        let error = queries(orders).history(&number).await.unwrap_err();
        match error {
            ServiceError::NotFound(message) => {
                assert_eq!(message, format!("order {number} not found"));
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_history_comes_with_the_order() {
        let order = unpaid_order();
        let event = OrderEvent {
            order_number: order.number.clone(),
            from: order.state(),
            to: order.state(),
            actor: Actor::System,
            reason: "created".to_owned(),
            at: t0(),
        };
        let events = vec![event];
        let answer = events.clone();
        let mut orders = MockOrderRepository::new();
        orders
            .expect_find()
            .returning(move |_| Ok(Some(unpaid_order())));
        orders
            .expect_events()
            .returning(move |_| Ok(answer.clone()));
        let history = queries(orders).history(&order.number).await.unwrap();
        assert_eq!(history, OrderHistory { order, events });
    }

    #[tokio::test]
    async fn storage_failures_are_unavailable() {
        let mut orders = MockOrderRepository::new();
        orders.expect_find().returning(|_| Err(storage_down()));
        orders
            .expect_list_all()
            .returning(|_, _| Err(storage_down()));
        let queries = queries(orders);
        assert!(matches!(
            queries.find(&order_number(1)).await,
            Err(ServiceError::Unavailable(_))
        ));
        assert!(matches!(
            queries
                .list_all(&OrderFilter::default(), PageRequest { page: 1, limit: 10 })
                .await,
            Err(ServiceError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn the_list_passes_filter_and_page_through() {
        let filter = OrderFilter {
            only_anomalies: true,
            ..OrderFilter::default()
        };
        let expected = filter.clone();
        let mut orders = MockOrderRepository::new();
        orders
            .expect_list_all()
            .withf(move |filter, page| {
                *filter == expected && *page == PageRequest { page: 2, limit: 5 }
            })
            .returning(|_, page| {
                Ok(Page {
                    items: vec![unpaid_order()],
                    total: 6,
                    page: page.page,
                    limit: page.limit,
                })
            });
        let page = queries(orders)
            .list_all(&filter, PageRequest { page: 2, limit: 5 })
            .await
            .unwrap();
        assert_eq!((page.items.len(), page.total, page.page), (1, 6, 2));
    }

    #[tokio::test]
    async fn an_impossible_page_is_refused_before_storage_is_asked() {
        for page in [
            PageRequest { page: 0, limit: 10 },
            PageRequest { page: 1, limit: 0 },
            PageRequest {
                page: 1,
                limit: PageRequest::MAX_LIMIT + 1,
            },
        ] {
            let mut orders = MockOrderRepository::new();
            orders.expect_list_all().never();
            let error = queries(orders)
                .list_all(&OrderFilter::default(), page)
                .await
                .unwrap_err();
            assert!(matches!(error, ServiceError::Validation(_)), "{page:?}");
        }
    }
}
