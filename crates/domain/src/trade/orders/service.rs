//! The mall order's use cases: place, pay (told by the payments core), cancel, ship,
//! confirm receipt, and the two jobs (cancel at the deadline, confirm receipt after N days).
//! Each change is a compare-and-set, read again and decided again after a lost race.

use std::sync::Arc;

use chrono::Duration;

use crate::order::{OpenId, OrderNumber};
use crate::payments::{PayStatus, RefundCommand};
use crate::ports::{CasOutcome, Clock, Page, PageRequest};
use crate::services::ServiceError;
use crate::trade::after_sales::AfterSaleRepository;

use super::model::{MallOrder, MallOrderDraft, OrderError, PaymentRecord};
use super::ownership::owned_by;
use super::ports::{MallOrderFilter, MallOrderQueue, MallOrderRepository, TradePayments};
use super::status::{CancelReason, MallOrderStatus, ReceiptBy};
use super::transition::{Decision, LatePayment, MallOrderTransition, OrderEvent};

/// Lost compare-and-sets tolerated in one call before giving up (the caller retries).
const MAX_RACE_RETRIES: usize = 5;

/// What a payment did to its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    Paid(Box<MallOrder>),
    /// Recorded already (the payments core delivers at least once).
    Duplicate,
    /// The order was cancelled (or paid by another payment): it stays as it was and this
    /// payment is given back through the payments core.
    LatePayment(LatePayment),
}

/// What one run of a job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobReport {
    pub examined: usize,
    pub changed: usize,
    /// Left for the next run (paid meanwhile, WeChat busy, a race lost too often).
    pub left: usize,
}

/// Who reads the order: a buyer sees only their own.
#[derive(Debug, Clone, Copy)]
enum Reader<'a> {
    Staff,
    Buyer(&'a OpenId),
}

pub struct MallOrderService {
    orders: Arc<dyn MallOrderRepository>,
    after_sales: Arc<dyn AfterSaleRepository>,
    payments: Arc<dyn TradePayments>,
    clock: Arc<dyn Clock>,
    /// How long after shipping receipt is confirmed automatically.
    receipt_after: Duration,
}

fn to_service(error: OrderError) -> ServiceError {
    match error {
        OrderError::Invalid(message) => ServiceError::Validation(message),
        error @ (OrderError::Transition(_)
        | OrderError::PaymentMismatch(_)
        | OrderError::NotDue(_)) => ServiceError::Conflict(error.to_string()),
    }
}

/// A number from a shopper: a malformed one reads as not found, like someone else's.
pub(crate) fn buyer_number(raw: &str) -> Result<OrderNumber, ServiceError> {
    OrderNumber::parse(raw.trim())
        .map_err(|_| ServiceError::NotFound(format!("order {raw} not found")))
}

impl MallOrderService {
    pub fn new(
        orders: Arc<dyn MallOrderRepository>,
        after_sales: Arc<dyn AfterSaleRepository>,
        payments: Arc<dyn TradePayments>,
        clock: Arc<dyn Clock>,
        receipt_after: Duration,
    ) -> Self {
        MallOrderService {
            orders,
            after_sales,
            payments,
            clock,
            receipt_after,
        }
    }

    /// Stores a placed order (stock was reserved by the checkout; the pay order is opened
    /// with [`MallOrder::pay_order_draft`]).
    pub async fn place(&self, draft: MallOrderDraft) -> Result<MallOrder, ServiceError> {
        let order = MallOrder::place(draft, self.clock.now()).map_err(to_service)?;
        self.orders.insert(&order).await?;
        Ok(order)
    }

    async fn load(
        &self,
        order_no: &OrderNumber,
        reader: Reader<'_>,
    ) -> Result<MallOrder, ServiceError> {
        let what = format!("order {order_no}");
        match reader {
            Reader::Staff => self
                .orders
                .find(order_no)
                .await?
                .ok_or_else(|| ServiceError::NotFound(format!("{what} not found"))),
            Reader::Buyer(user) => owned_by(
                self.orders.find_for_buyer(order_no, user).await?,
                user,
                &what,
            ),
        }
    }

    /// Applies `event`; `None` when it was recorded already.
    async fn drive(
        &self,
        order_no: &OrderNumber,
        reader: Reader<'_>,
        event: &OrderEvent,
    ) -> Result<(MallOrder, Option<MallOrderTransition>), ServiceError> {
        for _ in 0..MAX_RACE_RETRIES {
            let order = self.load(order_no, reader).await?;
            match order.decide(event, self.clock.now()).map_err(to_service)? {
                Decision::AlreadyRecorded => return Ok((order, None)),
                Decision::Write(transition) => {
                    if self.orders.apply(&transition).await? == CasOutcome::Won {
                        return Ok((transition.order.clone(), Some(*transition)));
                    }
                }
            }
        }
        Err(ServiceError::Unavailable(format!(
            "order {order_no} kept changing; try again"
        )))
    }

    /// The buyer's own order.
    pub async fn order_for_buyer(
        &self,
        user: &OpenId,
        order_no: &str,
    ) -> Result<MallOrder, ServiceError> {
        self.load(&buyer_number(order_no)?, Reader::Buyer(user))
            .await
    }

    pub async fn order(&self, order_no: &OrderNumber) -> Result<MallOrder, ServiceError> {
        self.load(order_no, Reader::Staff).await
    }

    pub async fn cancel_by_buyer(
        &self,
        user: &OpenId,
        order_no: &str,
    ) -> Result<MallOrder, ServiceError> {
        let number = buyer_number(order_no)?;
        self.cancel(&number, Reader::Buyer(user), CancelReason::Buyer)
            .await
    }

    pub async fn cancel_by_admin(&self, order_no: &OrderNumber) -> Result<MallOrder, ServiceError> {
        self.cancel(order_no, Reader::Staff, CancelReason::Admin)
            .await
    }

    /// Cancels an unpaid order only once the payments core closed its payment at WeChat, so
    /// that no payment can land afterwards; one that landed already pays the order instead.
    async fn cancel(
        &self,
        order_no: &OrderNumber,
        reader: Reader<'_>,
        reason: CancelReason,
    ) -> Result<MallOrder, ServiceError> {
        let order = self.load(order_no, reader).await?;
        // Checked before asking WeChat: the payment must not be closed for an order that
        // cannot be cancelled (paid, or not yet due).
        order
            .decide(&OrderEvent::Cancel(reason), self.clock.now())
            .map_err(to_service)?;
        let status = match self.payments.close(&order.pay_order).await {
            Ok(status) => status,
            // Checkout stores the order before it opens the payment: none opened, none can
            // land (a payment opened later for a cancelled order is refunded).
            Err(ServiceError::NotFound(_)) => PayStatus::Closed,
            // WeChat refuses to close a payment in its first minutes; nothing changed.
            Err(ServiceError::Upstream(message)) => {
                return Err(ServiceError::Conflict(format!(
                    "WeChat did not close the payment of order {order_no} yet ({message}): try again in a few minutes"
                )));
            }
            Err(error) => return Err(error),
        };
        match status {
            PayStatus::Closed => {}
            PayStatus::Paid
            | PayStatus::Refunding
            | PayStatus::Refunded
            | PayStatus::RefundFailed => {
                return Err(ServiceError::Conflict(format!(
                    "order {order_no} was paid meanwhile: it cannot be cancelled"
                )));
            }
            PayStatus::Unpaid => {
                return Err(ServiceError::Conflict(format!(
                    "the payment of order {order_no} is in progress at WeChat: try again in a minute"
                )));
            }
        }
        Ok(self
            .drive(order_no, reader, &OrderEvent::Cancel(reason))
            .await?
            .0)
    }

    /// The job: cancels unpaid orders past their deadline.
    pub async fn cancel_expired(&self, limit: u64) -> Result<JobReport, ServiceError> {
        let due = self
            .orders
            .due(MallOrderQueue::PaymentDue, self.clock.now(), limit)
            .await?;
        let mut report = JobReport {
            examined: due.len(),
            ..JobReport::default()
        };
        for order in due {
            match self
                .cancel(&order.order_no, Reader::Staff, CancelReason::Timeout)
                .await
            {
                Ok(_) => report.changed += 1,
                Err(error) => {
                    report.left += 1;
                    tracing::info!(order = %order.order_no, %error, "timeout cancel left for later");
                }
            }
        }
        Ok(report)
    }

    /// The payments core says a pay order of ours was paid. A payment the order will not
    /// keep (cancelled, or paid already by another) is recorded and refunded, never kept.
    pub async fn record_payment(
        &self,
        merchant_order_no: &str,
        payment: PaymentRecord,
    ) -> Result<PaymentOutcome, ServiceError> {
        let order_no = OrderNumber::parse(merchant_order_no).map_err(|_| {
            ServiceError::Validation(format!("unknown mall order {merchant_order_no:?}"))
        })?;
        let event = OrderEvent::Paid(payment.clone());
        let (order, transition) = self.drive(&order_no, Reader::Staff, &event).await?;
        let Some(transition) = transition else {
            // Delivered again: a payment being given back is asked for again, in case the
            // first request did not reach the payments core.
            if let Some(late) = order
                .returned_payments
                .iter()
                .find(|record| record.transaction_id == payment.transaction_id)
            {
                let late = LatePayment {
                    order_no,
                    payment: late.clone(),
                };
                self.refund_returned(&late).await?;
            }
            return Ok(PaymentOutcome::Duplicate);
        };
        match transition.late_payment() {
            Some(late) => {
                tracing::warn!(order = %order_no, amount = %late.amount(), "payment the order will not keep: refunding");
                self.refund_returned(late).await?;
                Ok(PaymentOutcome::LatePayment(late.clone()))
            }
            None => Ok(PaymentOutcome::Paid(Box::new(transition.order))),
        }
    }

    async fn refund_returned(&self, late: &LatePayment) -> Result<(), ServiceError> {
        Self::give_back(self.payments.as_ref(), late).await
    }

    /// Asks the payments core to give a payment back. Refused as more than what remains:
    /// given back already. Any other failure: retried when the message comes again. Shared
    /// with the trade outbox's relay, which delivers the same request at least once.
    pub(crate) async fn give_back(
        payments: &dyn TradePayments,
        late: &LatePayment,
    ) -> Result<(), ServiceError> {
        let command = RefundCommand {
            out_trade_no: late.payment.pay_order.clone(),
            amount: Some(late.amount()),
            reason: format!(
                "payment after order {} was cancelled or paid",
                late.order_no
            ),
            audit: None,
        };
        match payments.refund(command).await {
            Ok(_) => Ok(()),
            Err(ServiceError::Validation(message)) => {
                tracing::info!(order = %late.order_no, message, "late payment given back already");
                Ok(())
            }
            // A refund of this pay order is in flight (perhaps this one): ask again later.
            Err(ServiceError::Conflict(message)) => Err(ServiceError::Unavailable(message)),
            Err(error) => Err(error),
        }
    }

    /// The buyer's orders, newest first, optionally of one status.
    pub async fn orders_for_buyer(
        &self,
        user: &OpenId,
        status: Option<MallOrderStatus>,
        page: PageRequest,
    ) -> Result<Page<MallOrder>, ServiceError> {
        let filter = MallOrderFilter {
            buyer: Some(user.clone()),
            status,
            ..MallOrderFilter::default()
        };
        let mut found = self.orders.list(filter, page).await?;
        // The query filters by buyer; this keeps an adapter that forgot it from leaking.
        found.items.retain(|order| &order.buyer == user);
        Ok(found)
    }

    /// The back office's list, newest first.
    pub async fn orders(
        &self,
        filter: MallOrderFilter,
        page: PageRequest,
    ) -> Result<Page<MallOrder>, ServiceError> {
        Ok(self.orders.list(filter, page).await?)
    }

    /// The merchant ships; refused while an after-sale of the order is open.
    pub async fn ship(
        &self,
        order_no: &OrderNumber,
        carrier: &str,
        tracking_no: &str,
    ) -> Result<MallOrder, ServiceError> {
        let after_sales = self.after_sales.for_order(order_no).await?;
        if after_sales
            .iter()
            .any(|after_sale| after_sale.status.is_open())
        {
            return Err(ServiceError::Conflict(format!(
                "order {order_no} has an after-sale in progress: settle it before shipping"
            )));
        }
        let event = OrderEvent::Ship {
            carrier: carrier.to_owned(),
            tracking_no: tracking_no.to_owned(),
            auto_confirm_at: self.clock.now() + self.receipt_after,
        };
        Ok(self.drive(order_no, Reader::Staff, &event).await?.0)
    }

    pub async fn confirm_receipt(
        &self,
        user: &OpenId,
        order_no: &str,
    ) -> Result<MallOrder, ServiceError> {
        let number = buyer_number(order_no)?;
        let event = OrderEvent::ConfirmReceipt(ReceiptBy::Buyer);
        Ok(self.drive(&number, Reader::Buyer(user), &event).await?.0)
    }

    /// The job: confirms receipt of orders shipped N days ago.
    pub async fn confirm_due(&self, limit: u64) -> Result<JobReport, ServiceError> {
        let due = self
            .orders
            .due(MallOrderQueue::ReceiptDue, self.clock.now(), limit)
            .await?;
        let mut report = JobReport {
            examined: due.len(),
            ..JobReport::default()
        };
        let event = OrderEvent::ConfirmReceipt(ReceiptBy::Automatic);
        for order in due {
            match self.drive(&order.order_no, Reader::Staff, &event).await {
                Ok((order, _)) if order.status == MallOrderStatus::Completed => report.changed += 1,
                Ok(_) => report.left += 1,
                Err(error) => {
                    report.left += 1;
                    tracing::info!(order = %order.order_no, %error, "automatic receipt left for later");
                }
            }
        }
        Ok(report)
    }
}
