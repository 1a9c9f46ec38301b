//! Reading a postpaid bill (`/service/unitel`).

use elife_domain::money::Mnt;
use elife_domain::ports::{PostpaidBill, ProviderError};
use serde_json::Value;

use crate::json::{text, whole_mnt};

/// `total_unpaid` is what a postpaid order pays, so it must be readable; the other
/// amounts are informative and default to zero.
pub fn parse_bill(raw: Value) -> Result<PostpaidBill, ProviderError> {
    let total_unpaid = whole_mnt(raw.get("total_unpaid")).ok_or_else(|| {
        ProviderError::InvalidResponse("postpaid bill without a whole total_unpaid".to_owned())
    })?;
    let amount = |key: &str| Mnt::new(whole_mnt(raw.get(key)).unwrap_or(0));
    Ok(PostpaidBill {
        total_unpaid: Mnt::new(total_unpaid),
        invoice_unpaid: amount("invoice_unpaid"),
        invoice_amount: amount("invoice_amount"),
        remain_amount: amount("remain_amount"),
        invoice_date: text(raw.get("invoice_date")),
        invoice_status: text(raw.get("invoice_status")),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fixture(example: &str) -> Value {
        let both: Value =
            serde_json::from_str(include_str!("../tests/fixtures/postpaid-bill.json"))
                .expect("fixture is JSON");
        both[example].clone()
    }

    #[test]
    fn reads_an_owing_bill() {
        let bill = parse_bill(fixture("b")).expect("bill b parses");
        assert_eq!(bill.total_unpaid, Mnt::new(74220));
        assert_eq!(bill.invoice_unpaid, Mnt::new(74220));
        assert_eq!(bill.invoice_amount, Mnt::new(74220));
        assert_eq!(bill.remain_amount, Mnt::new(11900));
        assert_eq!(bill.invoice_date.as_deref(), Some("2025.09.01-2025.09.30"));
        assert_eq!(bill.invoice_status.as_deref(), Some("unpaid"));
    }

    #[test]
    fn reads_a_settled_bill() {
        let bill = parse_bill(fixture("a")).expect("bill a parses");
        assert_eq!(bill.total_unpaid, Mnt::ZERO);
        assert_eq!(bill.remain_amount, Mnt::new(34339));
    }

    #[test]
    fn refuses_a_bill_without_a_readable_total() {
        let error = parse_bill(json!({"result": "success", "total_unpaid": "a lot"}))
            .expect_err("unreadable total");
        assert!(matches!(error, ProviderError::InvalidResponse(_)));
        let bill = parse_bill(json!({"total_unpaid": "100.00"})).expect("string total");
        assert_eq!(bill.total_unpaid, Mnt::new(100));
        assert_eq!(bill.invoice_date, None);
    }
}
