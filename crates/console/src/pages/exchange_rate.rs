//! The `MNT_TO_CNY` exchange rate: what it is, since when and who set it, the policy's
//! bounds, and (for roles that may) the form that changes it through the same bounded,
//! confirmed and audited use case as `PUT /admin/exchange-rate`.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use elife_domain::accounts::audit::{AuditAction, AuditFilter};
use elife_domain::accounts::permissions::Permission;
use elife_domain::money::ExchangeRate;
use elife_domain::ports::{PageRequest, StoredRate};
use elife_domain::services::ServiceError;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::context::{Context, Fragment};
use crate::error::ConsoleError;
use crate::format;
use crate::layout::Section;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/exchange-rate", web::get().to(show))
        .route("/exchange-rate", web::post().to(change));
}

/// Everything the rate panel shows; the page and the htmx fragment render the same panel.
#[derive(Template)]
#[template(path = "exchange_rate_panel.html")]
struct RatePanel {
    /// `None` while no rate is set.
    current: Option<String>,
    set_at: Option<String>,
    /// Who made the change that set the current rate, when the audit trail says so.
    set_by: Option<String>,
    set_reason: Option<String>,
    min: String,
    max: String,
    max_change: String,
    can_change: bool,
    /// The form as the operator left it.
    rate: String,
    reason: String,
    /// The rate the operator decided on, sent back with the form.
    seen: String,
    /// The change was refused for want of confirmation: the checkbox appears.
    needs_confirm: bool,
    warning: Option<String>,
    /// The rate changed while the operator was deciding.
    conflict: Option<String>,
    flash: Option<String>,
}

impl Fragment for RatePanel {
    const SECTION: Section = Section::ExchangeRate;
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RateForm {
    rate: String,
    reason: String,
    seen: Option<String>,
    /// A checkbox: present when ticked.
    confirm: Option<String>,
}

/// `480.5000` and `480.5` are the same rate.
fn rate_text(rate: ExchangeRate) -> String {
    rate.value().normalize().to_string()
}

/// Did the operator decide on the rate that is current now? A blank `seen` stands for "no
/// rate was set".
fn decided_on(seen: &str, current: Option<ExchangeRate>) -> bool {
    let seen = seen.trim();
    match current {
        None => seen.is_empty(),
        Some(rate) => Decimal::from_str(seen).is_ok_and(|seen| seen == rate.value()),
    }
}

/// The change in percent the policy lets pass unconfirmed (`0.2` → `20`).
fn percent(fraction: Decimal) -> String {
    (fraction * Decimal::ONE_HUNDRED).normalize().to_string()
}

async fn current(cx: &Context) -> Result<Option<StoredRate>, ConsoleError> {
    match cx.services().exchange_rates.current().await {
        Ok(stored) => Ok(Some(stored)),
        Err(ServiceError::NotFound(_)) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

async fn panel(cx: &Context) -> Result<RatePanel, ConsoleError> {
    let (services, operator) = (cx.services(), &cx.operator);
    let stored = current(cx).await?;
    let policy = services.exchange_rates.policy();
    let mut panel = RatePanel {
        current: stored.as_ref().map(|stored| rate_text(stored.rate)),
        set_at: stored
            .as_ref()
            .map(|stored| format::china_time(stored.updated_at)),
        set_by: None,
        set_reason: None,
        min: policy.min.normalize().to_string(),
        max: policy.max.normalize().to_string(),
        max_change: percent(policy.max_change),
        can_change: operator.may(Permission::ChangeExchangeRate),
        rate: String::new(),
        reason: String::new(),
        seen: stored
            .as_ref()
            .map(|stored| rate_text(stored.rate))
            .unwrap_or_default(),
        needs_confirm: false,
        warning: None,
        conflict: None,
        flash: None,
    };
    if let Some(stored) = &stored
        && operator.may(Permission::ViewAudit)
    {
        let filter = AuditFilter {
            action: Some(AuditAction::ExchangeRateChange),
            ..AuditFilter::default()
        };
        let page = PageRequest { page: 1, limit: 1 };
        match services
            .audit_trail
            .list(&operator.act(), &filter, page)
            .await
        {
            Ok(records) => {
                // Only the change that set this very rate tells who set it (a rate seeded
                // by a migration has no audit row).
                let shown = rate_text(stored.rate);
                if let Some(record) = records.items.first().filter(|record| {
                    record
                        .entry
                        .after
                        .as_ref()
                        .and_then(|after| after["rate"].as_str())
                        == Some(shown.as_str())
                }) {
                    let actor = &record.entry.actor;
                    panel.set_by = Some(format!("{} ({})", actor.username, actor.role));
                    panel.set_reason = record.entry.reason.clone();
                }
            }
            // The rate matters more than who set it: the page still shows it.
            Err(error) => tracing::warn!(%error, "console: the rate's audit row was not read"),
        }
    }
    Ok(panel)
}

async fn show(cx: Context) -> Result<HttpResponse, ConsoleError> {
    let panel = panel(&cx).await?;
    cx.page(StatusCode::OK, panel)
}

/// The rate as typed, checked as `PUT /admin/exchange-rate` checks it.
fn parse_rate(raw: &str) -> Result<ExchangeRate, ConsoleError> {
    let value = Decimal::from_str(raw.trim())
        .map_err(|_| ConsoleError::Invalid("rate must be a positive decimal number".to_owned()))?;
    ExchangeRate::new(value).map_err(|error| ConsoleError::Invalid(error.to_string()))
}

async fn change(cx: Context, form: web::Form<RateForm>) -> Result<HttpResponse, ConsoleError> {
    cx.operator.require(Permission::ChangeExchangeRate)?;
    let form = form.into_inner();
    let rate = parse_rate(&form.rate)?;
    let before = current(&cx).await?.map(|stored| stored.rate);
    let changed_meanwhile = |panel: &mut RatePanel| {
        panel.conflict = Some(format!(
            "汇率已被修改，当前为 {}，请重新决定 The rate was changed meanwhile (now {}): decide again",
            panel.current.as_deref().unwrap_or("—"),
            panel.current.as_deref().unwrap_or("none"),
        ));
    };
    // The operator decided looking at one rate; if another is current now, the size of the
    // change they confirmed (or did not) is not the one the use case would weigh.
    if let Some(seen) = &form.seen
        && !decided_on(seen, before)
    {
        let mut panel = panel(&cx).await?;
        panel.rate = form.rate;
        panel.reason = form.reason;
        changed_meanwhile(&mut panel);
        return cx.page(StatusCode::CONFLICT, panel);
    }
    let confirm = form.confirm.is_some();
    let reason = Some(form.reason.trim()).filter(|reason| !reason.is_empty());
    match cx
        .services()
        .exchange_rates
        .change(&cx.operator.act(), rate, confirm, reason)
        .await
    {
        Ok(stored) => {
            let mut panel = panel(&cx).await?;
            panel.flash = Some(format!(
                "汇率已设为 {0} The exchange rate is now {0} MNT per CNY",
                rate_text(stored.rate)
            ));
            cx.page(StatusCode::OK, panel)
        }
        Err(ServiceError::Conflict(message)) => {
            let mut panel = panel(&cx).await?;
            panel.rate = form.rate;
            panel.reason = form.reason;
            // The use case refuses a large unconfirmed change and a lost compare-and-set
            // alike; the rate still being the one decided on tells them apart.
            let now = current(&cx).await?.map(|stored| stored.rate);
            if !confirm && now == before {
                panel.needs_confirm = true;
                panel.warning = Some(format!(
                    "变动超过 {0}%，请确认 The change exceeds {0}%, confirm. {1}",
                    panel.max_change, message
                ));
            } else {
                changed_meanwhile(&mut panel);
            }
            cx.page(StatusCode::CONFLICT, panel)
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(raw: &str) -> ExchangeRate {
        parse_rate(raw).expect("a valid rate")
    }

    #[test]
    fn rates_are_read_as_the_api_reads_them() {
        assert_eq!(rate_text(rate(" 480.5000 ")), "480.5");
        for bad in ["", "abc", "-480", "0", "480.12345"] {
            assert!(parse_rate(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_decision_holds_only_for_the_rate_it_was_made_on() {
        assert!(decided_on("480.5", Some(rate("480.50"))));
        assert!(!decided_on("480", Some(rate("490"))));
        assert!(!decided_on("", Some(rate("490"))));
        assert!(!decided_on("junk", Some(rate("490"))));
        assert!(decided_on(" ", None));
        assert!(!decided_on("480", None));
    }

    #[test]
    fn the_allowed_change_reads_as_a_percentage() {
        assert_eq!(percent(Decimal::new(2, 1)), "20");
        assert_eq!(percent(Decimal::new(125, 3)), "12.5");
    }
}
