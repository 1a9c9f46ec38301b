//! The adapter against the WeChat Pay simulator: the whole payment life, with the
//! notification parsed as the server will parse it.

mod common;

use std::time::Duration;

use chrono::{FixedOffset, Utc};
use common::*;
use elife_domain::money::Fen;
use elife_domain::ports::{GatewayError, PaymentGateway, RefundState, TradeState};
use elife_sandbox::wechat::{
    PayOptions, RunningWechatSim, WechatFault, WechatPaySimulator, WechatSimConfig,
};
use elife_wechat::{CALLBACK_ACK, CloudPayClient, parse_payment_callback};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECOND_ORDER: &str = "ORD1760754386127second000001";

async fn simulator(receiver: Option<&MockServer>) -> (RunningWechatSim, CloudPayClient) {
    let sim = WechatPaySimulator::start(WechatSimConfig {
        callback_base_url: receiver.map(MockServer::uri),
        callback_retry_delays: vec![Duration::from_millis(10); 3],
        bound_sub_mch_ids: vec![SUB_MCH_ID.to_owned()],
        ..WechatSimConfig::default()
    })
    .await
    .expect("simulator starts");
    let client = client(&sim.base_url());
    (sim, client)
}

/// The elife server's stand-in: acknowledges notifications on the routed callback path.
async fn receiver() -> MockServer {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/payment/callback"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CALLBACK_ACK, "application/json"))
        .mount(&receiver)
        .await;
    receiver
}

fn no_callback() -> PayOptions {
    PayOptions {
        no_callback: true,
        ..PayOptions::default()
    }
}

#[tokio::test]
async fn pays_notifies_confirms_refunds_and_reconciles() {
    let receiver = receiver().await;
    let (sim, client) = simulator(Some(&receiver)).await;
    let order = order_number(ORDER);

    let params = client
        .create_payment(&payment_request(ORDER, 625))
        .await
        .unwrap();
    assert!(
        params.0["package"]
            .as_str()
            .unwrap()
            .starts_with("prepay_id=")
    );
    assert_eq!(client.query_order(&order).await, Ok(TradeState::NotPaid));

    sim.pay(ORDER, &PayOptions::default()).await.unwrap();
    assert!(
        sim.wait_for_acknowledged(ORDER, 1, Duration::from_secs(5))
            .await
    );

    // The notification, as the server receives it on the path the adapter announced.
    let requests = receiver.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.path(), client.config().callback_path);
    assert!(requests[0].headers.contains_key("x-wx-source"));
    let callback = parse_payment_callback(&requests[0].body).unwrap();
    assert_eq!(callback.order_number().unwrap(), order);
    assert_eq!(callback.attach_order_number().as_deref(), Some(ORDER));
    assert_eq!(callback.total_fee, Fen::new(625));

    // The query confirms exactly what the notification said.
    let TradeState::Paid(queried) = client.query_order(&order).await.unwrap() else {
        panic!("not paid");
    };
    assert_eq!(queried, callback.to_confirmed_payment());
    assert_eq!(
        client.close_order(&order).await,
        Err(GatewayError::OrderPaid)
    );

    let refund = refund_request(ORDER, "RFD-1", 625, 625);
    let accepted = client.refund(&refund).await.unwrap();
    let RefundState::Processing {
        gateway_refund_id: Some(refund_id),
    } = accepted
    else {
        panic!("unexpected {accepted:?}");
    };
    assert_eq!(
        client.query_refund("RFD-1").await,
        Ok(RefundState::Succeeded {
            gateway_refund_id: Some(refund_id.clone())
        })
    );
    assert!(matches!(
        client.query_order(&order).await,
        Ok(TradeState::Refunded(_))
    ));
    let over = client.refund(&refund_request(ORDER, "RFD-2", 625, 1)).await;
    assert!(
        matches!(over, Err(GatewayError::Rejected { .. })),
        "{over:?}"
    );
    assert_eq!(
        client.query_refund("RFD-9").await,
        Err(GatewayError::NotFound)
    );

    let china = FixedOffset::east_opt(8 * 3600).unwrap();
    let today = Utc::now().with_timezone(&china).date_naive();
    let statement = client
        .download_bill(today, elife_wechat::BillType::All)
        .await
        .unwrap();
    assert_eq!(statement.rows.len(), 2);
    let payment_row = &statement.rows[0];
    assert_eq!(payment_row.out_trade_no, ORDER);
    assert_eq!(payment_row.trade_state, "SUCCESS");
    assert_eq!(payment_row.transaction_id, queried.transaction_id);
    assert_eq!(payment_row.settlement_amount, Fen::new(625));
    let refund_row = &statement.rows[1];
    assert_eq!(refund_row.trade_state, "REFUND");
    assert_eq!(refund_row.out_refund_no.as_deref(), Some("RFD-1"));
    assert_eq!(refund_row.refund_id.as_deref(), Some(refund_id.as_str()));
    assert_eq!(refund_row.refund_amount, Fen::new(625));
    let summary = statement.summary.unwrap();
    assert_eq!(
        (
            summary.trade_count,
            summary.settlement_total,
            summary.refund_total
        ),
        (2, Fen::new(625), Fen::new(625))
    );
    sim.stop().await;
}

#[tokio::test]
async fn closes_after_five_minutes_and_finds_silent_payments_by_query() {
    let (sim, client) = simulator(None).await;
    let first = order_number(ORDER);
    let second = order_number(SECOND_ORDER);
    client
        .create_payment(&payment_request(ORDER, 100))
        .await
        .unwrap();
    client
        .create_payment(&payment_request(SECOND_ORDER, 200))
        .await
        .unwrap();

    // Too early: WeChat refuses, and the order stays open.
    assert!(matches!(
        client.close_order(&first).await,
        Err(GatewayError::Unavailable(_))
    ));
    sim.advance_clock(Duration::from_secs(5 * 60 + 1));
    assert_eq!(client.close_order(&first).await, Ok(()));
    assert_eq!(
        client.close_order(&first).await,
        Err(GatewayError::OrderClosed)
    );
    assert_eq!(client.query_order(&first).await, Ok(TradeState::Closed));
    assert_eq!(
        client.create_payment(&payment_request(ORDER, 100)).await,
        Err(GatewayError::OrderClosed)
    );

    // Paid without any notification: only the query finds it.
    sim.pay(SECOND_ORDER, &no_callback()).await.unwrap();
    let TradeState::Paid(payment) = client.query_order(&second).await.unwrap() else {
        panic!("not paid");
    };
    assert_eq!(payment.amount, Fen::new(200));
    assert!(sim.ledger().callbacks.is_empty());
    assert_eq!(
        client
            .query_order(&order_number("ORD1760754386127unknown00000"))
            .await,
        Ok(TradeState::NotFound)
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_lost_refund_answer_is_unknown_and_asking_again_does_not_refund_twice() {
    let (sim, client) = simulator(None).await;
    client
        .create_payment(&payment_request(ORDER, 500))
        .await
        .unwrap();
    sim.pay(ORDER, &no_callback()).await.unwrap();

    sim.inject_fault("refund", WechatFault::LostAnswer, 1);
    let refund = refund_request(ORDER, "RFD-1", 500, 500);
    assert!(matches!(
        client.refund(&refund).await,
        Err(GatewayError::Unavailable(_))
    ));
    assert_eq!(sim.ledger().refunds.len(), 1, "the refund went through");
    assert!(matches!(
        client.query_refund("RFD-1").await,
        Ok(RefundState::Succeeded { .. })
    ));
    // The same refund number asked again is the same refund.
    assert!(matches!(
        client.refund(&refund).await,
        Ok(RefundState::Processing { .. })
    ));
    assert_eq!(sim.ledger().refunds.len(), 1);
    sim.stop().await;
}

#[tokio::test]
async fn simulator_faults_reach_the_domain_as_typed_errors() {
    let (sim, client) = simulator(None).await;
    let order = order_number(ORDER);
    for (fault, expected) in [
        (WechatFault::Http500, "unavailable"),
        (WechatFault::SystemBusy, "unavailable"),
        (WechatFault::SystemError, "unavailable"),
        (WechatFault::EmptyAnswer, "unavailable"),
        (WechatFault::Slow { delay_ms: 1500 }, "unavailable"),
        (WechatFault::NotBound, "MERCHANT_NOT_BOUND"),
    ] {
        sim.inject_fault("queryorder", fault, 1);
        let error = client.query_order(&order).await.unwrap_err();
        let matched = match (&error, expected) {
            (GatewayError::Unavailable(_), "unavailable") => true,
            (GatewayError::Rejected { code, .. }, code_expected) => code == code_expected,
            _ => false,
        };
        assert!(matched, "{fault:?}: {error:?}");
    }
    // A merchant the environment is not bound to.
    let mut foreign = config(&sim.base_url());
    foreign.sub_mch_id = "1999999999".to_owned();
    let foreign = CloudPayClient::new(foreign).unwrap();
    assert!(matches!(
        foreign.create_payment(&payment_request(ORDER, 1)).await,
        Err(GatewayError::Rejected { code, .. }) if code == "MERCHANT_NOT_BOUND"
    ));
    sim.stop().await;
}
