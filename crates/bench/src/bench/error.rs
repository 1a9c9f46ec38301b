//! Why a benchmark run, or one of its scenarios, could not be done.

use crate::cluster::ClusterError;
use crate::database::DatabaseError;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Sql {
        what: &'static str,
        source: sea_orm::DbErr,
    },
    #[error("{0}")]
    NoRow(&'static str),
    /// A request to the server or a simulator failed while preparing orders; the message
    /// names the step (requests under load are counted as errors instead).
    #[error("{0}")]
    Request(String),
    #[error("no rate: run `callback` first or give --rate")]
    NoRate,
}

impl From<String> for BenchError {
    fn from(message: String) -> BenchError {
        BenchError::Request(message)
    }
}

/// `map_err` for a statement named `what`.
pub fn sql(what: &'static str) -> impl FnOnce(sea_orm::DbErr) -> BenchError {
    move |source| BenchError::Sql { what, source }
}
