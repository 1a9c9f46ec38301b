//! `OrderService`: creating orders and reading them back for their owner.

use rust_decimal::Decimal;

use super::*;
use crate::money::{ExchangeRate, Fen, Mnt};
use crate::msisdn::Operator;
use crate::order::{OpenId, PaymentStatus, ProductSnapshot, RechargeKind, RechargeStatus};
use crate::ports::{OrderFilter, Page, PageRequest, PostpaidBill, ProviderError, StoredRate};
use crate::services::{CreateOrder, OrderService, ServiceError};
use crate::testing::{MSISDN, OPENID, order_number, paid_order, price_list, unpaid_order};

fn command(phone: &str, kind: &str, code: Option<&str>) -> CreateOrder {
    CreateOrder {
        openid: OpenId::parse(OPENID).unwrap(),
        phone_number: phone.to_owned(),
        operator: "Unitel".to_owned(),
        recharge_type: kind.to_owned(),
        product_code: code.map(str::to_owned),
    }
}

fn voice() -> CreateOrder {
    command(MSISDN, "voice", Some("SY3000"))
}

fn rate_480() -> StoredRate {
    StoredRate {
        pair: ExchangeRate::MNT_TO_CNY.to_owned(),
        rate: ExchangeRate::new(Decimal::new(480, 0)).unwrap(),
        is_active: true,
        updated_at: t0(),
    }
}

fn bill(total_unpaid: i64) -> PostpaidBill {
    PostpaidBill {
        total_unpaid: Mnt::new(total_unpaid),
        invoice_unpaid: Mnt::new(total_unpaid),
        invoice_amount: Mnt::new(total_unpaid),
        remain_amount: Mnt::ZERO,
        invoice_date: Some("2025-09".to_owned()),
        invoice_status: Some("unpaid".to_owned()),
        raw: serde_json::json!({}),
    }
}

/// Mocks for a successful voice order; the inserted order is returned through the log.
fn happy_mocks() -> (Mocks, Calls<Order>) {
    happy_mocks_storing(Ok(()))
}

/// Like [`happy_mocks`], with what storing the order answers.
fn happy_mocks_storing(answer: Result<(), RepositoryError>) -> (Mocks, Calls<Order>) {
    let mut mocks = Mocks::default();
    mocks
        .provider
        .expect_price_list()
        .withf(|msisdn| msisdn.as_str() == MSISDN)
        .times(1)
        .returning(|_| Ok(price_list()));
    mocks
        .rates
        .expect_active()
        .withf(|pair| pair == "MNT_TO_CNY")
        .returning(|_| Ok(Some(rate_480())));
    mocks
        .ids
        .expect_order_number()
        .returning(|_| order_number(7));
    let inserted = Calls::default();
    let sink = inserted.clone();
    let answer = Mutex::new(Some(answer));
    mocks
        .orders
        .expect_insert()
        .times(1)
        .returning(move |order| {
            sink.lock().unwrap().push(order.clone());
            answer.lock().unwrap().take().unwrap_or(Ok(()))
        });
    (mocks, inserted)
}

/// A clock the test moves.
#[derive(Clone)]
struct MovableClock(Arc<Mutex<chrono::DateTime<chrono::Utc>>>);

impl MovableClock {
    fn at(time: chrono::DateTime<chrono::Utc>) -> Self {
        MovableClock(Arc::new(Mutex::new(time)))
    }

    fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl crate::ports::Clock for MovableClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.0.lock().unwrap()
    }
}

/// Mocks for repeated voice orders: the price list answers `answers` in turn, each call
/// logged; rates, ids and inserts always succeed.
fn repeated_orders(
    answers: Vec<Result<crate::ports::PriceList, ProviderError>>,
) -> (Mocks, Calls<String>) {
    let mut mocks = Mocks::default();
    let asked = Calls::default();
    let sink = asked.clone();
    let queue = Mutex::new(std::collections::VecDeque::from(answers));
    mocks.provider.expect_price_list().returning(move |msisdn| {
        sink.lock().unwrap().push(msisdn.as_str().to_owned());
        queue
            .lock()
            .unwrap()
            .pop_front()
            .expect("no more price-list answers expected")
    });
    mocks
        .rates
        .expect_active()
        .returning(|_| Ok(Some(rate_480())));
    mocks
        .ids
        .expect_order_number()
        .returning(|_| order_number(7));
    mocks.orders.expect_insert().returning(|_| Ok(()));
    (mocks, asked)
}

fn service_with_clock(mocks: Mocks, clock: &MovableClock, capacity: usize) -> OrderService {
    let mut ports = mocks.ports();
    ports.clock = Arc::new(clock.clone());
    OrderService::with_price_cache(ports, OrderService::PRICE_LIST_TTL, capacity)
}

#[tokio::test]
async fn a_second_order_within_the_ttl_reuses_the_price_list() {
    let (mocks, asked) = repeated_orders(vec![Ok(price_list())]);
    let clock = MovableClock::at(now());
    let service = service_with_clock(mocks, &clock, 16);

    let first = service.create_order(voice()).await.unwrap();
    clock.advance(OrderService::PRICE_LIST_TTL - chrono::Duration::seconds(1));
    let second = service
        .create_order(command(MSISDN, "data", Some("DATA10GB")))
        .await
        .unwrap();

    assert_eq!(calls(&asked), vec![MSISDN.to_owned()]);
    // Each order is priced from the same list it was validated against.
    assert_eq!(first.product.price, Mnt::new(3000));
    assert_eq!(first.price_fen, Fen::new(625));
    assert_eq!(second.product.price, Mnt::new(10_000));
    assert_eq!(second.price_fen, Fen::new(2083));
}

#[tokio::test]
async fn after_the_ttl_the_price_list_is_fetched_again_and_its_new_price_charged() {
    let mut dearer = price_list();
    dearer.products[0].price = Mnt::new(4800);
    let (mocks, asked) = repeated_orders(vec![Ok(price_list()), Ok(dearer)]);
    let clock = MovableClock::at(now());
    let service = service_with_clock(mocks, &clock, 16);

    let first = service.create_order(voice()).await.unwrap();
    clock.advance(OrderService::PRICE_LIST_TTL);
    let second = service.create_order(voice()).await.unwrap();
    // Fresh again: no third call.
    let third = service.create_order(voice()).await.unwrap();

    assert_eq!(calls(&asked).len(), 2);
    assert_eq!(first.product.price, Mnt::new(3000));
    assert_eq!(second.product.price, Mnt::new(4800));
    assert_eq!(second.price_fen, Fen::new(1000));
    assert_eq!(third.product.price, Mnt::new(4800));
}

#[tokio::test]
async fn a_failed_price_list_is_not_cached() {
    let (mocks, asked) = repeated_orders(vec![
        Err(ProviderError::Unavailable("timeout".to_owned())),
        Err(ProviderError::Rejected {
            code: "404".to_owned(),
            message: "subscriber not found".to_owned(),
        }),
        Ok(price_list()),
    ]);
    let clock = MovableClock::at(now());
    let service = service_with_clock(mocks, &clock, 16);

    let error = service.create_order(voice()).await.unwrap_err();
    assert!(matches!(error, ServiceError::Upstream(_)), "{error:?}");
    let error = service.create_order(voice()).await.unwrap_err();
    assert!(matches!(error, ServiceError::Validation(_)), "{error:?}");
    service.create_order(voice()).await.unwrap();
    service.create_order(voice()).await.unwrap();

    assert_eq!(calls(&asked).len(), 3);
}

#[tokio::test]
async fn price_lists_are_kept_per_number_and_bounded() {
    let others = ["88112234", "88112235"];
    let (mocks, asked) = repeated_orders((0..4).map(|_| Ok(price_list())).collect());
    let clock = MovableClock::at(now());
    let service = service_with_clock(mocks, &clock, 2);

    service.create_order(voice()).await.unwrap();
    clock.advance(chrono::Duration::seconds(1));
    // Another number is not served from the first one's list.
    service
        .create_order(command(others[0], "voice", Some("SY3000")))
        .await
        .unwrap();
    service.create_order(voice()).await.unwrap();
    assert_eq!(calls(&asked).len(), 2);

    // A third number evicts the oldest (MSISDN's), which is then fetched again.
    clock.advance(chrono::Duration::seconds(1));
    service
        .create_order(command(others[1], "voice", Some("SY3000")))
        .await
        .unwrap();
    service.create_order(voice()).await.unwrap();
    assert_eq!(
        calls(&asked),
        vec![
            MSISDN.to_owned(),
            others[0].to_owned(),
            others[1].to_owned(),
            MSISDN.to_owned(),
        ]
    );
}

#[tokio::test]
async fn a_zero_ttl_asks_the_provider_every_time() {
    let (mocks, asked) = repeated_orders(vec![Ok(price_list()), Ok(price_list())]);
    let service = OrderService::with_price_cache(mocks.ports(), chrono::Duration::zero(), 16);
    service.create_order(voice()).await.unwrap();
    service.create_order(voice()).await.unwrap();
    assert_eq!(calls(&asked).len(), 2);
}

async fn create(mocks: Mocks, command: CreateOrder) -> Result<Order, ServiceError> {
    OrderService::new(mocks.ports()).create_order(command).await
}

/// Mocks that must not be asked anything: the input is refused before any call.
fn untouched() -> Mocks {
    let mut mocks = Mocks::default();
    mocks.provider.expect_price_list().never();
    mocks.provider.expect_postpaid_bill().never();
    mocks.orders.expect_insert().never();
    mocks
}

#[tokio::test]
async fn creates_an_unpaid_voice_order_priced_at_the_active_rate() {
    let (mocks, inserted) = happy_mocks();
    let order = create(mocks, voice()).await.unwrap();

    assert_eq!(order.number, order_number(7));
    assert_eq!(order.payment_status, PaymentStatus::Unpaid);
    assert_eq!(order.recharge_status, RechargeStatus::NotStarted);
    assert_eq!(order.product.code, "SY3000");
    assert_eq!(order.product.kind, RechargeKind::Voice);
    assert_eq!(order.product.operator, Operator::Unitel);
    assert_eq!(order.product.price, Mnt::new(3000));
    // 3000 MNT / 480 = 6.25 CNY.
    assert_eq!(order.price_fen, Fen::new(625));
    assert_eq!(order.exchange_rate.value(), Decimal::new(480, 0));
    assert_eq!(order.created_at, now());
    assert_eq!(order.version, 0);
    assert_eq!(calls(&inserted), vec![order]);
}

#[tokio::test]
async fn creates_a_data_order_from_the_price_list() {
    let (mocks, _) = happy_mocks();
    let order = create(mocks, command(MSISDN, "DATA", Some(" DATA10GB ")))
        .await
        .unwrap();
    assert_eq!(order.product.kind, RechargeKind::Data);
    assert_eq!(order.product.data.as_deref(), Some("10GB"));
    // 10000 / 480 = 20.8333 -> 20.83 CNY.
    assert_eq!(order.price_fen, Fen::new(2083));
}

#[tokio::test]
async fn postpaid_pays_exactly_the_unpaid_bill() {
    let mut mocks = Mocks::default();
    mocks
        .provider
        .expect_postpaid_bill()
        .times(1)
        .returning(|_| Ok(bill(48_000)));
    mocks.provider.expect_price_list().never();
    mocks
        .rates
        .expect_active()
        .returning(|_| Ok(Some(rate_480())));
    mocks
        .ids
        .expect_order_number()
        .returning(|_| order_number(8));
    mocks.orders.expect_insert().times(1).returning(|_| Ok(()));

    let order = create(mocks, command(MSISDN, "postpaid", None))
        .await
        .unwrap();
    assert_eq!(order.product.kind, RechargeKind::Postpaid);
    assert_eq!(order.product.code, ProductSnapshot::POSTPAID_CODE);
    assert_eq!(order.product.price, Mnt::new(48_000));
    assert_eq!(order.price_fen, Fen::new(10_000));
}

#[tokio::test]
async fn postpaid_with_nothing_owed_is_refused() {
    for owed in [0, -500] {
        let mut mocks = untouched();
        mocks.provider.checkpoint();
        mocks
            .provider
            .expect_postpaid_bill()
            .times(1)
            .returning(move |_| Ok(bill(owed)));
        let error = create(mocks, command(MSISDN, "postpaid", None))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ServiceError::Validation(m) if m.contains("nothing is owed")),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn malformed_phone_numbers_are_refused_before_any_call() {
    for phone in ["12ab", "8811223", "881122334", ""] {
        let error = create(untouched(), command(phone, "voice", Some("SY3000")))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::Validation(_)),
            "{phone}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_number_of_another_operator_is_refused() {
    // 99.. is Mobicom's range.
    let error = create(untouched(), command("99112233", "voice", Some("SY3000")))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ServiceError::Validation(m) if m.contains("Mobicom")),
        "{error:?}"
    );
    // 11.. belongs to nobody.
    let error = create(untouched(), command("11112233", "voice", Some("SY3000")))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Validation(_)), "{error:?}");
}

#[tokio::test]
async fn only_unitel_is_sold_and_unknown_operators_are_refused() {
    for operator in ["Mobicom", "Nokia"] {
        let mut cmd = command("99112233", "voice", Some("SY3000"));
        cmd.operator = operator.to_owned();
        let error = create(untouched(), cmd).await.unwrap_err();
        assert!(
            matches!(error, ServiceError::Validation(_)),
            "{operator}: {error:?}"
        );
    }
}

#[tokio::test]
async fn unknown_recharge_types_are_refused() {
    let error = create(untouched(), command(MSISDN, "gift", Some("SY3000")))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Validation(_)), "{error:?}");
}

#[tokio::test]
async fn voice_and_data_need_a_product_code() {
    for code in [None, Some(""), Some("   ")] {
        for kind in ["voice", "data"] {
            let error = create(untouched(), command(MSISDN, kind, code))
                .await
                .unwrap_err();
            assert!(
                matches!(&error, ServiceError::Validation(m) if m.contains("productCode")),
                "{kind} {code:?}: {error:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_code_missing_from_the_live_price_list_is_refused() {
    // Unknown code, and a known code under the wrong kind.
    for (kind, code) in [("voice", "NOPE"), ("voice", "DATA10GB"), ("data", "SY3000")] {
        let mut mocks = untouched();
        mocks.provider.checkpoint();
        mocks
            .provider
            .expect_price_list()
            .times(1)
            .returning(|_| Ok(price_list()));
        let error = create(mocks, command(MSISDN, kind, Some(code)))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ServiceError::Validation(m) if m.contains(code)),
            "{kind} {code}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_product_without_a_price_is_refused() {
    let mut mocks = untouched();
    mocks.provider.checkpoint();
    mocks.provider.expect_price_list().returning(|_| {
        let mut list = price_list();
        list.products[0].price = Mnt::ZERO;
        Ok(list)
    });
    let error = create(mocks, voice()).await.unwrap_err();
    assert!(
        matches!(&error, ServiceError::Validation(m) if m.contains("no price")),
        "{error:?}"
    );
}

#[tokio::test]
async fn provider_unavailable_is_an_upstream_error_and_a_refusal_is_a_validation_error() {
    let cases = [
        (ProviderError::Unavailable("timeout".to_owned()), "upstream"),
        (
            ProviderError::InvalidResponse("<html>".to_owned()),
            "upstream",
        ),
        (
            ProviderError::Rejected {
                code: "404".to_owned(),
                message: "subscriber not found".to_owned(),
            },
            "validation",
        ),
    ];
    for (provider_error, expected) in cases {
        let mut mocks = untouched();
        mocks.provider.checkpoint();
        let answer = provider_error.clone();
        mocks
            .provider
            .expect_price_list()
            .returning(move |_| Err(answer.clone()));
        let error = create(mocks, voice()).await.unwrap_err();
        let kind = match error {
            ServiceError::Upstream(_) => "upstream",
            ServiceError::Validation(_) => "validation",
            ServiceError::NotFound(_)
            | ServiceError::Conflict(_)
            | ServiceError::Unavailable(_) => "other",
        };
        assert_eq!(kind, expected, "{provider_error:?}");
    }
    // The postpaid bill is read through the same mapping.
    let mut mocks = untouched();
    mocks.provider.checkpoint();
    mocks
        .provider
        .expect_postpaid_bill()
        .returning(|_| Err(ProviderError::Unavailable("timeout".to_owned())));
    let error = create(mocks, command(MSISDN, "postpaid", None))
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Upstream(_)), "{error:?}");
}

#[tokio::test]
async fn without_an_active_rate_no_order_is_made() {
    let mut mocks = untouched();
    mocks.provider.checkpoint();
    mocks
        .provider
        .expect_price_list()
        .returning(|_| Ok(price_list()));
    mocks.rates.expect_active().returning(|_| Ok(None));
    let error = create(mocks, voice()).await.unwrap_err();
    assert!(
        matches!(&error, ServiceError::Unavailable(m) if m.contains("exchange rate")),
        "{error:?}"
    );

    let mut mocks = untouched();
    mocks.provider.checkpoint();
    mocks
        .provider
        .expect_price_list()
        .returning(|_| Ok(price_list()));
    mocks
        .rates
        .expect_active()
        .returning(|_| Err(storage_down()));
    let error = create(mocks, voice()).await.unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn a_price_that_rounds_to_zero_fen_is_refused() {
    let mut mocks = untouched();
    mocks.provider.checkpoint();
    mocks.provider.expect_price_list().returning(|_| {
        let mut list = price_list();
        list.products[0].price = Mnt::new(1);
        Ok(list)
    });
    // 1 MNT / 480 = 0.002 CNY -> 0.00.
    mocks
        .rates
        .expect_active()
        .returning(|_| Ok(Some(rate_480())));
    let error = create(mocks, voice()).await.unwrap_err();
    assert!(
        matches!(&error, ServiceError::Validation(m) if m.contains("too small")),
        "{error:?}"
    );
}

#[tokio::test]
async fn storage_errors_on_insert_are_reported() {
    let (mocks, _) = happy_mocks_storing(Err(storage_down()));
    let error = create(mocks, voice()).await.unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");

    let (mocks, _) =
        happy_mocks_storing(Err(RepositoryError::Duplicate(order_number(7).to_string())));
    let error = create(mocks, voice()).await.unwrap_err();
    assert!(matches!(error, ServiceError::Conflict(_)), "{error:?}");
}

#[tokio::test]
async fn owners_see_their_orders_and_nobody_else_does() {
    let order = unpaid_order();
    let number = order.number.to_string();

    let mut mocks = Mocks::default();
    mocks.stores(order.clone());
    let service = OrderService::new(mocks.ports());
    let owner = OpenId::parse(OPENID).unwrap();
    assert_eq!(service.find_for_user(&owner, &number).await.unwrap(), order);

    let stranger = OpenId::parse("o-someone-else").unwrap();
    let error = service.find_for_user(&stranger, &number).await.unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");

    let missing = order_number(99).to_string();
    let error = service.find_for_user(&owner, &missing).await.unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");
}

#[tokio::test]
async fn a_malformed_order_number_is_simply_not_found() {
    let mut mocks = Mocks::default();
    mocks.orders.expect_find().never();
    let service = OrderService::new(mocks.ports());
    let owner = OpenId::parse(OPENID).unwrap();
    let error = service
        .find_for_user(&owner, "ORD'; drop")
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::NotFound(_)), "{error:?}");
}

#[tokio::test]
async fn storage_errors_on_read_are_reported() {
    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_find()
        .returning(|_| Err(storage_down()));
    let service = OrderService::new(mocks.ports());
    let owner = OpenId::parse(OPENID).unwrap();
    let error = service
        .find_for_user(&owner, crate::testing::ORDER_NUMBER)
        .await
        .unwrap_err();
    assert!(matches!(error, ServiceError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn lists_the_owners_orders_within_page_limits() {
    let mut mocks = Mocks::default();
    mocks
        .orders
        .expect_list_for_user()
        .withf(|openid, _, page| openid.as_str() == OPENID && page.page == 2 && page.limit == 10)
        .times(1)
        .returning(|_, _, page| {
            Ok(Page {
                items: vec![paid_order()],
                total: 11,
                page: page.page,
                limit: page.limit,
            })
        });
    let service = OrderService::new(mocks.ports());
    let owner = OpenId::parse(OPENID).unwrap();
    let page = service
        .list_for_user(
            &owner,
            &OrderFilter::default(),
            PageRequest { page: 2, limit: 10 },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.total_pages(), 2);

    for bad in [
        PageRequest { page: 0, limit: 10 },
        PageRequest { page: 1, limit: 0 },
        PageRequest {
            page: 1,
            limit: PageRequest::MAX_LIMIT + 1,
        },
    ] {
        let error = service
            .list_for_user(&owner, &OrderFilter::default(), bad)
            .await
            .unwrap_err();
        assert!(
            matches!(error, ServiceError::Validation(_)),
            "{bad:?}: {error:?}"
        );
    }
}
