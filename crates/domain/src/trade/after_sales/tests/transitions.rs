//! The after-sale's transition table, pair by pair, for both kinds.

use crate::trade::after_sales::{
    AfterSaleEventKind, AfterSaleKind, AfterSaleStatus, AfterSaleTransitionError,
};

use AfterSaleEventKind as E;
use AfterSaleStatus as S;

/// `None`: either kind.
const ALLOWED: [(S, Option<AfterSaleKind>, E, S); 11] = [
    (S::Applied, None, E::Approve, S::Approved),
    (S::Applied, None, E::Reject, S::Rejected),
    (S::Applied, None, E::Cancel, S::Cancelled),
    (
        S::Approved,
        Some(AfterSaleKind::ReturnAndRefund),
        E::ShipBack,
        S::Returning,
    ),
    (
        S::Approved,
        Some(AfterSaleKind::RefundOnly),
        E::StartRefund,
        S::Refunding,
    ),
    (S::Approved, None, E::Cancel, S::Cancelled),
    (S::Returning, None, E::Receive, S::Received),
    (S::Received, None, E::StartRefund, S::Refunding),
    (S::Refunding, None, E::RefundSucceeded, S::Refunded),
    (S::Refunding, None, E::RefundFailed, S::RefundFailed),
    (S::RefundFailed, None, E::StartRefund, S::Refunding),
];

fn position(status: S) -> usize {
    match status {
        S::Applied => 0,
        S::Approved => 1,
        S::Rejected => 2,
        S::Returning => 3,
        S::Received => 4,
        S::Refunding => 5,
        S::Refunded => 6,
        S::RefundFailed => 7,
        S::Cancelled => 8,
    }
}

#[test]
fn all_lists_every_status_once() {
    for (index, status) in S::ALL.into_iter().enumerate() {
        assert_eq!(position(status), index);
    }
    assert_eq!(E::ALL.len(), 8);
    assert_eq!(AfterSaleKind::ALL.len(), 2);
}

#[test]
fn every_status_kind_event_triple_is_allowed_or_refused_as_the_table_says() {
    for status in S::ALL {
        for kind in AfterSaleKind::ALL {
            for event in E::ALL {
                let expected = ALLOWED
                    .iter()
                    .find(|(s, k, e, _)| *s == status && *e == event && k.is_none_or(|k| k == kind))
                    .map(|(_, _, _, next)| *next)
                    .ok_or(AfterSaleTransitionError {
                        from: status,
                        kind,
                        event,
                    });
                assert_eq!(
                    status.on(kind, event),
                    expected,
                    "{kind} {status} on {event}"
                );
            }
        }
    }
}

#[test]
fn open_means_not_yet_settled_and_closed_states_are_final() {
    for status in S::ALL {
        let closed = matches!(status, S::Rejected | S::Refunded | S::Cancelled);
        assert_eq!(status.is_open(), !closed, "{status}");
        if closed {
            for kind in AfterSaleKind::ALL {
                assert!(E::ALL.iter().all(|event| status.on(kind, *event).is_err()));
            }
        }
        assert_eq!(
            status.commits_amount(),
            status.is_open() || status == S::Refunded
        );
    }
}

#[test]
fn names_read_back() {
    for status in S::ALL {
        assert_eq!(status.as_str().parse::<S>(), Ok(status));
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{}\"", status.as_str())
        );
    }
    for kind in AfterSaleKind::ALL {
        assert_eq!(kind.as_str().parse::<AfterSaleKind>(), Ok(kind));
        assert_eq!(
            serde_json::to_string(&kind).unwrap(),
            format!("\"{}\"", kind.as_str())
        );
    }
    for event in E::ALL {
        assert_eq!(event.as_str().parse::<E>(), Ok(event));
    }
    assert!("refunded!".parse::<S>().is_err());
}
