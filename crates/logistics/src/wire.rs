//! Kuaidi100's answer to a real-time query, read into the domain's [`Tracking`].
//!
//! Success: `{"message":"ok","status":"200","state":"0","ischeck":"0","com":…,"nu":…,
//! "data":[{"time":"2025-10-18 10:00:00","ftime":…,"context":"…","areaName":…}]}`.
//! Refusal: `{"result":false,"returnCode":"500","message":"查询无结果，请隔段时间再查"}`.
//! Both `state` and `returnCode` are documented as strings and seen as numbers; either is
//! read.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use elife_domain::trade::delivery::{Tracking, TrackingError, TrackingEvent, TrackingState};
use serde::Deserialize;
use serde_json::Value;

/// Kuaidi100's times are China time without a zone.
const CHINA_OFFSET_SECONDS: i32 = 8 * 3600;
const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
/// Characters of an unreadable answer kept in an error message.
const PREVIEW: usize = 200;

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    result: Option<bool>,
    #[serde(default, rename = "returnCode")]
    return_code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    state: Option<Value>,
    #[serde(default)]
    data: Option<Vec<Entry>>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    ftime: Option<String>,
    #[serde(default)]
    context: String,
    #[serde(default, rename = "areaName")]
    area_name: Option<String>,
    #[serde(default)]
    location: Option<String>,
}

/// A string or a number as text.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Kuaidi100's `state` codes: 0 在途, 1 揽收, 2 疑难, 3 签收, 4 退签, 5 派件, 6 退回,
/// 7 转投, 8 清关 (older), 10 待清关, 11 清关中, 12 已清关, 13 清关异常, 14 拒签; the
/// advanced states (`resultv2=4`) are three digits led by one of these.
pub fn state_of(code: &str) -> TrackingState {
    let base = match code.len() {
        3 => &code[..1],
        _ => code,
    };
    match base {
        "0" | "7" => TrackingState::InTransit,
        "1" => TrackingState::Collected,
        "2" | "14" => TrackingState::Problem,
        "3" => TrackingState::Delivered,
        "4" => TrackingState::Returned,
        "5" => TrackingState::Delivering,
        "6" => TrackingState::Returning,
        "8" | "10" | "11" | "12" | "13" => TrackingState::Customs,
        _ => TrackingState::Unknown,
    }
}

fn china_time(raw: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(raw.trim(), TIME_FORMAT).ok()?;
    let offset = FixedOffset::east_opt(CHINA_OFFSET_SECONDS)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

fn preview(body: &str) -> String {
    body.chars().take(PREVIEW).collect()
}

fn event(entry: Entry) -> Result<TrackingEvent, TrackingError> {
    let at = [entry.time.as_deref(), entry.ftime.as_deref()]
        .into_iter()
        .flatten()
        .find_map(china_time)
        .ok_or_else(|| {
            TrackingError::InvalidResponse(format!(
                "event time {:?} is not {TIME_FORMAT}",
                entry.time.as_deref().unwrap_or_default()
            ))
        })?;
    let place = [entry.area_name, entry.location]
        .into_iter()
        .flatten()
        .map(|p| p.trim().to_owned())
        .find(|p| !p.is_empty());
    Ok(TrackingEvent {
        at,
        description: entry.context.trim().to_owned(),
        place,
    })
}

/// Reads the body of a 2xx answer.
pub fn read_answer(body: &str) -> Result<Tracking, TrackingError> {
    let answer: Answer = serde_json::from_str(body)
        .map_err(|error| TrackingError::InvalidResponse(format!("{error}: {}", preview(body))))?;
    if answer.status.as_ref().and_then(text).as_deref() == Some("200") {
        let state = answer
            .state
            .as_ref()
            .and_then(text)
            .map_or(TrackingState::Unknown, |code| state_of(&code));
        let mut events = answer
            .data
            .unwrap_or_default()
            .into_iter()
            .map(event)
            .collect::<Result<Vec<_>, _>>()?;
        // Asked for newest first already; sorted again so that `order=asc` or a carrier's
        // odd order never reaches the shopper.
        events.sort_by_key(|event| std::cmp::Reverse(event.at));
        return Ok(Tracking { state, events });
    }
    let message = answer.message.unwrap_or_default();
    match answer.return_code.as_ref().and_then(text) {
        // 查询无结果: the carrier has nothing for this number (yet).
        Some(code) if code == "500" => Err(TrackingError::NoRecord),
        // Server error, server busy: worth asking again later.
        Some(code) if code == "501" || code == "502" => {
            Err(TrackingError::Unavailable(format!("{code}: {message}")))
        }
        // 400 bad request or unknown company, 408 phone check failed, 503 bad signature,
        // 601 key expired or out of queries, and codes added later.
        Some(code) => Err(TrackingError::Rejected { code, message }),
        None if answer.result == Some(false) => Err(TrackingError::Rejected {
            code: String::new(),
            message,
        }),
        None => Err(TrackingError::InvalidResponse(preview(body))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_track_newest_first_in_utc() {
        let body = r#"{"message":"ok","nu":"SF1","ischeck":"1","com":"shunfeng",
            "status":"200","state":"3","condition":"F00","data":[
            {"time":"2025-10-18 08:00:00","ftime":"2025-10-18 08:00:00","context":"已揽收","areaName":""},
            {"time":"2025-10-19 18:30:00","context":"已签收","areaName":"广东,深圳市"}]}"#;
        let tracking = read_answer(body).unwrap();
        assert_eq!(tracking.state, TrackingState::Delivered);
        assert_eq!(tracking.events.len(), 2);
        assert_eq!(tracking.events[0].description, "已签收");
        assert_eq!(tracking.events[0].place.as_deref(), Some("广东,深圳市"));
        assert_eq!(tracking.events[1].place, None);
        assert_eq!(
            tracking.events[0].at.to_rfc3339(),
            "2025-10-19T10:30:00+00:00"
        );
    }

    #[test]
    fn numbers_and_strings_are_both_read() {
        let body = r#"{"status":200,"state":5,"data":[]}"#;
        assert_eq!(read_answer(body).unwrap().state, TrackingState::Delivering);
        let body = r#"{"result":false,"returnCode":500,"message":"查询无结果"}"#;
        assert_eq!(read_answer(body), Err(TrackingError::NoRecord));
    }

    #[test]
    fn every_documented_state_is_mapped() {
        let expected = [
            ("0", TrackingState::InTransit),
            ("1", TrackingState::Collected),
            ("2", TrackingState::Problem),
            ("3", TrackingState::Delivered),
            ("4", TrackingState::Returned),
            ("5", TrackingState::Delivering),
            ("6", TrackingState::Returning),
            ("7", TrackingState::InTransit),
            ("10", TrackingState::Customs),
            ("13", TrackingState::Customs),
            ("14", TrackingState::Problem),
            ("501", TrackingState::Delivering),
            ("301", TrackingState::Delivered),
            ("99", TrackingState::Unknown),
            ("", TrackingState::Unknown),
        ];
        for (code, state) in expected {
            assert_eq!(state_of(code), state, "{code}");
        }
    }

    #[test]
    fn refusals_are_told_apart() {
        let rejected =
            read_answer(r#"{"result":false,"returnCode":"503","message":"验证签名失败"}"#);
        assert_eq!(
            rejected,
            Err(TrackingError::Rejected {
                code: "503".to_owned(),
                message: "验证签名失败".to_owned()
            })
        );
        let busy = read_answer(r#"{"result":false,"returnCode":"502","message":"服务器繁忙"}"#);
        assert!(
            matches!(busy, Err(TrackingError::Unavailable(_))),
            "{busy:?}"
        );
        let odd = read_answer(r#"{"hello":"world"}"#);
        assert!(
            matches!(odd, Err(TrackingError::InvalidResponse(_))),
            "{odd:?}"
        );
        let html = read_answer("<html>502 Bad Gateway</html>");
        assert!(
            matches!(html, Err(TrackingError::InvalidResponse(_))),
            "{html:?}"
        );
        let bad_time = read_answer(
            r#"{"status":"200","state":"0","data":[{"time":"yesterday","context":"x"}]}"#,
        );
        assert!(
            matches!(bad_time, Err(TrackingError::InvalidResponse(_))),
            "{bad_time:?}"
        );
    }
}
