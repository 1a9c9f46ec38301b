//! An exchange rate column read and written without ever passing through a float.
//!
//! MySQL and PostgreSQL store `DECIMAL(10,4)`; SQLite stores the decimal as text (see the
//! migrations). SeaORM's own `Decimal` reads SQLite through `f64`, so this type reads text
//! where the backend gives text and a decimal elsewhere.

use rust_decimal::Decimal;
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};

/// The scale every stored rate has, on every backend.
pub const RATE_SCALE: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactRate(pub Decimal);

impl From<ExactRate> for Value {
    fn from(rate: ExactRate) -> Self {
        Value::Decimal(Some(rate.0))
    }
}

impl TryGetable for ExactRate {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        // Text first: only SQLite answers it (DECIMAL/NUMERIC columns refuse a String).
        match String::try_get_by(res, idx) {
            Ok(text) => text.trim().parse::<Decimal>().map(ExactRate).map_err(|e| {
                TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                    "stored rate {text:?} is not a decimal: {e}"
                )))
            }),
            Err(TryGetError::Null(column)) => Err(TryGetError::Null(column)),
            Err(TryGetError::DbErr(_)) => Decimal::try_get_by(res, idx).map(ExactRate),
        }
    }
}

impl ValueType for ExactRate {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(decimal)) => Ok(ExactRate(decimal)),
            Value::String(Some(text)) => text.parse().map(ExactRate).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "ExactRate".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(Some((10, RATE_SCALE)))
    }
}

impl Nullable for ExactRate {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl sea_orm::IntoActiveValue<ExactRate> for ExactRate {
    fn into_active_value(self) -> sea_orm::ActiveValue<ExactRate> {
        sea_orm::ActiveValue::Set(self)
    }
}
