//! The payments core as this server composes it: its storage, the gateway of the chosen
//! channel, and the goods it tells (top-ups, points packages and the mall).

use std::sync::Arc;

use elife_domain::payments::{
    Fulfilment, FulfilmentRelay, FulfilmentRouter, GoodsKind, PayChannel, PayPorts, PaymentService,
    RefundService,
};
use elife_domain::ports::{PaymentGateway, TopUpQueue};
use elife_domain::services::{Ports, TopUpFulfilment, TopUpPayments};
use elife_persistence::DatabaseConnection;
use elife_persistence::{
    SeaOrmFulfilmentOutbox, SeaOrmPayOrderRepository, SeaOrmPaymentNotificationLog,
    SeaOrmRefundRepository,
};

use crate::mall::DeferredFulfilment;
use crate::points::{Points, PointsStorage};
use crate::topups::TopUps;

/// Every use case of the payments core, and the use cases of the goods sold through it.
#[derive(Clone)]
pub struct Payments {
    pub collection: Arc<PaymentService>,
    pub refunds: Arc<RefundService>,
    pub relay: Arc<FulfilmentRelay>,
    pub top_ups: Arc<TopUpPayments>,
    /// The points context: built here because its shop pays through the core and the core
    /// tells its fulfilment.
    pub points: Points,
    /// The mall's fulfilment, filled in when [`crate::mall::Mall`] is built.
    pub mall: Arc<DeferredFulfilment>,
}

impl Payments {
    /// `window`: how long an order may be paid after it was created.
    pub fn new(
        db: &DatabaseConnection,
        ports: &Ports,
        gateway: Arc<dyn PaymentGateway>,
        channel: PayChannel,
        top_ups: &TopUps,
        window: chrono::Duration,
        automatic_refunds: bool,
    ) -> Self {
        let pay_ports = PayPorts {
            pay_orders: Arc::new(SeaOrmPayOrderRepository::new(db.clone())),
            outbox: Arc::new(SeaOrmFulfilmentOutbox::new(db.clone())),
            refunds: Arc::new(SeaOrmRefundRepository::new(db.clone())),
            notifications: Arc::new(SeaOrmPaymentNotificationLog::new(db.clone())),
            gateway,
            clock: Arc::clone(&ports.clock),
            alerts: Arc::clone(&ports.alerts),
            audit: Arc::clone(&ports.audit),
            channel,
        };
        let queue: Arc<dyn TopUpQueue> = Arc::new(top_ups.clone());
        let points_storage = PointsStorage::new(db);
        let points_service = points_storage.service(ports);
        let mall = Arc::new(DeferredFulfilment::default());
        let goods = FulfilmentRouter::new()
            .with(
                GoodsKind::TopUp,
                Arc::new(TopUpFulfilment::new(ports.clone(), queue)),
            )
            .with(
                GoodsKind::Points,
                Arc::new(points_storage.fulfilment(ports, &points_service)),
            )
            .with(GoodsKind::Mall, Arc::clone(&mall) as Arc<dyn Fulfilment>);
        let relay = Arc::new(FulfilmentRelay::new(
            Arc::clone(&pay_ports.outbox),
            Arc::new(goods),
            Arc::clone(&ports.clock),
        ));
        let collection = Arc::new(PaymentService::new(pay_ports.clone(), Arc::clone(&relay)));
        let refunds = Arc::new(RefundService::new(pay_ports, Arc::clone(&relay)));
        let points = Points::new(
            points_storage,
            points_service,
            ports,
            &collection,
            &refunds,
            window,
        );
        let top_ups = Arc::new(TopUpPayments::new(
            ports.clone(),
            Arc::clone(&collection),
            Arc::clone(&refunds),
            window,
            automatic_refunds,
        ));
        Payments {
            collection,
            refunds,
            relay,
            top_ups,
            points,
            mall,
        }
    }
}
