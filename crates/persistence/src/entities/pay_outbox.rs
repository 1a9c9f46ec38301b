use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pay_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub out_trade_no: String,
    pub kind: String,
    pub merchant_order_no: String,
    pub event: String,
    /// The message's other fields, as JSON text.
    pub payload: String,
    pub created_at: DateTime,
    pub delivered_at: Option<DateTime>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
