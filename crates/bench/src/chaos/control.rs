//! Calls to the simulators' control paths (settings, the payer, the ledgers): what answers
//! 2xx, retried when the simulator did not answer at all.

use std::time::Duration;

use serde_json::Value;

use super::error::ChaosError;

/// POSTs `body` to a simulator's control path; `Err` unless it answers 2xx.
pub async fn post_ok(http: &reqwest::Client, url: &str, body: &Value) -> Result<(), ChaosError> {
    let response =
        http.post(url)
            .json(body)
            .send()
            .await
            .map_err(|source| ChaosError::Unreachable {
                url: url.to_owned(),
                source,
            })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        let text = response.text().await.unwrap_or_default();
        Err(ChaosError::Refused {
            url: url.to_owned(),
            status,
            text,
        })
    }
}

/// GETs a simulator's JSON (a ledger, its keys).
pub async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, ChaosError> {
    let unreachable = |source| ChaosError::Unreachable {
        url: url.to_owned(),
        source,
    };
    http.get(url)
        .send()
        .await
        .map_err(unreachable)?
        .json::<Value>()
        .await
        .map_err(unreachable)
}

/// A POST the payer makes (pay, notify again): its 2xx JSON answer, or why not. Retried
/// while the simulator does not answer; an answer other than 2xx is final.
pub async fn post_payer(http: &reqwest::Client, url: &str, body: &Value) -> Result<Value, String> {
    let mut last = String::new();
    for _ in 0..20 {
        match http.post(url).json(body).send().await {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                if status.is_success() {
                    return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
                }
                return Err(format!("{url} answered HTTP {}: {text}", status.as_u16()));
            }
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("the WeChat simulator did not answer: {last}"))
}
