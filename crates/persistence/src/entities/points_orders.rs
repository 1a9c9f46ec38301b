use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_no: String,
    pub openid: String,
    pub package_id: i64,
    pub package_name: String,
    pub amount_fen: i64,
    pub points: i64,
    pub bonus_points: i64,
    pub status: String,
    pub transaction_id: Option<String>,
    pub paid_at: Option<DateTime>,
    pub refunded_fen: i64,
    pub created_at: DateTime,
    pub updated_at: DateTime,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
