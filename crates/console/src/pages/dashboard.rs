//! The dashboard: today at a glance (orders, revenue, recharge success, paid→recharged
//! delay, the pending backlog and its age, what needs a person, notification verdicts) and
//! thirty days of charts.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use elife_domain::accounts::permissions::Permission;
use elife_domain::ports::{NotificationOutcome, NotificationStatsQuery, StatisticsQuery};
use elife_domain::services::AttentionReport;

use super::charts::{Chart, SeriesKind, Unit};
use super::context::{Context, html};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::{Chrome, Section};

/// Days the charts cover, today included.
const CHART_DAYS: i64 = 30;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard));
}

struct Card {
    label: &'static str,
    value: String,
    note: String,
    /// Drawn in the warning colour.
    alarm: bool,
    href: Option<String>,
}

struct Verdict {
    label: &'static str,
    count: u64,
    alarm: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    taken_at: String,
    cards: Vec<Card>,
    attention: Vec<Card>,
    verdicts: Vec<Verdict>,
    charts: Vec<Chart>,
}

/// Midnight in China of the day `at` falls on, `days_back` days earlier.
fn china_midnight(at: DateTime<Utc>, days_back: i64) -> (NaiveDate, DateTime<Utc>) {
    let day = at.with_timezone(&Shanghai).date_naive() - Duration::days(days_back);
    let midnight = Shanghai
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map_or(at, |local| local.with_timezone(&Utc));
    (day, midnight)
}

async fn dashboard(cx: Context) -> Result<HttpResponse, ConsoleError> {
    let operator = &cx.operator;
    if !operator.may(Permission::ViewStatistics) {
        // Roles without figures start on the first page they may open.
        let first = Section::ALL
            .into_iter()
            .find(|section| section.permission().is_none_or(|p| operator.may(p)))
            .unwrap_or(Section::ExchangeRate);
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", first.href()))
            .finish());
    }
    let services = cx.services();
    let now = services.clock.now();
    let (_, today_start) = china_midnight(now, 0);
    let (first_day, period_start) = china_midnight(now, CHART_DAYS - 1);
    let since = async |from| {
        let query = StatisticsQuery {
            from: Some(from),
            ..StatisticsQuery::default()
        };
        services.statistics.figures(&query).await
    };
    let today = since(today_start).await?;
    let month = since(period_start).await?;
    let notifications = services
        .notification_log
        .statistics(&NotificationStatsQuery {
            from: period_start,
            before: now + Duration::seconds(1),
            channel: None,
        })
        .await?;
    let attention = services.attention.report().await?;

    let days: Vec<NaiveDate> = first_day
        .iter_days()
        .take(usize::try_from(CHART_DAYS).unwrap_or(30))
        .collect();
    let stats = &today.statistics;
    let success = stats
        .recharge_success_rate()
        .map_or_else(|| "—".to_owned(), |rate| format!("{rate:.1}%"));
    let month_success = month
        .statistics
        .recharge_success_rate()
        .map_or_else(|| "—".to_owned(), |rate| format!("{rate:.1}%"));
    let backlog_age = stats
        .oldest_pending_paid_at
        .map(|paid_at| (today.taken_at - paid_at).num_seconds());
    let cards = vec![
        Card {
            label: "今日订单 Orders today",
            value: format::grouped(i64::try_from(stats.total_orders).unwrap_or(i64::MAX)),
            note: format!("已付款 paid {}", stats.paid_orders()),
            alarm: false,
            href: Some("/console/orders".to_owned()),
        },
        Card {
            label: "今日收入 Revenue today",
            value: format!("¥{}", format::yuan(stats.revenue_fen)),
            note: format!("₮{}", format::grouped(stats.revenue_mnt)),
            alarm: false,
            href: None,
        },
        Card {
            label: "充值成功率 Recharge success",
            value: success,
            note: format!("30天 30 days: {month_success}"),
            alarm: false,
            href: None,
        },
        Card {
            label: "付款→到账 Paid→recharged",
            value: stats
                .recharge_delay_avg_secs
                .map_or_else(|| "—".to_owned(), format::duration),
            note: stats
                .recharge_delay_max_secs
                .map_or_else(String::new, |max| {
                    format!("最长 max {}", format::duration(max))
                }),
            alarm: stats.recharge_delay_max_secs.is_some_and(|max| max > 600),
            href: None,
        },
        Card {
            label: "待充值积压 Pending backlog",
            value: stats.pending_backlog.to_string(),
            note: backlog_age.map_or_else(
                || "无 none".to_owned(),
                |age| format!("最久 oldest {}", format::duration(age)),
            ),
            alarm: backlog_age.is_some_and(|age| age > 30 * 60),
            href: Some("/console/orders?payment=paid&recharge=pending".to_owned()),
        },
    ];
    let verdicts = NotificationOutcome::ALL
        .into_iter()
        .map(|outcome| Verdict {
            label: outcome.as_str(),
            count: notifications
                .days
                .last()
                .map_or(0, |day| day.outcomes.get(outcome)),
            alarm: matches!(
                outcome,
                NotificationOutcome::Rejected
                    | NotificationOutcome::Unconfirmed
                    | NotificationOutcome::Error
            ),
        })
        .collect();
    let charts = charts(&days, &month.statistics, &notifications);
    let page = DashboardPage {
        chrome: Chrome::new(operator, Section::Dashboard),
        taken_at: format::china_time(today.taken_at),
        cards,
        attention: attention_cards(&attention),
        verdicts,
        charts,
    };
    Ok(html(StatusCode::OK, page.render()?))
}

fn attention_cards(report: &AttentionReport) -> Vec<Card> {
    let tally = |label, total: u64, href: &str| Card {
        label,
        value: total.to_string(),
        note: String::new(),
        alarm: total > 0,
        href: Some(href.to_owned()),
    };
    let mut cards = vec![
        tally(
            "充值未知 Unknown top-ups",
            report.unknown.total,
            "/console/orders?recharge=unknown",
        ),
        tally(
            "充值失败 Failed top-ups",
            report.failed.total,
            "/console/orders?recharge=failed",
        ),
        tally(
            "异常订单 Anomalies",
            report.anomalous.total,
            "/console/orders?anomalies=true",
        ),
    ];
    for stuck in &report.stuck {
        cards.push(Card {
            label: "卡住 Stuck",
            value: if stuck.capped {
                format!("{}+", stuck.count)
            } else {
                stuck.count.to_string()
            },
            note: stuck.kind.describe().to_owned(),
            alarm: stuck.count > 0,
            href: None,
        });
    }
    cards
}

fn charts(
    days: &[NaiveDate],
    month: &elife_domain::ports::OrderStatistics,
    notifications: &elife_domain::ports::NotificationStatistics,
) -> Vec<Chart> {
    let revenue: BTreeMap<NaiveDate, i64> = month.revenue_by_day.iter().copied().collect();
    let revenue_chart = Chart::over(days, "每日收入 Revenue per day (¥)", Unit::Fen, false).series(
        "收入 revenue",
        SeriesKind::Bar,
        days,
        |day| revenue.get(&day).copied().unwrap_or(0),
    );

    let mut anomalies: BTreeMap<String, BTreeMap<NaiveDate, i64>> = BTreeMap::new();
    for (day, kind, count) in &month.anomalies_by_day {
        *anomalies
            .entry(kind.clone())
            .or_default()
            .entry(*day)
            .or_default() += i64::try_from(*count).unwrap_or(i64::MAX);
    }
    let mut anomaly_chart = Chart::over(days, "每日异常 Anomalies per day", Unit::Count, true);
    for (kind, per_day) in &anomalies {
        anomaly_chart = anomaly_chart.series(kind, SeriesKind::Bar, days, |day| {
            per_day.get(&day).copied().unwrap_or(0)
        });
    }

    let by_day: BTreeMap<NaiveDate, _> = notifications
        .days
        .iter()
        .map(|day| (day.day, day.outcomes))
        .collect();
    let mut verdict_chart = Chart::over(
        days,
        "支付通知结果 Notification verdicts",
        Unit::Count,
        true,
    );
    for outcome in NotificationOutcome::ALL {
        verdict_chart = verdict_chart.series(outcome.as_str(), SeriesKind::Bar, days, |day| {
            by_day.get(&day).map_or(0, |counts| {
                i64::try_from(counts.get(outcome)).unwrap_or(i64::MAX)
            })
        });
    }
    vec![revenue_chart, anomaly_chart, verdict_chart]
}
