//! A logistics company the merchant may ship with.

use serde::{Deserialize, Serialize};

/// Characters of a company code (Kuaidi100's codes are short lowercase words).
pub const MAX_CODE: usize = 32;
/// Characters of a company's display name.
pub const MAX_NAME: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogisticsCompany {
    /// The tracking API's company code, e.g. `shunfeng`: lowercase ASCII letters, digits,
    /// `_` or `-`.
    pub code: String,
    /// What people read, e.g. 顺丰速运.
    pub name: String,
    /// Offered when shipping.
    pub enabled: bool,
    /// Lower first in lists.
    pub sort_order: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompanyError {
    #[error("a company code is 1 to {MAX_CODE} lowercase letters, digits, '_' or '-', got {0:?}")]
    BadCode(String),
    #[error("a company name is 1 to {MAX_NAME} characters")]
    BadName,
}

impl LogisticsCompany {
    /// A checked company: the code trimmed and validated, the name trimmed.
    pub fn new(
        code: &str,
        name: &str,
        enabled: bool,
        sort_order: i32,
    ) -> Result<LogisticsCompany, CompanyError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(CompanyError::BadName);
        }
        Ok(LogisticsCompany {
            code: Self::checked_code(code)?,
            name: name.to_owned(),
            enabled,
            sort_order,
        })
    }

    /// A code as the tracking API spells it.
    pub fn checked_code(raw: &str) -> Result<String, CompanyError> {
        let code = raw.trim();
        let valid = !code.is_empty()
            && code.len() <= MAX_CODE
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if valid {
            Ok(code.to_owned())
        } else {
            Err(CompanyError::BadCode(code.chars().take(40).collect()))
        }
    }
}
