//! Bills: where to download the trade and fund-flow bills of a day, and the download itself,
//! whose answer WeChat Pay does not sign: the SHA-1 digest from the signed answer vouches
//! for it instead.

use chrono::NaiveDate;
use reqwest::Method;
use sha1::{Digest, Sha1};
use url::Url;

use super::WechatPayClient;
use super::request::ApiRequest;
use crate::error::{NotSent, Unknown, WechatPayError};
use crate::model::{BillLocation, FundAccountType, TradeBillType};

const SHA1_HASH_TYPE: &str = "SHA1";

impl WechatPayClient {
    /// `GET /v3/bill/tradebill`: the trade bill of `date` (China calendar day). A day without
    /// a bill is [`WechatPayError::NotFound`] (`NO_STATEMENT_EXIST`).
    pub async fn trade_bill(
        &self,
        date: NaiveDate,
        bill_type: TradeBillType,
    ) -> Result<BillLocation, WechatPayError> {
        let path = format!(
            "/v3/bill/tradebill?bill_date={}&bill_type={}",
            date.format("%Y-%m-%d"),
            bill_type.as_str()
        );
        self.call(ApiRequest::get(path)).await
    }

    /// `GET /v3/bill/fundflowbill`: the fund-flow bill of one account for `date`.
    pub async fn fund_flow_bill(
        &self,
        date: NaiveDate,
        account_type: FundAccountType,
    ) -> Result<BillLocation, WechatPayError> {
        let path = format!(
            "/v3/bill/fundflowbill?bill_date={}&account_type={}",
            date.format("%Y-%m-%d"),
            account_type.as_str()
        );
        self.call(ApiRequest::get(path)).await
    }

    /// Downloads a bill (uncompressed text) and checks its SHA-1 digest. The request is
    /// signed; the answer is not, by design of the API.
    pub async fn download_bill(&self, location: &BillLocation) -> Result<Vec<u8>, WechatPayError> {
        if !location.hash_type.eq_ignore_ascii_case(SHA1_HASH_TYPE) {
            return Err(WechatPayError::OutcomeUnknown(Unknown::Malformed {
                status: 200,
                reason: format!("unsupported bill hash_type {:?}", location.hash_type),
            }));
        }
        let url = Url::parse(&location.download_url).map_err(|source| {
            WechatPayError::NotSent(NotSent::Url {
                url: location.download_url.clone(),
                source,
            })
        })?;
        let answer = self.exchange(Method::GET, url, None, None).await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.error_answer(answer));
        }
        let actual = hex::encode(Sha1::digest(&answer.body));
        if !actual.eq_ignore_ascii_case(location.hash_value.trim()) {
            return Err(WechatPayError::OutcomeUnknown(
                Unknown::BillDigestMismatch {
                    expected: location.hash_value.clone(),
                    actual,
                },
            ));
        }
        Ok(answer.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_sha_util_vector() {
        // wechatpay-java util/ShaUtilTest.java.
        assert_eq!(
            hex::encode(Sha1::digest(b"message")),
            "6f9b9af3cd6e8b8a73c2cdced37fe9f59226e27d"
        );
    }
}
