//! The simulator over HTTP, signing requests the way Kuaidi100's documents say.

use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::{Kuaidi100SimConfig, Kuaidi100Simulator, RunningKuaidi100Sim};

fn signed_form(sim: &RunningKuaidi100Sim, param: &Value, key: &str) -> Vec<(String, String)> {
    let param = param.to_string();
    let sign = hex::encode_upper(
        Md5::new()
            .chain_update(&param)
            .chain_update(key)
            .chain_update(sim.customer())
            .finalize(),
    );
    vec![
        ("customer".to_owned(), sim.customer().to_owned()),
        ("sign".to_owned(), sign),
        ("param".to_owned(), param),
    ]
}

async fn ask(sim: &RunningKuaidi100Sim, form: &[(String, String)]) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/poll/query.do", sim.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.json().await.unwrap()
}

async fn query(sim: &RunningKuaidi100Sim, param: Value) -> Value {
    let form = signed_form(sim, &param, sim.key());
    ask(sim, &form).await
}

#[tokio::test]
async fn answers_a_deterministic_track() {
    let sim = Kuaidi100Simulator::start(Kuaidi100SimConfig::default())
        .await
        .unwrap();
    let param = json!({"com": "yuantong", "num": "YT20261120", "resultv2": "1"});
    let answer = query(&sim, param.clone()).await;
    assert_eq!(answer["status"], "200");
    assert_eq!(answer["state"], "3", "{answer}");
    assert_eq!(answer["ischeck"], "1");
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 5);
    // Newest first by default.
    assert!(data[0]["time"].as_str().unwrap() > data[4]["time"].as_str().unwrap());
    assert!(data[0]["context"].as_str().unwrap().contains("签收"));
    assert_eq!(query(&sim, param).await, answer);

    let asc = query(
        &sim,
        json!({"com": "yuantong", "num": "YT20261120", "order": "asc"}),
    )
    .await;
    assert!(asc["data"][0]["context"].as_str().unwrap().contains("揽收"));

    for (number, state) in [
        ("YT000001", "1"),
        ("YT000002", "2"),
        ("YT000003", "0"),
        ("YT000004", "4"),
        ("YT000005", "5"),
        ("YT000006", "6"),
    ] {
        let answer = query(&sim, json!({"com": "yunda", "num": number})).await;
        assert_eq!(answer["state"], state, "{number}: {answer}");
    }
    assert_eq!(sim.queries(), 9);
    sim.stop().await;
}

#[tokio::test]
async fn refuses_as_kuaidi100_does() {
    let sim = Kuaidi100Simulator::start(Kuaidi100SimConfig::default())
        .await
        .unwrap();
    let code = |answer: &Value| answer["returnCode"].as_str().unwrap_or_default().to_owned();

    let param = json!({"com": "ems", "num": "EM123456780"});
    let wrong_key = signed_form(&sim, &param, "not-the-key");
    let answer = ask(&sim, &wrong_key).await;
    assert_eq!(answer["result"], false);
    assert_eq!(code(&answer), "503");

    let mut lowercase = signed_form(&sim, &param, sim.key());
    lowercase[1].1 = lowercase[1].1.to_lowercase();
    assert_eq!(code(&ask(&sim, &lowercase).await), "503");

    let mut wrong_customer = signed_form(&sim, &param, sim.key());
    wrong_customer[0].1 = "SOMEONE".to_owned();
    assert_eq!(code(&ask(&sim, &wrong_customer).await), "503");

    assert_eq!(
        code(&ask(&sim, &[("param".to_owned(), param.to_string())]).await),
        "400"
    );
    let unknown = query(&sim, json!({"com": "nosuch", "num": "EM123456780"})).await;
    assert_eq!(code(&unknown), "400");
    let short = query(&sim, json!({"com": "ems", "num": "EM1"})).await;
    assert_eq!(code(&short), "400");
    let no_phone = query(&sim, json!({"com": "shunfeng", "num": "SF123456780"})).await;
    assert_eq!(code(&no_phone), "408");
    let with_phone = query(
        &sim,
        json!({"com": "shunfeng", "num": "SF123456780", "phone": "5678"}),
    )
    .await;
    assert_eq!(with_phone["state"], "3");
    let nothing = query(&sim, json!({"com": "ems", "num": "EM123456789"})).await;
    assert_eq!(code(&nothing), "500");
    sim.stop().await;
}
