//! The alert adapter: every alert is logged at error (or warn); with `ALERT_WEBHOOK_URL`
//! it is also posted to a WeCom (企业微信) group robot.

use std::time::Duration;

use async_trait::async_trait;
use elife_domain::ports::{Alert, AlertError, AlertLevel, Alerts};

pub struct LogAndWebhookAlerts {
    webhook: Option<(reqwest::Client, String)>,
}

impl LogAndWebhookAlerts {
    pub fn new(webhook_url: Option<String>) -> Self {
        let webhook = webhook_url.and_then(|url| {
            match reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
            {
                Ok(client) => Some((client, url)),
                Err(error) => {
                    tracing::error!(%error, "alert webhook client not built; alerts are logged only");
                    None
                }
            }
        });
        LogAndWebhookAlerts { webhook }
    }
}

/// The WeCom robot's text message.
pub fn wecom_message(alert: &Alert) -> serde_json::Value {
    let level = match alert.level {
        AlertLevel::Warning => "WARNING",
        AlertLevel::Critical => "CRITICAL",
    };
    serde_json::json!({
        "msgtype": "text",
        "text": { "content": format!("[elife {level}] {}\n{}", alert.title, alert.body) }
    })
}

#[async_trait]
impl Alerts for LogAndWebhookAlerts {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        match alert.level {
            AlertLevel::Critical => {
                tracing::error!(alert = %alert.title, body = %alert.body, "ALERT")
            }
            AlertLevel::Warning => {
                tracing::warn!(alert = %alert.title, body = %alert.body, "ALERT")
            }
        }
        let Some((client, url)) = &self.webhook else {
            return Ok(());
        };
        let response = client
            .post(url)
            .json(&wecom_message(alert))
            .send()
            .await
            .map_err(|error| AlertError(error.to_string()))?;
        if !response.status().is_success() {
            return Err(AlertError(format!(
                "webhook answered {}",
                response.status()
            )));
        }
        // WeCom answers 200 with {"errcode": <non-zero>} when it refuses the message.
        let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
        match body.get("errcode").and_then(serde_json::Value::as_i64) {
            Some(0) | None => Ok(()),
            Some(code) => Err(AlertError(format!(
                "webhook refused the message: errcode {code}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_level_title_and_body() {
        let message = wecom_message(&Alert {
            level: AlertLevel::Critical,
            title: "order X".to_owned(),
            body: "top-up outcome unknown".to_owned(),
        });
        assert_eq!(message["msgtype"], "text");
        assert_eq!(
            message["text"]["content"],
            "[elife CRITICAL] order X\ntop-up outcome unknown"
        );
    }

    #[tokio::test]
    async fn alerts_are_posted_to_the_wecom_robot() {
        use wiremock::matchers::{body_json, method};
        use wiremock::{Mock, MockServer, ResponseTemplate};

        let robot = MockServer::start().await;
        let alert = Alert {
            level: AlertLevel::Critical,
            title: "order X".to_owned(),
            body: "unknown".to_owned(),
        };
        Mock::given(method("POST"))
            .and(body_json(wecom_message(&alert)))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"errcode": 0})),
            )
            .expect(1)
            .mount(&robot)
            .await;
        let alerts = LogAndWebhookAlerts::new(Some(robot.uri()));
        assert!(alerts.send(&alert).await.is_ok());
    }

    #[tokio::test]
    async fn a_refused_webhook_message_is_an_error() {
        use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

        let robot = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"errcode": 93000, "errmsg": "invalid webhook url"}),
            ))
            .mount(&robot)
            .await;
        let alerts = LogAndWebhookAlerts::new(Some(robot.uri()));
        let alert = Alert {
            level: AlertLevel::Warning,
            title: "t".to_owned(),
            body: "b".to_owned(),
        };
        let error = alerts.send(&alert).await.unwrap_err();
        assert!(error.0.contains("93000"), "{error}");
    }

    #[tokio::test]
    async fn without_a_webhook_alerts_are_only_logged() {
        let alerts = LogAndWebhookAlerts::new(None);
        let alert = Alert {
            level: AlertLevel::Warning,
            title: "t".to_owned(),
            body: "b".to_owned(),
        };
        assert!(alerts.send(&alert).await.is_ok());
    }
}
