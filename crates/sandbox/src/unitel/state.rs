//! The simulator's memory: issued tokens, the ledger, active faults and the seeded RNG.
//! One `std` mutex; it is never held across an `.await`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::distr::Alphanumeric;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::catalogue::Catalogue;
use super::config::UnitelSimConfig;
use super::faults::{Faults, FaultsError, TopUpFault};
use super::ledger::{AppliedTopUps, EntryStatus, LedgerEntry, LedgerView, Operation};

pub struct SimState {
    username: String,
    password: String,
    token_ttl: Duration,
    initial_faults: Faults,
    pub catalogue: Catalogue,
    inner: Mutex<Inner>,
}

struct Inner {
    faults: Faults,
    rng: StdRng,
    tokens: HashMap<String, Instant>,
    ledger: AppliedTopUps,
    seq_counter: u64,
}

impl Inner {
    fn new(faults: Faults) -> Inner {
        Inner {
            rng: StdRng::seed_from_u64(faults.seed),
            faults,
            tokens: HashMap::new(),
            ledger: AppliedTopUps::default(),
            seq_counter: 0,
        }
    }
}

/// Why a business call is refused before it is looked at.
pub enum Unauthorized {
    MissingToken,
    UnknownOrExpiredToken,
    Injected,
}

/// What a valid money call does, decided once under the lock.
pub enum MoneyDecision {
    /// Refused by the seeded failure rate or by a `failed` fault.
    Fail { code: String, msg: String },
    Apply {
        entry: LedgerEntry,
        then: AfterApply,
    },
    /// A 5xx or an empty answer with nothing applied.
    AnswerWithoutApplying(AfterApply),
}

pub enum AfterApply {
    AnswerSuccess,
    /// Answer success only after holding the request this long.
    AnswerSuccessAfter {
        hold: Duration,
    },
    AnswerPending,
    Drop {
        hold: Duration,
    },
    ServerError {
        status: u16,
    },
    EmptyAnswer,
}

/// A validated money call, before faults.
pub struct MoneyCall {
    pub journal_id: String,
    pub msisdn: String,
    pub operation: Operation,
    pub product: Option<String>,
    pub amount: i64,
}

pub enum CheckAnswer {
    NotFound,
    Pending(LedgerEntry),
    Succeeded(LedgerEntry),
}

impl SimState {
    pub fn new(config: &UnitelSimConfig, catalogue: Catalogue) -> SimState {
        SimState {
            username: config.username.clone(),
            password: config.password.clone(),
            token_ttl: config.token_ttl,
            initial_faults: config.faults.clone(),
            catalogue,
            inner: Mutex::new(Inner::new(config.faults.clone())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not wedge the simulator: the data stays usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn credentials_match(&self, username: &str, password: &str) -> bool {
        username == self.username && password == self.password
    }

    pub fn issue_token(&self) -> (String, Duration) {
        let token: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(40)
            .map(char::from)
            .collect();
        let now = Instant::now();
        let mut inner = self.lock();
        inner.tokens.retain(|_, expires_at| *expires_at > now);
        inner.tokens.insert(token.clone(), now + self.token_ttl);
        (token, self.token_ttl)
    }

    pub fn authorize(&self, bearer: Option<&str>) -> Result<(), Unauthorized> {
        let mut inner = self.lock();
        if inner.faults.unauthorized_next > 0 {
            inner.faults.unauthorized_next -= 1;
            return Err(Unauthorized::Injected);
        }
        let token = bearer.ok_or(Unauthorized::MissingToken)?;
        match inner.tokens.get(token) {
            Some(expires_at) if *expires_at > Instant::now() => Ok(()),
            _ => Err(Unauthorized::UnknownOrExpiredToken),
        }
    }

    /// Every token issued so far stops working.
    pub fn expire_tokens(&self) {
        self.lock().tokens.clear();
    }

    pub fn faults(&self) -> Faults {
        self.lock().faults.clone()
    }

    pub fn set_faults(&self, faults: Faults) -> Result<(), FaultsError> {
        faults.validate()?;
        let mut inner = self.lock();
        inner.rng = StdRng::seed_from_u64(faults.seed);
        inner.faults = faults;
        Ok(())
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.lock().faults.latency_ms)
    }

    pub fn query_error_status(&self) -> Option<u16> {
        self.lock().faults.query_error_status
    }

    /// Back to the state right after start: no tokens, empty ledger, initial faults.
    pub fn reset(&self) {
        *self.lock() = Inner::new(self.initial_faults.clone());
    }

    pub fn ledger(&self) -> LedgerView {
        self.lock().ledger.view()
    }

    /// MNT paid on a postpaid number through `/service/payment`.
    pub fn paid_on(&self, msisdn: &str) -> i64 {
        self.lock().ledger.paid_on(msisdn)
    }

    pub fn decide(&self, call: MoneyCall) -> MoneyDecision {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let failure_rate = inner.faults.failure_rate;
        if failure_rate > 0.0 && inner.rng.random::<f64>() < failure_rate {
            return MoneyDecision::Fail {
                code: "105".to_owned(),
                msg: "Insufficient dealer balance".to_owned(),
            };
        }
        let fault = drawn_fault(&inner.faults, &mut inner.rng);
        let (after, applies, checks_until_success) = match fault {
            TopUpFault::Succeed => (AfterApply::AnswerSuccess, true, 0),
            TopUpFault::Slow { hold_ms } => (
                AfterApply::AnswerSuccessAfter {
                    hold: Duration::from_millis(hold_ms),
                },
                true,
                0,
            ),
            TopUpFault::ApplyThenDrop { hold_ms } => (
                AfterApply::Drop {
                    hold: Duration::from_millis(hold_ms),
                },
                true,
                0,
            ),
            TopUpFault::ServerError { status, apply } => {
                (AfterApply::ServerError { status }, apply, 0)
            }
            TopUpFault::EmptyAnswer { apply } => (AfterApply::EmptyAnswer, apply, 0),
            TopUpFault::Failed { code, msg } => return MoneyDecision::Fail { code, msg },
            TopUpFault::Pending {
                checks_until_success,
            } => (AfterApply::AnswerPending, true, checks_until_success),
        };
        if !applies {
            return MoneyDecision::AnswerWithoutApplying(after);
        }
        inner.seq_counter += 1;
        let seq = format!(
            "{}{:04}",
            Utc::now().timestamp_millis(),
            inner.seq_counter % 10_000
        );
        let status = match after {
            AfterApply::AnswerPending if checks_until_success > 0 => EntryStatus::Pending,
            AfterApply::AnswerSuccess
            | AfterApply::AnswerSuccessAfter { .. }
            | AfterApply::AnswerPending
            | AfterApply::Drop { .. }
            | AfterApply::ServerError { .. }
            | AfterApply::EmptyAnswer => EntryStatus::Success,
        };
        let entry = LedgerEntry {
            journal_id: call.journal_id,
            msisdn: call.msisdn,
            operation: call.operation,
            product: call.product,
            amount: call.amount,
            seq,
            status,
            checks: 0,
            checks_until_success,
            applied_at: Utc::now(),
        };
        inner.ledger.record(entry.clone());
        MoneyDecision::Apply { entry, then: after }
    }

    pub fn check(&self, seq: &str) -> CheckAnswer {
        let mut inner = self.lock();
        let Some(entry) = inner.ledger.by_seq_mut(seq) else {
            return CheckAnswer::NotFound;
        };
        entry.checks += 1;
        if entry.status == EntryStatus::Pending && entry.checks >= entry.checks_until_success {
            entry.status = EntryStatus::Success;
        }
        match entry.status {
            EntryStatus::Pending => CheckAnswer::Pending(entry.clone()),
            EntryStatus::Success => CheckAnswer::Succeeded(entry.clone()),
        }
    }
}

/// The fault a valid money call follows: `top_up`, unless the mix draws one of its own.
/// Draws only when a mix is active, so runs without one keep their sequence.
fn drawn_fault(faults: &Faults, rng: &mut StdRng) -> TopUpFault {
    if let Some(mix) = &faults.mix
        && mix.rate > 0.0
        && rng.random::<f64>() < mix.rate
        && let Some(fault) = mix.faults.choose(rng)
    {
        return fault.clone();
    }
    faults.top_up.clone()
}
