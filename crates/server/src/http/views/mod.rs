//! What the API shows, one module per area: the order row in the old backend's camelCase
//! shape and the customer's lists, the public and payment answers, points, the admin views
//! and the figures. Presentation only: amounts stay integers until they are displayed here, and
//! every rule about states is the domain's.

mod admin;
mod format;
mod mall_admin;
mod mall_catalog;
mod mall_orders;
mod mall_reviews;
mod mall_shoppers;
mod mall_statistics;
mod notifications;
mod orders;
mod paging;
mod payment;
mod points;
mod public;
mod statistics;

pub use admin::{
    AdminOrderDetail, AdminOrderList, AdminOrderView, AnomalyView, OrderEventView, RefundView,
};
pub use format::{DecimalNumber, js_time};
pub use mall_admin::{
    AdminMallOrderDetail, AdminProductDetail, AdminProductList, AdminProductView, AdminSkuView,
    CategoryNodeView, CategoryTreeView, LowStockList, LowStockView, ProductRemovalView, SpecView,
    StockAdjustmentView,
};
pub use mall_catalog::{
    CategoryView, HotTermView, ProductCardList, ProductCardView, ProductPageView, SkuView,
};
pub use mall_orders::{
    AddressView, AfterSaleList, AfterSaleView, CheckoutQuoteView, MallOrderItemView, MallOrderList,
    MallOrderView, MallPurchaseView, OrderAfterSalesView, QuoteLineView, ShipmentView,
    payment_json,
};
pub use mall_reviews::{
    FreightTemplateView, LogisticsCompanyView, ParcelEventView, ParcelView, ReviewList,
    ReviewStatsView, ReviewView,
};
pub use mall_shoppers::{CartLineView, ProductMarkList, ProductMarkView, ShopperAddressView};
pub use mall_statistics::{
    ConversionView, MallDayView, MallStatisticsView, MoneyView, TopProductView, TopSkuView,
};
pub use notifications::{NotificationList, NotificationView};
pub use orders::{OrderDetailView, OrderList, OrderOwnerView, OrderView};
pub use paging::{Pagination, pagination};
pub use payment::{CallbackAck, PaymentParamsView};
pub use points::{
    AdminPointsAccountView, AdminPointsOrderDetail, AdminPointsOrderList, AdminPointsOrderView,
    LedgerEntryView, LedgerList, PackageRemovalView, PackageView, PointsAccountView,
    PointsAdjustmentView, PointsOrderList, PointsOrderView, PointsPaymentView, PointsPurchaseView,
    PointsRefundView, ShopDayView, ShopStatisticsView,
};
pub use public::{ExchangeRateView, HealthView};
pub use statistics::{
    AnomalyDayView, Count, OrderStatsView, OverviewView, RechargeDelayView, RevenueDayView,
    RevenueStatsView, UserStatsView,
};
