//! Delivery against in-memory orders and companies and a scripted tracking API.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Duration;

use crate::ports::Clock;
use crate::services::ServiceError;
use crate::trade::orders::tests::support::{Trade, buyer, lock, stranger};

use super::memory::MemoryLogistics;
use super::{
    DeliveryService, LogisticsRepository, ParcelTracking, Tracking, TrackingError, TrackingEvent,
    TrackingQuery, TrackingState,
};

/// Answers with `answer` and remembers what it was asked.
struct ScriptedTracking {
    answer: Mutex<Result<Tracking, TrackingError>>,
    asked: Mutex<Vec<TrackingQuery>>,
}

impl ScriptedTracking {
    fn answering(answer: Result<Tracking, TrackingError>) -> Arc<ScriptedTracking> {
        Arc::new(ScriptedTracking {
            answer: Mutex::new(answer),
            asked: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl ParcelTracking for ScriptedTracking {
    async fn track(&self, query: &TrackingQuery) -> Result<Tracking, TrackingError> {
        lock(&self.asked).push(query.clone());
        lock(&self.answer).clone()
    }
}

struct World {
    trade: Trade,
    tracking: Arc<ScriptedTracking>,
    service: DeliveryService,
}

fn delivered(trade: &Trade) -> Tracking {
    Tracking {
        state: TrackingState::Delivered,
        events: vec![TrackingEvent {
            at: trade.clock.now(),
            description: "已签收".to_owned(),
            place: Some("深圳".to_owned()),
        }],
    }
}

impl World {
    fn new() -> World {
        World::answering(|trade| Ok(delivered(trade)))
    }

    fn answering(answer: impl Fn(&Trade) -> Result<Tracking, TrackingError>) -> World {
        let trade = Trade::new();
        let companies = MemoryLogistics::seeded();
        let tracking = ScriptedTracking::answering(answer(&trade));
        let service = DeliveryService::new(
            Arc::new(companies),
            Arc::new(trade.orders.clone()),
            tracking.clone(),
        );
        World {
            trade,
            tracking,
            service,
        }
    }

    async fn shipped_with(&self, n: u32, carrier: &str) -> crate::trade::orders::MallOrder {
        let order = self.trade.paid(n).await;
        let company = self.service.carrier_for_shipping(carrier).await.unwrap();
        self.trade
            .service
            .ship(&order.order_no, &company.code, "SF1234567890")
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn shipping_needs_an_enabled_known_company() {
    let world = World::new();
    let company = world
        .service
        .carrier_for_shipping(" shunfeng ")
        .await
        .unwrap();
    assert_eq!(company.name, "顺丰速运");
    world.service.set_enabled("shunfeng", false).await.unwrap();
    for code in ["shunfeng", "nosuch", "Shun Feng", ""] {
        let result = world.service.carrier_for_shipping(code).await;
        assert!(
            matches!(result, Err(ServiceError::Validation(_))),
            "{code}: {result:?}"
        );
    }
    let missing = world.service.set_enabled("nosuch", true).await;
    assert!(
        matches!(missing, Err(ServiceError::NotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn the_admin_keeps_the_company_list() {
    let world = World::new();
    let all = world.service.companies(true).await.unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(all[0].code, "shunfeng");
    world.service.set_enabled("ems", false).await.unwrap();
    let offered = world.service.companies(false).await.unwrap();
    assert_eq!(offered.len(), 6);
    assert!(offered.iter().all(|c| c.code != "ems"));
    let saved = world
        .service
        .save_company("debangwuliu", " 德邦物流 ", true, -1)
        .await
        .unwrap();
    assert_eq!(saved.name, "德邦物流");
    assert_eq!(world.service.companies(false).await.unwrap()[0], saved);
    let bad = world.service.save_company("De Bang", "德邦", true, 0).await;
    assert!(matches!(bad, Err(ServiceError::Validation(_))), "{bad:?}");
    let nameless = world.service.save_company("debang", " ", true, 0).await;
    assert!(
        matches!(nameless, Err(ServiceError::Validation(_))),
        "{nameless:?}"
    );
}

#[tokio::test]
async fn the_buyer_tracks_their_shipped_order() {
    let world = World::new();
    let order = world.shipped_with(1, "shunfeng").await;
    let parcel = world
        .service
        .track_for_buyer(&buyer(), order.order_no.as_str())
        .await
        .unwrap();
    assert_eq!(parcel.carrier_code, "shunfeng");
    assert_eq!(parcel.carrier_name, "顺丰速运");
    assert_eq!(parcel.tracking_no, "SF1234567890");
    assert_eq!(parcel.tracking.state, TrackingState::Delivered);
    let asked = lock(&world.tracking.asked).clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].carrier, "shunfeng");
    // The receiver's phone is 13812345678.
    assert_eq!(asked[0].phone_last4.as_deref(), Some("5678"));
    assert!(format!("{:?}", asked[0]).contains(r#"phone_last4: Some("****")"#));

    // Still trackable once completed, and by staff.
    world
        .trade
        .service
        .confirm_receipt(&buyer(), order.order_no.as_str())
        .await
        .unwrap();
    let staff = world.service.track(&order.order_no).await.unwrap();
    assert_eq!(staff, parcel);
}

#[tokio::test]
async fn someone_elses_order_reads_as_not_found() {
    let world = World::new();
    let order = world.shipped_with(1, "yunda").await;
    for (user, number) in [
        (stranger(), order.order_no.as_str()),
        (buyer(), "junk"),
        (buyer(), "ORD1760754386127000000000077"),
    ] {
        let result = world.service.track_for_buyer(&user, number).await;
        assert!(
            matches!(result, Err(ServiceError::NotFound(_))),
            "{result:?}"
        );
    }
    assert!(lock(&world.tracking.asked).is_empty());
}

#[tokio::test]
async fn an_order_not_shipped_has_no_parcel() {
    let world = World::new();
    let unpaid = world.trade.place(1).await;
    let paid = world.trade.paid(2).await;
    for order in [unpaid, paid] {
        let result = world
            .service
            .track_for_buyer(&buyer(), order.order_no.as_str())
            .await;
        assert!(
            matches!(result, Err(ServiceError::Conflict(_))),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn a_shipment_named_by_company_name_or_unknown() {
    let world = World::new();
    // The trade test support ships with "顺丰": neither a code nor a seeded name.
    let odd = world.trade.shipped(1).await;
    let result = world.service.track(&odd.order_no).await;
    assert!(
        matches!(result, Err(ServiceError::Conflict(_))),
        "{result:?}"
    );
    let paid = world.trade.paid(2).await;
    let by_name = world
        .trade
        .service
        .ship(&paid.order_no, "顺丰速运", "SF1")
        .await
        .unwrap();
    let parcel = world.service.track(&by_name.order_no).await.unwrap();
    assert_eq!(parcel.carrier_code, "shunfeng");
}

#[tokio::test]
async fn tracking_errors_map_to_service_errors() {
    type Expected = fn(&ServiceError) -> bool;
    let cases: [(TrackingError, Expected); 3] = [
        (TrackingError::Unavailable("timeout".into()), |e| {
            matches!(e, ServiceError::Unavailable(_))
        }),
        (
            TrackingError::Rejected {
                code: "503".into(),
                message: "验证签名失败".into(),
            },
            |e| matches!(e, ServiceError::Upstream(_)),
        ),
        (TrackingError::InvalidResponse("not json".into()), |e| {
            matches!(e, ServiceError::Upstream(_))
        }),
    ];
    for (error, expected) in cases {
        let world = World::answering(|_| Err(error.clone()));
        let order = world.shipped_with(1, "ems").await;
        let result = world.service.track(&order.order_no).await;
        match result {
            Err(ref e) if expected(e) => {}
            other => panic!("{error:?} gave {other:?}"),
        }
    }
    // No record yet is not an error: the shopper sees 暂无物流信息.
    let world = World::answering(|_| Err(TrackingError::NoRecord));
    let order = world.shipped_with(1, "ems").await;
    let parcel = world.service.track(&order.order_no).await.unwrap();
    assert_eq!(parcel.tracking, Tracking::nothing_yet());
    assert_eq!(parcel.tracking.state.label_zh(), "暂无物流信息");
}

#[test]
fn tracking_states_have_stored_names() {
    for state in TrackingState::ALL {
        assert_eq!(state.as_str().parse::<TrackingState>().unwrap(), state);
    }
    assert!("lost".parse::<TrackingState>().is_err());
    assert!(TrackingState::Delivered.is_final());
    assert!(!TrackingState::Delivering.is_final());
}

#[tokio::test]
async fn memory_companies_keep_their_order() {
    let companies = MemoryLogistics::new();
    assert!(companies.list(true).await.unwrap().is_empty());
    assert!(!companies.set_enabled("jd", true).await.unwrap());
    let _ = Duration::zero();
}
