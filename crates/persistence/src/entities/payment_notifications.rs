use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub order_number: Option<String>,
    pub transaction_id: Option<String>,
    pub headers: Json,
    pub raw_body: String,
    pub client_ip: Option<String>,
    pub outcome: String,
    pub error_message: Option<String>,
    pub processing_ms: Option<i64>,
    pub retry_count: i32,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
