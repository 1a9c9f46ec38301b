//! The after-sales use cases: the buyer applies, ships back or withdraws; the merchant
//! approves, rejects, receives and refunds through the payments core, which reports back.

use std::sync::Arc;

use crate::accounts::audit::AuditEntry;
use crate::money::Fen;
use crate::order::{OpenId, OrderNumber};
use crate::payments::{RefundCommand, RefundOutcome};
use crate::ports::{CasOutcome, Clock, Page, PageRequest, RepositoryError};
use crate::services::ServiceError;
use crate::trade::orders::{MallOrderRepository, TradePayments, buyer_number, owned_by};

use super::model::{AfterSale, AfterSaleError, AfterSaleKey, Application, OrderBadge};
use super::ports::AfterSaleRepository;
use super::status::AfterSaleStatus;
use super::transition::AfterSaleEvent;

/// Lost races tolerated in one call before giving up (the caller retries).
const MAX_RACE_RETRIES: usize = 5;

#[derive(Debug, Clone, Copy)]
enum Reader<'a> {
    Staff,
    Buyer(&'a OpenId),
}

fn to_service(error: AfterSaleError) -> ServiceError {
    match error {
        AfterSaleError::Invalid(message) => ServiceError::Validation(message),
        AfterSaleError::NotAllowed(message) => ServiceError::Conflict(message),
        AfterSaleError::Transition(error) => ServiceError::Conflict(error.to_string()),
    }
}

fn race_lost(what: &str) -> ServiceError {
    ServiceError::Unavailable(format!("{what} kept changing; try again"))
}

pub struct AfterSaleService {
    orders: Arc<dyn MallOrderRepository>,
    after_sales: Arc<dyn AfterSaleRepository>,
    payments: Arc<dyn TradePayments>,
    clock: Arc<dyn Clock>,
}

impl AfterSaleService {
    pub fn new(
        orders: Arc<dyn MallOrderRepository>,
        after_sales: Arc<dyn AfterSaleRepository>,
        payments: Arc<dyn TradePayments>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        AfterSaleService {
            orders,
            after_sales,
            payments,
            clock,
        }
    }

    /// The buyer applies about one item of their order.
    pub async fn apply(
        &self,
        user: &OpenId,
        order_no: &str,
        application: &Application,
    ) -> Result<AfterSale, ServiceError> {
        let number = buyer_number(order_no)?;
        for _ in 0..MAX_RACE_RETRIES {
            let found = self.orders.find_for_buyer(&number, user).await?;
            let order = owned_by(found, user, &format!("order {number}"))?;
            let existing = self.after_sales.for_order(&number).await?;
            let after_sale = AfterSale::apply(&order, &existing, application, self.clock.now())
                .map_err(to_service)?;
            match self.after_sales.insert(&after_sale).await {
                Ok(()) => return Ok(after_sale),
                // Another application for the item was stored since it was read.
                Err(RepositoryError::Duplicate(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(race_lost(&format!(
            "line {} of order {number}",
            application.line
        )))
    }

    /// The buyer's order as they see it (售后中 while an after-sale is open) and its
    /// after-sales.
    pub async fn for_buyer_order(
        &self,
        user: &OpenId,
        order_no: &str,
    ) -> Result<(OrderBadge, Vec<AfterSale>), ServiceError> {
        let number = buyer_number(order_no)?;
        let found = self.orders.find_for_buyer(&number, user).await?;
        let order = owned_by(found, user, &format!("order {number}"))?;
        let after_sales = self.after_sales.for_order(&number).await?;
        Ok((OrderBadge::of(&order, &after_sales), after_sales))
    }

    async fn load(
        &self,
        key: &AfterSaleKey,
        reader: Reader<'_>,
    ) -> Result<AfterSale, ServiceError> {
        let what = format!("after-sale {key}");
        let found = self.after_sales.find(key).await?;
        match reader {
            Reader::Staff => {
                found.ok_or_else(|| ServiceError::NotFound(format!("{what} not found")))
            }
            Reader::Buyer(user) => owned_by(found, user, &what),
        }
    }

    async fn drive(
        &self,
        key: &AfterSaleKey,
        reader: Reader<'_>,
        event: &AfterSaleEvent,
    ) -> Result<AfterSale, ServiceError> {
        for _ in 0..MAX_RACE_RETRIES {
            let after_sale = self.load(key, reader).await?;
            let transition = after_sale
                .decide(event, self.clock.now())
                .map_err(to_service)?;
            if self.after_sales.apply(&transition).await? == CasOutcome::Won {
                return Ok(transition.after_sale);
            }
        }
        Err(race_lost(&format!("after-sale {key}")))
    }

    fn buyer_key(raw: &str) -> Result<AfterSaleKey, ServiceError> {
        AfterSaleKey::parse(raw)
            .ok_or_else(|| ServiceError::NotFound(format!("after-sale {raw} not found")))
    }

    pub async fn ship_back(
        &self,
        user: &OpenId,
        key: &str,
        carrier: &str,
        tracking_no: &str,
    ) -> Result<AfterSale, ServiceError> {
        let event = AfterSaleEvent::ShipBack {
            carrier: carrier.to_owned(),
            tracking_no: tracking_no.to_owned(),
        };
        self.drive(&Self::buyer_key(key)?, Reader::Buyer(user), &event)
            .await
    }

    pub async fn cancel(&self, user: &OpenId, key: &str) -> Result<AfterSale, ServiceError> {
        self.drive(
            &Self::buyer_key(key)?,
            Reader::Buyer(user),
            &AfterSaleEvent::Cancel,
        )
        .await
    }

    pub async fn approve(&self, key: &AfterSaleKey) -> Result<AfterSale, ServiceError> {
        self.drive(key, Reader::Staff, &AfterSaleEvent::Approve)
            .await
    }

    pub async fn reject(
        &self,
        key: &AfterSaleKey,
        reason: &str,
    ) -> Result<AfterSale, ServiceError> {
        let event = AfterSaleEvent::Reject {
            reason: reason.to_owned(),
        };
        self.drive(key, Reader::Staff, &event).await
    }

    /// The merchant received the goods back: restocked with the change.
    pub async fn receive(&self, key: &AfterSaleKey) -> Result<AfterSale, ServiceError> {
        self.drive(key, Reader::Staff, &AfterSaleEvent::Receive)
            .await
    }

    /// Marks the after-sale refunding (at most one per order), then asks the payments core
    /// to give the amount back. A refusal before anything was written at the core fails the
    /// refund (it may be tried again); an unknown outcome leaves it refunding until the core
    /// reports, so that one refund is never sent twice.
    pub async fn start_refund(
        &self,
        key: &AfterSaleKey,
        audit: Option<AuditEntry>,
    ) -> Result<AfterSale, ServiceError> {
        let refunding = self
            .drive(key, Reader::Staff, &AfterSaleEvent::StartRefund)
            .await?;
        let command = RefundCommand {
            out_trade_no: refunding.pay_order.clone(),
            amount: Some(refunding.amount),
            reason: format!("after-sale {key}: {}", refunding.reason),
            audit,
        };
        let event = match self.payments.refund(command).await {
            Ok(RefundOutcome::Refunded) => AfterSaleEvent::RefundSucceeded,
            Ok(RefundOutcome::Failed(reason)) => AfterSaleEvent::RefundFailed { reason },
            Ok(RefundOutcome::InProgress) => return Ok(refunding),
            Err(error @ (ServiceError::Validation(_) | ServiceError::NotFound(_))) => {
                AfterSaleEvent::RefundFailed {
                    reason: error.to_string(),
                }
            }
            Err(
                error @ (ServiceError::Conflict(_)
                | ServiceError::Unavailable(_)
                | ServiceError::Upstream(_)),
            ) => {
                tracing::warn!(after_sale = %key, %error, "refund outcome unknown: waiting for the payments core");
                return Ok(refunding);
            }
        };
        self.settle(key, &event).await
    }

    /// Settles a refunding after-sale; one settled meanwhile is returned as it is.
    async fn settle(
        &self,
        key: &AfterSaleKey,
        event: &AfterSaleEvent,
    ) -> Result<AfterSale, ServiceError> {
        for _ in 0..MAX_RACE_RETRIES {
            let after_sale = self.load(key, Reader::Staff).await?;
            if after_sale.status != AfterSaleStatus::Refunding {
                return Ok(after_sale);
            }
            let transition = after_sale
                .decide(event, self.clock.now())
                .map_err(to_service)?;
            if self.after_sales.apply(&transition).await? == CasOutcome::Won {
                return Ok(transition.after_sale);
            }
        }
        Err(race_lost(&format!("after-sale {key}")))
    }

    /// The payments core reports a refund of a mall pay order finished. It names the
    /// after-sale of the order that is refunding that amount on that pay order (at most one
    /// is); `None` when no after-sale is (a late payment's refund, or settled already).
    pub async fn settle_refund(
        &self,
        merchant_order_no: &str,
        pay_order: &OrderNumber,
        amount: Fen,
        succeeded: bool,
    ) -> Result<Option<AfterSale>, ServiceError> {
        let Ok(order_no) = OrderNumber::parse(merchant_order_no) else {
            return Err(ServiceError::Validation(format!(
                "unknown mall order {merchant_order_no:?}"
            )));
        };
        let found = self.after_sales.for_order(&order_no).await?;
        let Some(after_sale) = found.into_iter().find(|after_sale| {
            after_sale.status == AfterSaleStatus::Refunding
                && &after_sale.pay_order == pay_order
                && after_sale.amount == amount
        }) else {
            return Ok(None);
        };
        let event = if succeeded {
            AfterSaleEvent::RefundSucceeded
        } else {
            AfterSaleEvent::RefundFailed {
                reason: "the payments core reported the refund failed".to_owned(),
            }
        };
        self.settle(&after_sale.key, &event).await.map(Some)
    }

    /// The merchant's queue, newest first, optionally of one status.
    pub async fn queue(
        &self,
        status: Option<AfterSaleStatus>,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, ServiceError> {
        Ok(self.after_sales.list(status, page).await?)
    }

    /// The buyer's after-sales, newest first.
    pub async fn for_buyer(
        &self,
        user: &OpenId,
        page: PageRequest,
    ) -> Result<Page<AfterSale>, ServiceError> {
        let mut found = self.after_sales.for_buyer(user, page).await?;
        // The query filters by buyer; this keeps an adapter that forgot it from leaking.
        found.items.retain(|after_sale| &after_sale.buyer == user);
        Ok(found)
    }

    /// One of the buyer's after-sales by its key as the shopper writes it; someone else's
    /// (or a malformed key) reads as not found.
    pub async fn after_sale_for_buyer(
        &self,
        user: &OpenId,
        key: &str,
    ) -> Result<AfterSale, ServiceError> {
        self.load(&Self::buyer_key(key)?, Reader::Buyer(user)).await
    }

    pub async fn after_sale(&self, key: &AfterSaleKey) -> Result<AfterSale, ServiceError> {
        self.load(key, Reader::Staff).await
    }
}
