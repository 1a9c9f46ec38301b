//! Deterministic tracks: everything derives from the company and the number, nothing from
//! the clock, so a test or a demo gets the same answer every time.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

/// Companies the simulator knows (code, name), as Kuaidi100 spells the codes.
pub const COMPANIES: &[(&str, &str)] = &[
    ("shunfeng", "顺丰速运"),
    ("zhongtong", "中通快递"),
    ("yuantong", "圆通速递"),
    ("shentong", "申通快递"),
    ("yunda", "韵达快递"),
    ("jd", "京东物流"),
    ("ems", "EMS"),
    ("debangwuliu", "德邦物流"),
];

/// Carriers that check the receiver's or sender's phone.
const PHONE_REQUIRED: &[&str] = &["shunfeng", "zhongtong"];

const CITIES: &[&str] = &[
    "广州市",
    "深圳市",
    "上海市",
    "杭州市",
    "北京市",
    "成都市",
    "武汉市",
];

pub enum Outcome {
    UnknownCompany,
    PhoneRequired,
    NoRecord,
    Track(Value),
}

/// Kuaidi100's state code the number's last character stands for; `None`: no record.
pub fn state_for(number: &str) -> Option<&'static str> {
    match number.chars().last() {
        Some('9') => None,
        Some('0') => Some("3"),
        Some('1') => Some("1"),
        Some('2') => Some("2"),
        Some('4') => Some("4"),
        Some('5') => Some("5"),
        Some('6') => Some("6"),
        _ => Some("0"),
    }
}

/// The steps a parcel in `state` went through, oldest first: (description, city index).
fn steps(state: &str, name: &str, from: &str, to: &str) -> Vec<(String, String)> {
    let collected = (format!("【{from}】{name} 已揽收"), from.to_owned());
    let left = (
        format!("快件已从【{from}】转运中心发出，下一站【{to}】"),
        from.to_owned(),
    );
    let arrived = (format!("快件已到达【{to}】转运中心"), to.to_owned());
    let delivering = (format!("【{to}】快递员正在派件"), to.to_owned());
    let mut path = vec![collected];
    match state {
        "1" => {}
        "0" => path.extend([left, arrived]),
        "5" => path.extend([left, arrived, delivering]),
        "3" => path.extend([
            left,
            arrived,
            delivering,
            ("快件已签收，签收人：本人".to_owned(), to.to_owned()),
        ]),
        "2" => path.extend([
            left,
            arrived,
            (
                "收件地址不详，快件暂存网点，等待联系收件人".to_owned(),
                to.to_owned(),
            ),
        ]),
        "6" => path.extend([
            left,
            arrived,
            ("收件人拒收，快件退回中".to_owned(), to.to_owned()),
        ]),
        "4" => path.extend([
            left,
            arrived,
            ("收件人拒收，快件退回中".to_owned(), to.to_owned()),
            ("退回件已由寄件人签收".to_owned(), from.to_owned()),
        ]),
        _ => path.push(left),
    }
    path
}

/// The answer to a query, or the refusal it gets.
pub fn track(company: &str, number: &str, phone: Option<&str>, newest_first: bool) -> Outcome {
    let Some((code, name)) = COMPANIES.iter().find(|(code, _)| *code == company) else {
        return Outcome::UnknownCompany;
    };
    let phone_given = phone.is_some_and(|p| p.trim().len() >= 4);
    if PHONE_REQUIRED.contains(code) && !phone_given {
        return Outcome::PhoneRequired;
    }
    let Some(state) = state_for(number) else {
        return Outcome::NoRecord;
    };
    let digits: u32 = number.chars().filter_map(|c| c.to_digit(10)).sum();
    let city = |offset: u32| {
        let index = usize::try_from((digits + offset) % 7).unwrap_or(0);
        CITIES[index % CITIES.len()]
    };
    let (from, to) = (city(0), city(3));
    // 2026-11-20 08:00 China time plus up to two days, then six hours a step.
    let start = NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|day| day.and_hms_opt(8, 0, 0))
        .unwrap_or(NaiveDateTime::MIN)
        + Duration::hours(i64::from(digits % 48));
    let mut data: Vec<Value> = steps(state, name, from, to)
        .into_iter()
        .enumerate()
        .map(|(index, (context, area))| {
            let at = start + Duration::hours(6 * i64::try_from(index).unwrap_or(0));
            let time = at.format("%Y-%m-%d %H:%M:%S").to_string();
            json!({
                "time": time,
                "ftime": time,
                "context": context,
                "areaName": area,
            })
        })
        .collect();
    if newest_first {
        data.reverse();
    }
    Outcome::Track(json!({
        "message": "ok",
        "nu": number,
        "ischeck": if state == "3" { "1" } else { "0" },
        "condition": "00",
        "com": code,
        "status": "200",
        "state": state,
        "data": data,
    }))
}
