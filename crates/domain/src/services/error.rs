use crate::money::MoneyError;
use crate::msisdn::MsisdnError;
use crate::order::{IdError, OrderError, UnknownRechargeKind};
use crate::ports::{GatewayError, ProviderError, RepositoryError};

/// What a use case can answer besides success; the inbound adapter maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is wrong; nothing changed.
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    NotFound(String),
    /// The order is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// The provider or gateway refused or failed; nothing changed on our side.
    #[error("{0}")]
    Upstream(String),
    /// Something we depend on (storage, the payment gateway) failed for now; the caller
    /// may retry. The message names which.
    #[error("{0}")]
    Unavailable(String),
}

impl From<RepositoryError> for ServiceError {
    fn from(error: RepositoryError) -> Self {
        match error {
            RepositoryError::Duplicate(what) => {
                ServiceError::Conflict(format!("{what} already exists"))
            }
            RepositoryError::Corrupt(_) | RepositoryError::Unavailable(_) => {
                ServiceError::Unavailable(error.to_string())
            }
        }
    }
}

impl From<MsisdnError> for ServiceError {
    fn from(error: MsisdnError) -> Self {
        ServiceError::Validation(error.to_string())
    }
}

impl From<IdError> for ServiceError {
    fn from(error: IdError) -> Self {
        ServiceError::Validation(error.to_string())
    }
}

impl From<UnknownRechargeKind> for ServiceError {
    fn from(error: UnknownRechargeKind) -> Self {
        ServiceError::Validation(error.to_string())
    }
}

impl From<MoneyError> for ServiceError {
    fn from(error: MoneyError) -> Self {
        ServiceError::Validation(error.to_string())
    }
}

impl From<OrderError> for ServiceError {
    fn from(error: OrderError) -> Self {
        ServiceError::Conflict(error.to_string())
    }
}

impl From<ProviderError> for ServiceError {
    fn from(error: ProviderError) -> Self {
        match error {
            ProviderError::Rejected { .. } => ServiceError::Validation(error.to_string()),
            ProviderError::Unavailable(_) | ProviderError::InvalidResponse(_) => {
                ServiceError::Upstream(error.to_string())
            }
        }
    }
}

impl From<GatewayError> for ServiceError {
    fn from(error: GatewayError) -> Self {
        match error {
            GatewayError::OrderPaid | GatewayError::OrderClosed => {
                ServiceError::Conflict(error.to_string())
            }
            GatewayError::NotFound => ServiceError::NotFound(error.to_string()),
            GatewayError::Unavailable(_) | GatewayError::Rejected { .. } => {
                ServiceError::Upstream(error.to_string())
            }
        }
    }
}

impl From<crate::payments::PayTransitionError> for ServiceError {
    fn from(error: crate::payments::PayTransitionError) -> Self {
        ServiceError::Conflict(error.to_string())
    }
}
