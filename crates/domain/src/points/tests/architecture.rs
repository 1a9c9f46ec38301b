//! The points shop is goods on the payments core, not a second payment system: its code
//! calls the core's use cases and contains no callback parsing, no gateway call and no
//! refund state of its own.

use std::path::Path;

/// What only the payments core may touch.
const CORE_ONLY: [&str; 14] = [
    "PaymentGateway",
    "gateway.",
    "query_order",
    "close_order",
    "create_payment",
    "TradeState",
    "IncomingNotification",
    "PaymentNotice",
    "handle_notification",
    "handle_signed_notification",
    "RefundStatus",
    "RefundRepository",
    "StatementEntry",
    "PayTransition",
];

#[test]
fn the_points_code_uses_the_payments_core_and_nothing_of_its_insides() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/points");
    let mut checked = 0;
    let mut uses_core = false;
    for entry in std::fs::read_dir(&dir).expect("src/points") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable");
        for forbidden in CORE_ONLY {
            assert!(
                !source.contains(forbidden),
                "{} mentions {forbidden}: payments belong to the payments core",
                path.display()
            );
        }
        uses_core |= source.contains("PaymentService") && source.contains("RefundService");
        checked += 1;
    }
    assert!(checked >= 6, "the points sources were found ({checked})");
    assert!(
        uses_core,
        "the points shop goes through the core's use cases"
    );
}
