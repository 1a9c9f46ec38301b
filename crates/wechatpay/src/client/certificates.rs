//! Downloading the platform certificates into the client's store.

use reqwest::Method;

use super::WechatPayClient;
use crate::certificates::{CERTIFICATES_PATH, CertificateError, decrypt_certificates};
use crate::error::WechatPayError;
use crate::verification::{SignatureHeaders, VerificationError};

#[derive(Debug, thiserror::Error)]
pub enum CertificateRefreshError {
    #[error("platform certificates are off in the configuration")]
    Disabled,
    #[error("cannot download the platform certificates: {0}")]
    Download(#[source] WechatPayError),
    #[error("the platform certificate list is unusable: {0}")]
    Certificates(#[source] CertificateError),
    #[error("the platform certificate list failed verification: {0}")]
    Unverified(#[source] VerificationError),
}

impl WechatPayClient {
    /// Downloads `/v3/certificates`, decrypts the certificates, verifies the answer (with
    /// the certificates already trusted, the public key, or the new ones, whose AES-GCM tag
    /// under the APIv3 key proves where they come from) and makes them the trusted set.
    /// The host calls it at start-up and then periodically (WeChat rotates certificates
    /// with an overlap of days; every few hours is plenty). Returns the serials now trusted.
    /// On any failure the store keeps what it had.
    pub async fn refresh_certificates(&self) -> Result<Vec<String>, CertificateRefreshError> {
        if !self.downloads_certificates() {
            return Err(CertificateRefreshError::Disabled);
        }
        let url = self
            .url(CERTIFICATES_PATH)
            .map_err(CertificateRefreshError::Download)?;
        let answer = self
            .exchange(Method::GET, url, None, None)
            .await
            .map_err(CertificateRefreshError::Download)?;
        if !(200..300).contains(&answer.status) {
            return Err(CertificateRefreshError::Download(self.error_answer(answer)));
        }
        let certificates = decrypt_certificates(&self.inner.api_v3_key, &answer.body)
            .map_err(CertificateRefreshError::Certificates)?;
        let headers = SignatureHeaders::from_header_map(&answer.headers)
            .map_err(CertificateRefreshError::Unverified)?;
        self.inner
            .verifier
            .verify_with_extra(&headers, &answer.body, &certificates)
            .map_err(CertificateRefreshError::Unverified)?;
        self.certificates().replace(certificates);
        let serials = self.certificates().serials();
        tracing::info!(?serials, "WeChat Pay platform certificates refreshed");
        Ok(serials)
    }
}
