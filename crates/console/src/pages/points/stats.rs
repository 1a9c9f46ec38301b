//! Thirty China days of the shop: packages sold, revenue, and points issued, spent and
//! taken back, as a table and two charts.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use chrono_tz::Asia::Shanghai;
use elife_domain::points::ShopDay;

use crate::error::ConsoleError;
use crate::format;
use crate::pages::charts::{Chart, SeriesKind, Unit};
use crate::services::ConsoleServices;

/// Days the figures cover, today included.
const DAYS: u64 = 30;

pub(super) struct DayRow {
    pub(super) day: String,
    pub(super) sold: u64,
    pub(super) revenue: String,
    pub(super) issued: String,
    pub(super) spent: String,
    pub(super) reversed: String,
}

pub(super) struct StatsView {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) rows: Vec<DayRow>,
    pub(super) total: DayRow,
    pub(super) charts: Vec<Chart>,
}

fn row(day: String, figures: &ShopDay) -> DayRow {
    DayRow {
        day,
        sold: figures.packages_sold,
        revenue: format::yuan(figures.revenue.value()),
        issued: format::grouped(figures.points_issued),
        spent: format::grouped(figures.points_spent),
        reversed: format::grouped(figures.points_reversed),
    }
}

/// The sum over the period (the figures of days outside any day are counted too).
fn total(days: &[ShopDay]) -> ShopDay {
    days.iter().fold(ShopDay::default(), |mut sum, day| {
        sum.packages_sold += day.packages_sold;
        sum.revenue = elife_domain::money::Fen::new(sum.revenue.value() + day.revenue.value());
        sum.points_issued += day.points_issued;
        sum.points_spent += day.points_spent;
        sum.points_reversed += day.points_reversed;
        sum
    })
}

fn charts(days: &[NaiveDate], figures: &[ShopDay]) -> Vec<Chart> {
    let by_day: BTreeMap<NaiveDate, &ShopDay> = figures
        .iter()
        .filter_map(|figures| figures.day.map(|day| (day, figures)))
        .collect();
    let by_day = &by_day;
    let value = |pick: fn(&ShopDay) -> i64| {
        move |day: NaiveDate| by_day.get(&day).map_or(0, |figures| pick(figures))
    };
    let revenue = Chart::over(
        days,
        "每日积分收入 Points revenue per day (¥)",
        Unit::Fen,
        false,
    )
    .series(
        "收入 revenue",
        SeriesKind::Bar,
        days,
        value(|d| d.revenue.value()),
    )
    .series(
        "售出 packages sold",
        SeriesKind::Line,
        days,
        value(|d| i64::try_from(d.packages_sold).unwrap_or(i64::MAX)),
    );
    let points = Chart::over(days, "每日积分 Points per day", Unit::Count, false)
        .series(
            "发放 issued",
            SeriesKind::Bar,
            days,
            value(|d| d.points_issued),
        )
        .series(
            "消耗 spent",
            SeriesKind::Bar,
            days,
            value(|d| d.points_spent),
        )
        .series(
            "退款收回 taken back",
            SeriesKind::Bar,
            days,
            value(|d| d.points_reversed),
        );
    vec![revenue, points]
}

/// The last thirty China days, today included.
fn period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today.checked_sub_days(Days::new(DAYS - 1)).unwrap_or(today);
    (first, today)
}

pub(super) async fn view(services: &ConsoleServices) -> Result<StatsView, ConsoleError> {
    let today = services.clock.now().with_timezone(&Shanghai).date_naive();
    let (first, last) = period(today);
    let bounds = format::china_midnight(first).zip(
        last.checked_add_days(Days::new(1))
            .and_then(format::china_midnight),
    );
    let Some((from, before)) = bounds else {
        return Err(ConsoleError::Invalid(format!("{today} is out of range")));
    };
    let figures = services.points_admin.statistics(from, before).await?;
    let days: Vec<NaiveDate> = first.iter_days().take_while(|day| *day <= last).collect();
    let rows = figures
        .iter()
        .rev()
        .map(|figures| {
            let day = figures
                .day
                .map_or_else(|| "—".to_owned(), |day| day.format("%Y-%m-%d").to_string());
            row(day, figures)
        })
        .collect();
    Ok(StatsView {
        from: first.format("%Y-%m-%d").to_string(),
        to: last.format("%Y-%m-%d").to_string(),
        rows,
        total: row("合计 Total".to_owned(), &total(&figures)),
        charts: charts(&days, &figures),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elife_domain::money::Fen;

    fn day(d: u32, sold: u64, revenue: i64, issued: i64) -> ShopDay {
        ShopDay {
            day: NaiveDate::from_ymd_opt(2025, 10, d),
            packages_sold: sold,
            revenue: Fen::new(revenue),
            points_issued: issued,
            points_spent: 1,
            points_reversed: 0,
        }
    }

    #[test]
    fn thirty_days_end_today() {
        let today = NaiveDate::from_ymd_opt(2025, 10, 30).unwrap();
        let (first, last) = period(today);
        assert_eq!(first, NaiveDate::from_ymd_opt(2025, 10, 1).unwrap());
        assert_eq!(last, today);
    }

    #[test]
    fn totals_and_charts_cover_every_day() {
        let figures = [day(2, 1, 990, 110), day(4, 2, 1980, 220)];
        let sum = total(&figures);
        assert_eq!(
            (sum.packages_sold, sum.revenue, sum.points_issued),
            (3, Fen::new(2970), 330)
        );
        let days: Vec<NaiveDate> = NaiveDate::from_ymd_opt(2025, 10, 1)
            .unwrap()
            .iter_days()
            .take(5)
            .collect();
        let charts = charts(&days, &figures);
        assert_eq!(charts[0].series[0].data, [0, 990, 0, 1980, 0]);
        assert_eq!(charts[1].series[0].data, [0, 110, 0, 220, 0]);
    }
}
