//! JSON text columns: values only read back with their row.

use elife_domain::ports::RepositoryError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::corrupt;

pub(crate) fn to_json<T: Serialize + ?Sized>(
    what: &str,
    value: &T,
) -> Result<String, RepositoryError> {
    serde_json::to_string(value).map_err(|error| corrupt(what, error))
}

pub(crate) fn opt_json<T: Serialize>(
    what: &str,
    value: Option<&T>,
) -> Result<Option<String>, RepositoryError> {
    value.map(|value| to_json(what, value)).transpose()
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T, RepositoryError> {
    serde_json::from_str(raw).map_err(|error| corrupt(what, error))
}

pub(crate) fn opt_from_json<T: DeserializeOwned>(
    what: &str,
    raw: Option<&str>,
) -> Result<Option<T>, RepositoryError> {
    raw.map(|raw| from_json(what, raw)).transpose()
}
