//! Faults injected into API answers (`POST /sandbox/v3/faults`): the call fails, is applied
//! but its answer lost, is slow, or its answer's signature is wrong in one of the ways of
//! [`SignatureFault`].

use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::signing::SignatureFault;

/// The API endpoints, by the names faults are armed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Jsapi,
    Native,
    Query,
    Close,
    Refund,
    RefundQuery,
    Certificates,
    TradeBill,
    FundFlowBill,
    BillDownload,
}

impl Endpoint {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Endpoint::Jsapi => "jsapi",
            Endpoint::Native => "native",
            Endpoint::Query => "query",
            Endpoint::Close => "close",
            Endpoint::Refund => "refund",
            Endpoint::RefundQuery => "refund_query",
            Endpoint::Certificates => "certificates",
            Endpoint::TradeBill => "tradebill",
            Endpoint::FundFlowBill => "fundflowbill",
            Endpoint::BillDownload => "billdownload",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V3ApiFault {
    /// 500 `SYSTEM_ERROR` before anything is done.
    SystemError,
    /// The call IS applied, then answered 500 `SYSTEM_ERROR`: the outcome-unknown case.
    LostAnswer,
    /// 403 `NOT_ENOUGH` (the merchant's balance cannot pay a refund) before anything is done.
    NotEnough,
    /// Waits `delay_ms`, then answers normally (to trip client timeouts).
    Slow {
        delay_ms: u64,
    },
    /// The answer carries a `WECHATPAY/SIGNTEST_` probe signature.
    Probe,
    /// The answer's body differs from the signed one (for the bill download: the file
    /// differs from its digest).
    TamperedBody,
    WrongSerial,
    SwappedSerial,
    OldTimestamp,
}

impl V3ApiFault {
    pub(crate) fn signature_fault(self) -> Option<SignatureFault> {
        match self {
            V3ApiFault::Probe => Some(SignatureFault::Probe),
            V3ApiFault::TamperedBody => Some(SignatureFault::TamperedBody),
            V3ApiFault::WrongSerial => Some(SignatureFault::WrongSerial),
            V3ApiFault::SwappedSerial => Some(SignatureFault::SwappedSerial),
            V3ApiFault::OldTimestamp => Some(SignatureFault::OldTimestamp),
            V3ApiFault::SystemError
            | V3ApiFault::LostAnswer
            | V3ApiFault::NotEnough
            | V3ApiFault::Slow { .. } => None,
        }
    }
}

/// Body of `POST /sandbox/v3/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct V3FaultRequest {
    /// `jsapi`, `native`, `query`, `close`, `refund`, `refund_query`, `certificates`,
    /// `tradebill`, `fundflowbill`, `billdownload`, or `*` for any.
    pub endpoint: String,
    pub fault: V3ApiFault,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Default)]
pub(crate) struct ArmedFaults {
    armed: Mutex<Vec<V3FaultRequest>>,
}

impl ArmedFaults {
    pub(crate) fn arm(&self, request: V3FaultRequest) {
        if request.times > 0 {
            self.armed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(request);
        }
    }

    pub(crate) fn clear(&self) {
        self.armed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Takes one use of the first fault armed for the endpoint.
    pub(crate) fn take(&self, endpoint: Endpoint) -> Option<V3ApiFault> {
        let mut armed = self.armed.lock().unwrap_or_else(PoisonError::into_inner);
        let index = armed
            .iter()
            .position(|fault| fault.endpoint == "*" || fault.endpoint == endpoint.name())?;
        let fault = armed[index].fault;
        armed[index].times -= 1;
        if armed[index].times == 0 {
            armed.remove(index);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_used_the_given_number_of_times_on_its_endpoint_only() {
        let faults = ArmedFaults::default();
        let request: V3FaultRequest =
            serde_json::from_str(r#"{"endpoint":"query","fault":"probe","times":2}"#)
                .expect("valid request");
        faults.arm(request);
        assert_eq!(faults.take(Endpoint::Close), None);
        assert_eq!(faults.take(Endpoint::Query), Some(V3ApiFault::Probe));
        assert_eq!(faults.take(Endpoint::Query), Some(V3ApiFault::Probe));
        assert_eq!(faults.take(Endpoint::Query), None);
        let slow: V3FaultRequest =
            serde_json::from_str(r#"{"endpoint":"*","fault":{"slow":{"delay_ms":5}}}"#)
                .expect("valid request");
        faults.arm(slow);
        assert_eq!(
            faults.take(Endpoint::Refund),
            Some(V3ApiFault::Slow { delay_ms: 5 })
        );
    }
}
