//! [`SeaOrmLogisticsRepository`] against the database of the run: the migration's seed.

use elife_domain::trade::delivery::{LogisticsCompany, LogisticsRepository};
use elife_persistence::SeaOrmLogisticsRepository;

use crate::common::TestDb;

#[tokio::test]
async fn the_common_carriers_are_seeded_in_order() {
    let test = TestDb::new().await;
    let repo = SeaOrmLogisticsRepository::new(test.db.clone());
    let all = repo.list(true).await.unwrap();
    let codes: Vec<&str> = all.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "shunfeng",
            "zhongtong",
            "yuantong",
            "shentong",
            "yunda",
            "jd",
            "ems"
        ]
    );
    assert!(all.iter().all(|c| c.enabled));
    let sf = repo.find("shunfeng").await.unwrap().unwrap();
    assert_eq!(sf.name, "顺丰速运");
    // Codes compare byte for byte (MySQL's default collation would not).
    assert_eq!(repo.find("ShunFeng").await.unwrap(), None);
    assert_eq!(repo.find("nosuch").await.unwrap(), None);
}

#[tokio::test]
async fn companies_are_enabled_disabled_and_upserted() {
    let test = TestDb::new().await;
    let repo = SeaOrmLogisticsRepository::new(test.db.clone());
    assert!(repo.set_enabled("ems", false).await.unwrap());
    // Setting the same value again still finds the row.
    assert!(repo.set_enabled("ems", false).await.unwrap());
    assert!(!repo.set_enabled("nosuch", true).await.unwrap());
    let offered = repo.list(false).await.unwrap();
    assert_eq!(offered.len(), 6);
    assert!(offered.iter().all(|c| c.code != "ems"));
    assert!(!repo.find("ems").await.unwrap().unwrap().enabled);

    let debang = LogisticsCompany::new("debangwuliu", "德邦物流", true, -5).unwrap();
    repo.upsert(&debang).await.unwrap();
    assert_eq!(repo.list(false).await.unwrap()[0], debang);
    let renamed = LogisticsCompany::new("debangwuliu", "德邦快递", false, 100).unwrap();
    repo.upsert(&renamed).await.unwrap();
    assert_eq!(
        repo.find("debangwuliu").await.unwrap(),
        Some(renamed.clone())
    );
    // Unchanged again: still an upsert, not a duplicate.
    repo.upsert(&renamed).await.unwrap();
    assert_eq!(repo.list(true).await.unwrap().len(), 8);
}
