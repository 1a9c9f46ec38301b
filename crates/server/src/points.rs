//! The points context as this server composes it: accounts and their ledger, and the
//! points shop selling packages through the payments core (the second kind of goods on
//! it). Built by [`crate::payments::Payments`], whose router hands "paid", "closed" and
//! "refunded" to [`PointsFulfilment`].

use std::sync::Arc;

use elife_domain::payments::{PaymentService, RefundService};
use elife_domain::points::{
    PackageRepository, PointsAdmin, PointsFulfilment, PointsLedger, PointsOrderRepository,
    PointsService, PointsShop,
};
use elife_domain::services::Ports;
use elife_persistence::{
    DatabaseConnection, SeaOrmPackageRepository, SeaOrmPointsLedger, SeaOrmPointsOrderRepository,
};

/// The points tables, one adapter each.
pub struct PointsStorage {
    ledger: Arc<dyn PointsLedger>,
    packages: Arc<dyn PackageRepository>,
    orders: Arc<dyn PointsOrderRepository>,
}

impl PointsStorage {
    pub fn new(db: &DatabaseConnection) -> Self {
        PointsStorage {
            ledger: Arc::new(SeaOrmPointsLedger::new(db.clone())),
            packages: Arc::new(SeaOrmPackageRepository::new(db.clone())),
            orders: Arc::new(SeaOrmPointsOrderRepository::new(db.clone())),
        }
    }

    /// Balances and their ledger (credit, spend, adjust, the nightly check).
    pub fn service(&self, ports: &Ports) -> Arc<PointsService> {
        Arc::new(PointsService::new(
            Arc::clone(&self.ledger),
            Arc::clone(&ports.clock),
            Arc::clone(&ports.alerts),
        ))
    }

    /// What the payments core tells about a points order.
    pub fn fulfilment(&self, ports: &Ports, service: &Arc<PointsService>) -> PointsFulfilment {
        PointsFulfilment::new(
            Arc::clone(&self.orders),
            Arc::clone(service),
            Arc::clone(&ports.clock),
        )
    }
}

/// Every use case of the points context.
#[derive(Clone)]
pub struct Points {
    pub service: Arc<PointsService>,
    pub shop: Arc<PointsShop>,
    pub admin: Arc<PointsAdmin>,
}

impl Points {
    /// `window`: how long a points order may be paid, as a top-up.
    pub fn new(
        storage: PointsStorage,
        service: Arc<PointsService>,
        ports: &Ports,
        collection: &Arc<PaymentService>,
        refunds: &Arc<RefundService>,
        window: chrono::Duration,
    ) -> Self {
        let shop = Arc::new(PointsShop::new(
            Arc::clone(&storage.packages),
            Arc::clone(&storage.orders),
            Arc::clone(&service),
            Arc::clone(collection),
            Arc::clone(refunds),
            Arc::clone(&ports.clock),
            Arc::clone(&ports.ids),
            window,
        ));
        let admin = Arc::new(PointsAdmin::new(
            storage.packages,
            storage.orders,
            storage.ledger,
            Arc::clone(&ports.audit),
            Arc::clone(&ports.clock),
        ));
        Points {
            service,
            shop,
            admin,
        }
    }
}
