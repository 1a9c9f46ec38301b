//! The client against the sandbox's Kuaidi100 simulator (written separately from Kuaidi100's
//! documents): the two agree on the signature, the answer and the refusals.

use std::time::Duration;

use elife_domain::trade::delivery::{ParcelTracking, TrackingError, TrackingQuery, TrackingState};
use elife_logistics::{Kuaidi100Client, Kuaidi100Config};
use elife_sandbox::kuaidi100::{Kuaidi100SimConfig, Kuaidi100Simulator, RunningKuaidi100Sim};

fn client(sim: &RunningKuaidi100Sim, key: &str) -> Kuaidi100Client {
    Kuaidi100Client::new(Kuaidi100Config {
        base_url: sim.base_url(),
        customer: sim.customer().to_owned(),
        key: key.to_owned(),
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

fn query(carrier: &str, number: &str) -> TrackingQuery {
    TrackingQuery {
        carrier: carrier.to_owned(),
        tracking_no: number.to_owned(),
        phone_last4: Some("5678".to_owned()),
    }
}

#[tokio::test]
async fn tracks_through_the_simulator() {
    let sim = Kuaidi100Simulator::start(Kuaidi100SimConfig::default())
        .await
        .unwrap();
    let tracking = client(&sim, sim.key());
    let delivered = tracking
        .track(&query("shunfeng", "SF1234567890"))
        .await
        .unwrap();
    assert_eq!(delivered.state, TrackingState::Delivered);
    assert_eq!(delivered.events.len(), 5);
    assert!(delivered.events.windows(2).all(|w| w[0].at >= w[1].at));
    assert!(delivered.events[0].description.contains("签收"));
    for (number, state) in [
        ("YD0000001", TrackingState::Collected),
        ("YD0000002", TrackingState::Problem),
        ("YD0000003", TrackingState::InTransit),
        ("YD0000004", TrackingState::Returned),
        ("YD0000005", TrackingState::Delivering),
        ("YD0000006", TrackingState::Returning),
    ] {
        let tracked = tracking.track(&query("yunda", number)).await.unwrap();
        assert_eq!(tracked.state, state, "{number}");
    }
    assert_eq!(
        tracking.track(&query("yunda", "YD0000009")).await,
        Err(TrackingError::NoRecord)
    );
    let unknown = tracking.track(&query("nosuch", "YD0000001")).await;
    assert!(
        matches!(unknown, Err(TrackingError::Rejected { ref code, .. }) if code == "400"),
        "{unknown:?}"
    );
    let no_phone = tracking
        .track(&TrackingQuery {
            phone_last4: None,
            ..query("zhongtong", "ZT0000001")
        })
        .await;
    assert!(
        matches!(no_phone, Err(TrackingError::Rejected { ref code, .. }) if code == "408"),
        "{no_phone:?}"
    );

    let wrong_key = client(&sim, "not-the-key");
    let refused = wrong_key.track(&query("ems", "EM0000001")).await;
    assert!(
        matches!(refused, Err(TrackingError::Rejected { ref code, .. }) if code == "503"),
        "{refused:?}"
    );
    sim.stop().await;
}
