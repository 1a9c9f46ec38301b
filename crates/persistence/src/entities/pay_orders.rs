use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub out_trade_no: String,
    pub kind: String,
    pub merchant_order_no: String,
    pub amount_fen: i64,
    pub channel: String,
    pub payer_openid: String,
    pub description: String,
    pub time_expire: DateTime,
    pub status: String,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime>,
    pub refunded_fen: i64,
    pub refunding_fen: i64,
    pub late_payment: bool,
    pub anomaly_kind: Option<String>,
    pub anomaly_details: Option<String>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
