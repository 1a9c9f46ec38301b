//! What the adapter writes to the logs: calls are traced, secrets and full numbers are not.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use elife_domain::order::RechargeKind;
use elife_domain::ports::TopUpProvider;
use elife_sandbox::unitel::{Faults, TopUpFault, UnitelSimConfig, UnitelSimulator};

use common::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn calls_are_traced_without_credentials_tokens_or_full_numbers() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("elife_unitel=trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = UnitelSimulator::start(UnitelSimConfig {
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        ..UnitelSimConfig::default()
    })
    .await
    .expect("simulator starts");
    let unitel = client(config(&sim.base_url()));
    unitel
        .price_list(&msisdn("88110004"))
        .await
        .expect("price list");
    let request = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);
    unitel.top_up(&request).await.expect("top-up");
    sim.set_faults(Faults {
        top_up: TopUpFault::ApplyThenDrop { hold_ms: 10 },
        ..Faults::default()
    })
    .expect("faults");
    let lost = top_up(RechargeKind::Voice, "88110004", "ST5000", 5000);
    unitel.top_up(&lost).await.expect_err("outcome unknown");

    let logs = String::from_utf8(captured.0.lock().expect("log buffer").clone()).expect("utf-8");
    assert!(logs.contains("8811****"), "{logs}");
    assert!(logs.contains(request.journal_id.as_str()));
    assert!(logs.contains("outcome unknown"));
    assert!(!logs.contains("88110004"), "full number logged:\n{logs}");
    assert!(!logs.contains(PASSWORD));
    assert!(!logs.contains("Basic "));
    assert!(!logs.contains("Bearer "));
}
