//! Changing the `MNT_TO_CNY` rate: bounded, confirmed when the jump is large, audited.
//!
//! Every new order is priced at this rate, so one typo moves real money: a rate of 0.0001
//! once priced a 3,000 MNT top-up at 30,000,000 CNY. Hence absolute bounds, and an explicit
//! confirmation for a large change.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::accounts::audit::{AdminAct, AuditAction};
use crate::money::ExchangeRate;
use crate::ports::{CasOutcome, Clock, ExchangeRateRepository, StoredRate};

use super::ServiceError;

/// What a rate change must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeRatePolicy {
    /// Lowest accepted MNT per CNY.
    pub min: Decimal,
    /// Highest accepted MNT per CNY.
    pub max: Decimal,
    /// A change by more than this fraction of the current rate (0.2 = 20%) needs
    /// `confirm: true`.
    pub max_change: Decimal,
}

impl ExchangeRatePolicy {
    /// 100..=2000 MNT per CNY. The tugrik traded between roughly 280 and 500 per yuan over
    /// 2015–2025; the bounds leave room for years of drift either way while refusing the
    /// mistakes that matter: a rate typed in the wrong unit (CNY per MNT, ~0.002), a
    /// dropped or doubled digit (48, 4800), or a test value (1, 0.0001).
    pub const DEFAULT_MIN: Decimal = Decimal::from_parts(100, 0, 0, false, 0);
    pub const DEFAULT_MAX: Decimal = Decimal::from_parts(2000, 0, 0, false, 0);
    /// 20%.
    pub const DEFAULT_MAX_CHANGE: Decimal = Decimal::from_parts(2, 0, 0, false, 1);
}

impl Default for ExchangeRatePolicy {
    fn default() -> Self {
        ExchangeRatePolicy {
            min: Self::DEFAULT_MIN,
            max: Self::DEFAULT_MAX,
            max_change: Self::DEFAULT_MAX_CHANGE,
        }
    }
}

pub struct ExchangeRateService {
    rates: Arc<dyn ExchangeRateRepository>,
    clock: Arc<dyn Clock>,
    policy: ExchangeRatePolicy,
}

impl ExchangeRateService {
    pub fn new(
        rates: Arc<dyn ExchangeRateRepository>,
        clock: Arc<dyn Clock>,
        policy: ExchangeRatePolicy,
    ) -> Self {
        ExchangeRateService {
            rates,
            clock,
            policy,
        }
    }

    pub fn policy(&self) -> ExchangeRatePolicy {
        self.policy
    }

    /// The active `MNT_TO_CNY` rate, the one new orders are priced at; `NotFound` while
    /// none is set.
    pub async fn current(&self) -> Result<StoredRate, ServiceError> {
        let pair = ExchangeRate::MNT_TO_CNY;
        self.rates
            .active(pair)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no active {pair} exchange rate")))
    }

    /// An admin sets the `MNT_TO_CNY` rate. Refused outside the policy's bounds; a change by
    /// more than `max_change` of the current rate needs `confirm` (a conflict otherwise).
    /// The audit row (before → after) is written in the rate's transaction.
    pub async fn change(
        &self,
        act: &AdminAct,
        rate: ExchangeRate,
        confirm: bool,
        reason: Option<&str>,
    ) -> Result<StoredRate, ServiceError> {
        let value = rate.value();
        if value < self.policy.min || value > self.policy.max {
            return Err(ServiceError::Validation(format!(
                "rate {} MNT per CNY is outside the accepted range {}..={}",
                value.normalize(),
                self.policy.min,
                self.policy.max
            )));
        }
        let pair = ExchangeRate::MNT_TO_CNY;
        let current = self.rates.active(pair).await?;
        if let Some(current) = &current {
            let before = current.rate.value();
            let change = ((value - before) / before).abs();
            if change > self.policy.max_change && !confirm {
                return Err(ServiceError::Conflict(format!(
                    "changing the rate from {} to {} is a {}% change, more than the {}% allowed \
                     without confirmation: send confirm: true to apply it",
                    before.normalize(),
                    value.normalize(),
                    (change * Decimal::ONE_HUNDRED).round_dp(1).normalize(),
                    (self.policy.max_change * Decimal::ONE_HUNDRED).normalize()
                )));
            }
        }
        let now = self.clock.now();
        let entry = act.entry(
            AuditAction::ExchangeRateChange,
            pair,
            reason,
            current.as_ref().map(|current| rate_view(current.rate)),
            Some(rate_view(rate)),
            now,
        );
        let expected = current.as_ref().map(|current| current.rate);
        match self
            .rates
            .set(pair, expected, rate, now, Some(entry))
            .await?
        {
            CasOutcome::Won => {}
            CasOutcome::Lost => {
                return Err(ServiceError::Conflict(
                    "the exchange rate was changed meanwhile: reload it and decide again"
                        .to_owned(),
                ));
            }
        }
        tracing::info!(rate = %rate.value(), by = %act.actor.username, "exchange rate changed");
        Ok(StoredRate {
            pair: pair.to_owned(),
            rate,
            is_active: true,
            updated_at: now,
        })
    }
}

fn rate_view(rate: ExchangeRate) -> serde_json::Value {
    serde_json::json!({ "rate": rate.value().normalize().to_string() })
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::accounts::audit::AuditActor;
    use crate::ports::{MockClock, MockExchangeRateRepository};
    use crate::testing::t0;

    fn service(rates: MockExchangeRateRepository) -> ExchangeRateService {
        let mut clock = MockClock::new();
        clock.expect_now().returning(t0);
        ExchangeRateService::new(
            Arc::new(rates),
            Arc::new(clock),
            ExchangeRatePolicy::default(),
        )
    }

    fn rate(value: Decimal) -> ExchangeRate {
        ExchangeRate::new(value).unwrap()
    }

    fn act() -> AdminAct {
        AdminAct::new(AuditActor::break_glass(), None)
    }

    fn current(value: Decimal) -> MockExchangeRateRepository {
        let mut rates = MockExchangeRateRepository::new();
        rates.expect_active().returning(move |pair| {
            Ok(Some(StoredRate {
                pair: pair.to_owned(),
                rate: rate(value),
                is_active: true,
                updated_at: t0(),
            }))
        });
        rates
    }

    #[tokio::test]
    async fn the_current_rate_is_the_active_one() {
        let stored = service(current(dec!(480))).current().await.unwrap();
        assert_eq!(
            (stored.pair.as_str(), stored.rate),
            (ExchangeRate::MNT_TO_CNY, rate(dec!(480)))
        );
    }

    #[tokio::test]
    async fn without_an_active_rate_there_is_none_to_show() {
        let mut rates = MockExchangeRateRepository::new();
        rates.expect_active().returning(|_| Ok(None));
        match service(rates).current().await.unwrap_err() {
            ServiceError::NotFound(message) => {
                assert_eq!(message, "no active MNT_TO_CNY exchange rate");
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
        let mut down = MockExchangeRateRepository::new();
        down.expect_active().returning(|_| {
            Err(crate::ports::RepositoryError::Unavailable(
                "connection refused".to_owned(),
            ))
        });
        assert!(matches!(
            service(down).current().await,
            Err(ServiceError::Unavailable(_))
        ));
    }

    #[tokio::test]
    async fn absurd_rates_are_refused_before_anything_is_read() {
        for value in [dec!(0.0001), dec!(99.9999), dec!(2000.0001), dec!(480000)] {
            let mut rates = MockExchangeRateRepository::new();
            rates.expect_active().never();
            rates.expect_set().never();
            let error = service(rates)
                .change(&act(), rate(value), true, None)
                .await
                .unwrap_err();
            assert!(
                matches!(error, ServiceError::Validation(_)),
                "{value}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_large_change_needs_confirmation() {
        let mut rates = current(dec!(480));
        rates.expect_set().never();
        let error = service(rates)
            .change(&act(), rate(dec!(624)), false, None)
            .await
            .unwrap_err();
        let ServiceError::Conflict(message) = error else {
            panic!("expected a conflict, got {error:?}");
        };
        assert!(
            message.contains("30%") && message.contains("confirm"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_confirmed_or_small_change_is_written_with_its_audit_row() {
        for (value, confirm) in [(dec!(624), true), (dec!(576), false), (dec!(384), false)] {
            let mut rates = current(dec!(480));
            rates
                .expect_set()
                .times(1)
                .withf(move |pair, expected, new, at, audit| {
                    let audit = audit.as_ref().expect("audited");
                    pair == "MNT_TO_CNY"
                        && expected.map(|rate| rate.value()) == Some(dec!(480))
                        && new.value() == value
                        && *at == t0()
                        && audit.action == AuditAction::ExchangeRateChange
                        && audit.before == Some(serde_json::json!({"rate": "480"}))
                        && audit.after
                            == Some(serde_json::json!({"rate": value.normalize().to_string()}))
                        && audit.reason.as_deref() == Some("market moved")
                })
                .returning(|_, _, _, _, _| Ok(CasOutcome::Won));
            let stored = service(rates)
                .change(&act(), rate(value), confirm, Some("market moved"))
                .await
                .unwrap();
            assert_eq!(stored.rate.value(), value);
        }
    }

    #[tokio::test]
    async fn the_first_rate_needs_no_confirmation() {
        let mut rates = MockExchangeRateRepository::new();
        rates.expect_active().returning(|_| Ok(None));
        rates
            .expect_set()
            .times(1)
            .withf(|_, expected, _, _, audit| {
                expected.is_none() && audit.as_ref().is_some_and(|a| a.before.is_none())
            })
            .returning(|_, _, _, _, _| Ok(CasOutcome::Won));
        service(rates)
            .change(&act(), rate(dec!(480)), false, None)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_rate_changed_meanwhile_is_a_conflict() {
        let mut rates = current(dec!(480));
        rates
            .expect_set()
            .times(1)
            .returning(|_, _, _, _, _| Ok(CasOutcome::Lost));
        let error = service(rates)
            .change(&act(), rate(dec!(490)), false, None)
            .await
            .unwrap_err();
        assert!(matches!(error, ServiceError::Conflict(_)), "{error:?}");
    }
}
