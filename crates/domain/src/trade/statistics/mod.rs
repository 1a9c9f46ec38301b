//! The mall's figures for the back office: orders placed and paid, money taken and given
//! back, units sold (from the stock ledger, not from the orders, so that a return counts
//! the moment its units are back on the shelf), top sellers, a per-day series and the
//! view-to-purchase conversion. Integer fen and integer ratios only.

mod model;
mod ports;
mod service;

#[cfg(test)]
mod tests;

pub use model::{
    Conversion, MAX_PERIOD_DAYS, MAX_TOP, MallDay, MallFigures, MallStatisticsQuery, PaidOrder,
    ProductSales, RefundTotal, SkuUnits, china_day,
};
pub use ports::MallStatisticsRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockMallStatisticsRepository;
pub use service::MallStatistics;
