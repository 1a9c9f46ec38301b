//! Why a torture run could not be done (as opposed to done and failed: that is the audit's).

use crate::cluster::ClusterError;
use crate::database::DatabaseError;

#[derive(Debug, thiserror::Error)]
pub enum ChaosError {
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The TCP balancer put in front of the instances did not start.
    #[error(transparent)]
    Balancer(std::io::Error),
    #[error("{what}: {source}")]
    Sql {
        what: &'static str,
        source: sea_orm::DbErr,
    },
    #[error(transparent)]
    HttpClient(reqwest::Error),
    /// A simulator's control path did not answer.
    #[error("{url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    /// A simulator's control path refused the request.
    #[error("{url}: HTTP {status}: {text}")]
    Refused {
        url: String,
        status: reqwest::StatusCode,
        text: String,
    },
    /// The admin API did not put a points package on sale.
    #[error(
        "putting a points package on sale: {url}: HTTP {status}: {text} (--points-percent 0 leaves points out)"
    )]
    PointsPackage {
        url: String,
        status: reqwest::StatusCode,
        text: String,
    },
    #[error(transparent)]
    DatabaseUrl(#[from] url::ParseError),
    #[error("cannot set the port")]
    DatabasePort,
    #[error(transparent)]
    WechatPayV3Simulator(#[from] elife_sandbox::wechat_pay_v3::WechatPayV3SimError),
}

/// `map_err` for an I/O step named `what`.
pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ChaosError {
    let what = what.into();
    move |source| ChaosError::Io { what, source }
}
