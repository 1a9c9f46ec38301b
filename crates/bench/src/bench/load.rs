//! The load generator: closed loop (C workers, each sending its next request when the
//! previous one is answered: the maximum rate) and open loop (requests started on a fixed
//! schedule whatever the answers do: latency at a given rate, measured from the scheduled
//! start so that a slow answer cannot hide the requests queued behind it).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::task::JoinSet;

/// Latencies in microseconds, 1 µs to 10 min, three significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| Histogram::new(3).unwrap())
}

fn micros(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// What a run of requests measured.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub latencies: Histogram<u64>,
    pub elapsed: Duration,
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl LoadResult {
    /// Successful requests per second over the whole run.
    pub fn rate(&self) -> f64 {
        per_second(self.ok, self.elapsed)
    }

    pub fn percentile_ms(&self, percentile: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        self.latencies.value_at_percentile(percentile) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        self.latencies.max() as f64 / 1000.0
    }

    /// `p50 / p95 / p99 / max` in ms.
    pub fn summary(&self) -> String {
        format!(
            "p50 {:.1} / p95 {:.1} / p99 {:.1} / max {:.1} ms",
            self.percentile_ms(50.0),
            self.percentile_ms(95.0),
            self.percentile_ms(99.0),
            self.max_ms()
        )
    }
}

pub fn per_second(count: u64, elapsed: Duration) -> f64 {
    if elapsed.is_zero() {
        return f64::NAN;
    }
    count as f64 / elapsed.as_secs_f64()
}

#[derive(Default)]
struct Tally {
    latencies: Option<Histogram<u64>>,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn record(&mut self, elapsed: Duration, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                self.ok += 1;
                let _ = self
                    .latencies
                    .get_or_insert_with(histogram)
                    .record(micros(elapsed));
            }
            Err(error) => {
                self.errors += 1;
                self.first_error.get_or_insert(error);
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        if let Some(theirs) = other.latencies {
            let ours = self.latencies.get_or_insert_with(histogram);
            let _ = ours.add(theirs);
        }
    }

    fn finish(self, elapsed: Duration) -> LoadResult {
        LoadResult {
            latencies: self.latencies.unwrap_or_else(histogram),
            elapsed,
            ok: self.ok,
            errors: self.errors,
            first_error: self.first_error,
        }
    }
}

/// `operation` once per item, by `concurrency` workers each waiting for its answer before
/// taking the next item. Errors are counted, not retried.
pub async fn closed_loop<T, F, Fut>(items: Vec<T>, concurrency: usize, operation: F) -> LoadResult
where
    T: Send + Sync + 'static,
    F: Fn(Arc<Vec<T>>, usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let items = Arc::new(items);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let items = Arc::clone(&items);
        let next = Arc::clone(&next);
        let operation = operation.clone();
        workers.spawn(async move {
            let mut tally = Tally::default();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= items.len() {
                    return tally;
                }
                let sent = Instant::now();
                let outcome = operation(Arc::clone(&items), index).await;
                tally.record(sent.elapsed(), outcome);
            }
        });
    }
    let mut total = Tally::default();
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(tally) => total.merge(tally),
            Err(error) => total.record(Duration::ZERO, Err(format!("worker panicked: {error}"))),
        }
    }
    total.finish(started.elapsed())
}

/// `operation` once per item, item `i` started at `i / rate` seconds whatever the earlier
/// answers do (at most `max_in_flight` outstanding; beyond that the schedule slips and the
/// slip counts in the latency, which is measured from the scheduled start).
pub async fn open_loop<T, F, Fut>(
    items: Vec<T>,
    rate: f64,
    max_in_flight: usize,
    operation: F,
) -> LoadResult
where
    T: Send + Sync + 'static,
    F: Fn(Arc<Vec<T>>, usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let items = Arc::new(items);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let permits = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let started = tokio::time::Instant::now();
    let mut tasks = JoinSet::new();
    for index in 0..items.len() {
        let scheduled = started + interval.mul_f64(index as f64);
        tokio::time::sleep_until(scheduled).await;
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let items = Arc::clone(&items);
        let tally = Arc::clone(&tally);
        let operation = operation.clone();
        tasks.spawn(async move {
            let outcome = operation(items, index).await;
            let elapsed = scheduled.elapsed();
            drop(permit);
            if let Ok(mut tally) = tally.lock() {
                tally.record(elapsed, outcome);
            }
        });
        // Reap finished tasks as we go so that the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let tally = Arc::try_unwrap(tally)
        .ok()
        .and_then(|mutex| mutex.into_inner().ok())
        .unwrap_or_default();
    tally.finish(elapsed)
}
