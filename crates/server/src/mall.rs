//! The mall as this server composes it: the catalog, checkout, orders, after-sales and the
//! trade outbox on SeaORM, paying through the payments core as the third kind of goods.
//!
//! The core's router is built before the mall (the mall pays through the core), so the
//! mall's fulfilment is registered as a [`DeferredFulfilment`] and filled in here.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use elife_domain::cart::CartService;
use elife_domain::catalog::reviews::ReviewService;
use elife_domain::catalog::search::{CatalogSearch, SearchIndexError, ShopperCatalog};
use elife_domain::catalog::{
    CatalogAdmin, CategoryRepository, ProductRepository, StockLedger, StockService,
};
use elife_domain::payments::{Fulfilment, FulfilmentError, FulfilmentMessage};
use elife_domain::ports::Clock;
use elife_domain::services::Ports;
use elife_domain::shoppers::{AddressBook, BrowsingHistory, Favourites};
use elife_domain::trade::after_sales::{AfterSaleRepository, AfterSaleService};
use elife_domain::trade::checkout::{
    CheckoutAddresses, CheckoutCart, CheckoutService, CheckoutSettings, FreightTemplateSource,
};
use elife_domain::trade::delivery::{
    DeliveryService, ParcelTracking, Tracking, TrackingError, TrackingQuery,
};
use elife_domain::trade::freight_templates::FreightTemplateAdmin;
use elife_domain::trade::orders::{
    CorePayments, MallFulfilment, MallOrderRepository, MallOrderService, TradePayments,
};
use elife_domain::trade::outbox::{Backoff, TradeOutbox, TradeRelay, TradeStock};
use elife_domain::trade::statistics::MallStatistics;
use elife_logistics::{Kuaidi100Client, Kuaidi100Config, Kuaidi100Error};
use elife_persistence::{
    DatabaseConnection, Keyring, SeaOrmAddressRepository, SeaOrmAfterSaleRepository,
    SeaOrmCartRepository, SeaOrmCategoryRepository, SeaOrmFavouriteRepository,
    SeaOrmFreightTemplateRepository, SeaOrmHistoryRepository, SeaOrmLogisticsRepository,
    SeaOrmMallOrderRepository, SeaOrmProductRepository, SeaOrmReviewRepository, SeaOrmSearchTerms,
    SeaOrmStockLedger, SeaOrmTradeOutbox,
};
use elife_search::TantivyProductSearch;

use crate::configuration::MallSettings;
use crate::payments::Payments;
use crate::sandbox::Sandbox;

/// The mall's fulfilment, set once the mall is built; until then a message waits in the
/// core's outbox (answered "retry").
#[derive(Default)]
pub struct DeferredFulfilment(OnceLock<Arc<dyn Fulfilment>>);

impl DeferredFulfilment {
    pub fn set(&self, fulfilment: Arc<dyn Fulfilment>) {
        if self.0.set(fulfilment).is_err() {
            tracing::warn!("the mall's fulfilment was set twice; the first stays");
        }
    }
}

#[async_trait]
impl Fulfilment for DeferredFulfilment {
    async fn fulfil(&self, message: &FulfilmentMessage) -> Result<(), FulfilmentError> {
        match self.0.get() {
            Some(fulfilment) => fulfilment.fulfil(message).await,
            None => Err(FulfilmentError::Retry("the mall is starting".to_owned())),
        }
    }
}

/// The catalog's back office over any storage.
pub type CatalogBackOffice = CatalogAdmin<dyn CategoryRepository, dyn ProductRepository, dyn Clock>;

/// Every use case of the mall.
#[derive(Clone)]
pub struct Mall {
    pub catalog: Arc<CatalogBackOffice>,
    pub stock: Arc<TradeStock>,
    pub checkout: Arc<CheckoutService>,
    pub orders: Arc<MallOrderService>,
    pub after_sales: Arc<AfterSaleService>,
    pub relay: Arc<TradeRelay>,
    pub addresses: Arc<AddressBook>,
    pub favourites: Arc<Favourites>,
    pub history: Arc<BrowsingHistory>,
    pub cart: Arc<CartService>,
    pub freight: Arc<FreightTemplateAdmin>,
    /// Search over the on-sale products (an in-process index, rebuilt at start-up) and
    /// the hot search terms.
    pub search: Arc<CatalogSearch>,
    /// What shoppers browse: the visible category tree, listings, product pages.
    pub shelf: Arc<ShopperCatalog>,
    pub reviews: Arc<ReviewService>,
    /// Logistics companies and parcel tracking.
    pub delivery: Arc<DeliveryService>,
    /// The back office's figures: orders, money, units sold from the stock ledger,
    /// conversion.
    pub statistics: Arc<MallStatistics>,
}

impl Mall {
    pub fn new(
        db: &DatabaseConnection,
        keyring: Keyring,
        ports: &Ports,
        payments: &Payments,
        settings: &MallSettings,
        tracking: Arc<dyn ParcelTracking>,
    ) -> Result<Self, SearchIndexError> {
        let clock = Arc::clone(&ports.clock);
        let addresses = Arc::new(AddressBook::new(
            Arc::new(SeaOrmAddressRepository::new(db.clone(), keyring.clone())),
            Arc::clone(&clock),
        ));
        let favourites = Arc::new(Favourites::new(
            Arc::new(SeaOrmFavouriteRepository::new(db.clone())),
            Arc::clone(&clock),
        ));
        let history = Arc::new(BrowsingHistory::new(
            Arc::new(SeaOrmHistoryRepository::new(db.clone())),
            Arc::clone(&clock),
        ));
        let freight = Arc::new(FreightTemplateAdmin::new(
            Arc::new(SeaOrmFreightTemplateRepository::new(db.clone())),
            Arc::clone(&clock),
        ));
        let categories: Arc<dyn CategoryRepository> =
            Arc::new(SeaOrmCategoryRepository::new(db.clone()));
        let products: Arc<dyn ProductRepository> =
            Arc::new(SeaOrmProductRepository::new(db.clone()));
        let cart = Arc::new(CartService::new(
            Arc::new(SeaOrmCartRepository::new(db.clone())),
            Arc::clone(&products),
            Arc::clone(&clock),
        ));
        let ledger: Arc<dyn StockLedger> = Arc::new(SeaOrmStockLedger::new(db.clone()));
        let stock = Arc::new(StockService::new(
            ledger,
            Arc::clone(&ports.alerts),
            Arc::clone(&clock),
        ));
        let orders_store: Arc<dyn MallOrderRepository> =
            Arc::new(SeaOrmMallOrderRepository::new(db.clone(), keyring));
        let after_sales_store: Arc<dyn AfterSaleRepository> =
            Arc::new(SeaOrmAfterSaleRepository::new(db.clone()));
        let outbox: Arc<dyn TradeOutbox> = Arc::new(SeaOrmTradeOutbox::new(db.clone()));
        let core: Arc<dyn TradePayments> = Arc::new(CorePayments::new(
            Arc::clone(&payments.collection),
            Arc::clone(&payments.refunds),
        ));
        let reviews = Arc::new(ReviewService::new(
            Arc::new(SeaOrmReviewRepository::new(db.clone())),
            Arc::clone(&orders_store),
            Arc::clone(&clock),
        ));
        let delivery = Arc::new(DeliveryService::new(
            Arc::new(SeaOrmLogisticsRepository::new(db.clone())),
            Arc::clone(&orders_store),
            tracking,
        ));
        let orders = Arc::new(MallOrderService::new(
            Arc::clone(&orders_store),
            Arc::clone(&after_sales_store),
            Arc::clone(&core),
            Arc::clone(&clock),
            settings.receipt_after,
        ));
        let after_sales = Arc::new(AfterSaleService::new(
            orders_store,
            after_sales_store,
            Arc::clone(&core),
            Arc::clone(&clock),
        ));
        payments.mall.set(Arc::new(MallFulfilment::new(
            Arc::clone(&orders),
            Arc::clone(&after_sales),
        )));
        let relay = Arc::new(TradeRelay::new(
            outbox,
            Arc::clone(&stock),
            core,
            Arc::clone(&clock),
            Backoff::default(),
        ));
        let checkout = Arc::new(CheckoutService::new(
            Arc::clone(&products),
            Arc::clone(&addresses) as Arc<dyn CheckoutAddresses>,
            Arc::clone(&cart) as Arc<dyn CheckoutCart>,
            Arc::clone(&freight) as Arc<dyn FreightTemplateSource>,
            Arc::clone(&stock),
            Arc::clone(&orders),
            Arc::clone(&payments.collection),
            Arc::clone(&clock),
            Arc::clone(&ports.ids),
            CheckoutSettings {
                pay_window: settings.pay_window,
            },
        ));
        let search = Arc::new(CatalogSearch::new(
            Arc::new(TantivyProductSearch::new()?),
            Arc::new(SeaOrmSearchTerms::new(db.clone())),
            Arc::clone(&products),
            Arc::clone(&categories),
            Arc::clone(&clock),
        ));
        let shelf = Arc::new(ShopperCatalog::new(
            Arc::clone(&products),
            Arc::clone(&categories),
        ));
        let catalog = Arc::new(CatalogAdmin::new(categories, Arc::clone(&products), clock));
        let statistics = Arc::new(MallStatistics::new(Arc::new(
            elife_persistence::SeaOrmMallStatistics::new(db.clone()),
        )));
        Ok(Mall {
            catalog,
            stock,
            checkout,
            orders,
            after_sales,
            relay,
            addresses,
            favourites,
            history,
            cart,
            freight,
            search,
            shelf,
            reviews,
            delivery,
            statistics,
        })
    }
}

/// Tracking when no Kuaidi100 account is configured: the mall runs (orders ship with a
/// carrier and number), and a shopper asking for the parcel is told it is unavailable.
struct TrackingNotConfigured;

#[async_trait]
impl ParcelTracking for TrackingNotConfigured {
    async fn track(&self, _query: &TrackingQuery) -> Result<Tracking, TrackingError> {
        Err(TrackingError::Unavailable(
            "parcel tracking is not configured (KUAIDI100_CUSTOMER, KUAIDI100_KEY)".to_owned(),
        ))
    }
}

/// Parcel tracking: Kuaidi100's real-time query, the sandbox's simulator when it runs
/// (unless `KUAIDI100_URL` names another endpoint); without an account, tracking answers
/// "not configured" rather than keeping the server from starting.
pub fn parcel_tracking(
    settings: &MallSettings,
    sandbox: Option<&Sandbox>,
) -> Result<Arc<dyn ParcelTracking>, Kuaidi100Error> {
    use secrecy::ExposeSecret;
    let config = match (sandbox, &settings.tracking_url) {
        (Some(sandbox), None) => Kuaidi100Config {
            base_url: sandbox.kuaidi100.base_url(),
            customer: sandbox.kuaidi100.customer().to_owned(),
            key: sandbox.kuaidi100.key().to_owned(),
            timeout: Kuaidi100Config::DEFAULT_TIMEOUT,
        },
        _ if settings.tracking_customer.trim().is_empty()
            || settings.tracking_key.expose_secret().trim().is_empty() =>
        {
            tracing::warn!(
                "KUAIDI100_CUSTOMER or KUAIDI100_KEY is not set: parcel tracking is off"
            );
            return Ok(Arc::new(TrackingNotConfigured));
        }
        (_, url) => Kuaidi100Config {
            base_url: url
                .clone()
                .unwrap_or_else(|| Kuaidi100Config::DEFAULT_BASE_URL.to_owned()),
            customer: settings.tracking_customer.clone(),
            key: settings.tracking_key.expose_secret().to_owned(),
            timeout: Kuaidi100Config::DEFAULT_TIMEOUT,
        },
    };
    Ok(Arc::new(Kuaidi100Client::new(config)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_a_tracking_account_the_mall_starts_and_tracking_says_so() {
        let settings = MallSettings::from_lookup(&|_: &str| None).expect("defaults");
        let tracking = parcel_tracking(&settings, None).expect("no error without an account");
        let query = TrackingQuery {
            carrier: "shunfeng".to_owned(),
            tracking_no: "SF1234567890".to_owned(),
            phone_last4: None,
        };
        let answer = tracking.track(&query).await;
        assert!(
            matches!(answer, Err(TrackingError::Unavailable(_))),
            "{answer:?}"
        );
    }
}
