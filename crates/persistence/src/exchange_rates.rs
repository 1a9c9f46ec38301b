//! Exchange rates, stored with exactly four decimals on every backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use elife_domain::accounts::audit::AuditEntry;
use elife_domain::money::ExchangeRate;
use elife_domain::ports::{CasOutcome, ExchangeRateRepository, RepositoryError, StoredRate};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

use crate::audit::insert_entry;
use crate::connection::{begin_write, finish};
use crate::entities::exact_rate::RATE_SCALE;
use crate::entities::{ExactRate, exchange_rates};
use crate::error::{corrupt, map_db_err};
use crate::time::{from_db, to_db};

/// `DECIMAL(10,4)` holds at most 999999.9999.
const RATE_LIMIT: i64 = 1_000_000;

/// The stored form of a rate: four decimals; refused when that would round it.
pub(crate) fn rate_to_db(rate: ExchangeRate) -> Result<ExactRate, RepositoryError> {
    let value = rate.value();
    if value.normalize().scale() > RATE_SCALE || value.abs() >= Decimal::from(RATE_LIMIT) {
        return Err(RepositoryError::Corrupt(format!(
            "rate {value} cannot be stored exactly: at most 6 integer digits and {RATE_SCALE} decimals"
        )));
    }
    let mut stored = value;
    stored.rescale(RATE_SCALE);
    Ok(ExactRate(stored))
}

#[derive(Debug, Clone)]
pub struct SeaOrmExchangeRateRepository {
    db: DatabaseConnection,
}

impl SeaOrmExchangeRateRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        SeaOrmExchangeRateRepository { db }
    }
}

/// Sets the pair's rate where it still is `expected`; the rows changed. `updated_at`
/// always moves, so MySQL (which counts changed rows, not matched ones) counts a match.
async fn update_rate<C: ConnectionTrait>(
    db: &C,
    pair: &str,
    expected: ExactRate,
    rate: ExactRate,
    now: chrono::NaiveDateTime,
) -> Result<u64, DbErr> {
    exchange_rates::Entity::update_many()
        .col_expr(exchange_rates::Column::Rate, Expr::value(rate))
        .col_expr(exchange_rates::Column::IsActive, Expr::value(true))
        .col_expr(exchange_rates::Column::UpdatedAt, Expr::value(now))
        .filter(exchange_rates::Column::Currency.eq(pair))
        .filter(exchange_rates::Column::Rate.eq(expected))
        .exec(db)
        .await
        .map(|result| result.rows_affected)
}

#[async_trait]
impl ExchangeRateRepository for SeaOrmExchangeRateRepository {
    async fn active(&self, pair: &str) -> Result<Option<StoredRate>, RepositoryError> {
        exchange_rates::Entity::find()
            .filter(exchange_rates::Column::Currency.eq(pair))
            .filter(exchange_rates::Column::IsActive.eq(true))
            .one(&self.db)
            .await
            .map_err(map_db_err)?
            .map(stored_rate)
            .transpose()
    }

    async fn set(
        &self,
        pair: &str,
        expected: Option<ExchangeRate>,
        rate: ExchangeRate,
        now: DateTime<Utc>,
        audit: Option<AuditEntry>,
    ) -> Result<CasOutcome, RepositoryError> {
        let stored = rate_to_db(rate)?;
        let expected = expected.map(rate_to_db).transpose()?;
        let now = to_db(now);
        let txn = begin_write(&self.db).await.map_err(map_db_err)?;
        let written: Result<CasOutcome, RepositoryError> = async {
            let won = match expected {
                Some(expected) => {
                    update_rate(&txn, pair, expected, stored, now)
                        .await
                        .map_err(map_db_err)?
                        == 1
                }
                // A first rate: the unique pair settles a race between two creators.
                None => match exchange_rates::Entity::insert(exchange_rates::ActiveModel {
                    id: NotSet,
                    currency: Set(pair.to_owned()),
                    rate: Set(stored),
                    is_active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(&txn)
                .await
                .map_err(map_db_err)
                {
                    Ok(_) => true,
                    Err(RepositoryError::Duplicate(_)) => false,
                    Err(other) => return Err(other),
                },
            };
            if won && let Some(entry) = &audit {
                insert_entry(&txn, entry).await.map_err(map_db_err)?;
            }
            Ok(if won {
                CasOutcome::Won
            } else {
                CasOutcome::Lost
            })
        }
        .await;
        match written {
            Ok(CasOutcome::Lost) => {
                txn.rollback().await.map_err(map_db_err)?;
                Ok(CasOutcome::Lost)
            }
            other => finish(txn, other).await,
        }
    }
}

fn stored_rate(row: exchange_rates::Model) -> Result<StoredRate, RepositoryError> {
    Ok(StoredRate {
        rate: ExchangeRate::new(row.rate.0)
            .map_err(|e| corrupt(&format!("rate of {}", row.currency), e))?,
        pair: row.currency,
        is_active: row.is_active,
        updated_at: from_db(row.updated_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn rate(value: Decimal) -> ExchangeRate {
        ExchangeRate::new(value).unwrap()
    }

    #[test]
    fn stores_four_decimals() {
        assert_eq!(
            rate_to_db(rate(dec!(480))).unwrap().0.to_string(),
            "480.0000"
        );
        assert_eq!(
            rate_to_db(rate(dec!(470.12340))).unwrap().0.to_string(),
            "470.1234"
        );
    }

    #[test]
    fn stores_every_rate_the_domain_allows() {
        // The domain refuses what DECIMAL(10,4) cannot hold exactly; its limits fit.
        assert!(ExchangeRate::new(dec!(470.12345)).is_err());
        assert!(ExchangeRate::new(dec!(1000000)).is_err());
        assert!(rate_to_db(rate(dec!(999999.9999))).is_ok());
        assert!(rate_to_db(rate(dec!(0.0001))).is_ok());
    }
}
