//! `POST /poll/query.do`: the form checked as Kuaidi100 checks it, then a track.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use actix_web::{HttpResponse, web};
use md5::{Digest, Md5};
use serde::Deserialize;
use serde_json::json;

use super::SimState;
use super::track::{Outcome, track};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.route("/poll/query.do", web::post().to(query));
}

#[derive(Deserialize)]
struct Param {
    #[serde(default)]
    com: String,
    #[serde(default)]
    num: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    order: Option<String>,
}

/// Kuaidi100 refuses with HTTP 200 and a JSON body.
fn refusal(code: &str, message: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "result": false,
        "returnCode": code,
        "message": message,
    }))
}

fn expected_sign(param: &str, key: &str, customer: &str) -> String {
    let digest = Md5::new()
        .chain_update(param)
        .chain_update(key)
        .chain_update(customer)
        .finalize();
    hex::encode_upper(digest)
}

async fn query(
    state: web::Data<SimState>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    state.queries.fetch_add(1, Ordering::Relaxed);
    let form = form.into_inner();
    let (Some(customer), Some(sign), Some(raw_param)) =
        (form.get("customer"), form.get("sign"), form.get("param"))
    else {
        return refusal("400", "提交的数据不完整，或者贵公司没授权");
    };
    let config = &state.config;
    if customer != &config.customer || sign != &expected_sign(raw_param, &config.key, customer) {
        return refusal("503", "验证签名失败");
    }
    let Ok(param) = serde_json::from_str::<Param>(raw_param) else {
        return refusal("400", "提交的数据不完整，或者贵公司没授权");
    };
    let number_length = param.num.chars().count();
    if !(6..=32).contains(&number_length) {
        return refusal("400", "快递单号长度须为6到32个字符");
    }
    let newest_first = param.order.as_deref() != Some("asc");
    match track(&param.com, &param.num, param.phone.as_deref(), newest_first) {
        Outcome::UnknownCompany => refusal("400", "找不到对应公司"),
        Outcome::PhoneRequired => refusal("408", "电话号码校验不通过"),
        Outcome::NoRecord => refusal("500", "查询无结果，请隔段时间再查"),
        Outcome::Track(answer) => HttpResponse::Ok().json(answer),
    }
}
