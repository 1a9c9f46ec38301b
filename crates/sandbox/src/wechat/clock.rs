//! The simulator's clock: real time plus an offset tests can move forward, so that rules
//! such as "close only five minutes after creation" can be passed without waiting.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, Utc};

#[derive(Debug, Default)]
pub(crate) struct SimClock {
    offset_ms: AtomicI64,
}

impl SimClock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        Utc::now() + ChronoDuration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    pub(crate) fn advance_ms(&self, milliseconds: i64) {
        self.offset_ms.fetch_add(milliseconds, Ordering::SeqCst);
    }

    pub(crate) fn set_offset_ms(&self, milliseconds: i64) {
        self.offset_ms.store(milliseconds, Ordering::SeqCst);
    }

    pub(crate) fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

/// China Standard Time, in which WeChat prints every time.
pub(crate) fn china(time: DateTime<Utc>) -> DateTime<FixedOffset> {
    const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;
    match FixedOffset::east_opt(CHINA_OFFSET_SECONDS) {
        Some(offset) => time.with_timezone(&offset),
        None => time.fixed_offset(),
    }
}

/// `yyyyMMddHHmmss` in China time, as in `time_end`.
pub(crate) fn wechat_time(time: DateTime<Utc>) -> String {
    china(time).format("%Y%m%d%H%M%S").to_string()
}
