use sea_orm::entity::prelude::*;

use super::ExactRate;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_number: String,
    pub openid: String,
    /// Masked (`8811****`) once sealed in `phone_cipher`; plaintext only in rows not yet
    /// sealed (written by a version before the encryption).
    pub phone_number: String,
    pub product_operator: String,
    pub product_recharge_type: String,
    pub product_name: String,
    /// NULL in some of the old backend's rows.
    pub product_eng_name: Option<String>,
    pub product_code: String,
    pub product_unit: Option<i64>,
    pub product_data: Option<String>,
    pub product_days: Option<i32>,
    /// MNT.
    pub product_price_tg: i64,
    pub product_price_fen: i64,
    pub exchange_rate: ExactRate,
    pub payment_status: String,
    pub recharge_status: Option<String>,
    pub seq_id: Option<String>,
    pub transaction_id: Option<String>,
    /// JSON text.
    pub provider_receipt: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub paid_at: Option<DateTime>,
    pub recharge_at: Option<DateTime>,
    pub recharged_at: Option<DateTime>,
    pub closed_at: Option<DateTime>,
    pub version: i32,
    pub anomaly_reason: Option<String>,
    pub anomaly_details: Option<String>,
    /// AES-256-GCM of the phone number, base64 (see `elife_personal_data`).
    pub phone_cipher: Option<String>,
    /// The key that sealed `phone_cipher`.
    pub phone_key_id: Option<String>,
    /// Keyed blind index of the phone number, for lookups.
    pub phone_index: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
