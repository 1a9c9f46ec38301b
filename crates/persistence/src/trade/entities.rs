//! The trade tables as SeaORM entities (see the migration `m20261130_000007_trade`).

pub mod mall_orders {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mall_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_no: String,
        pub buyer: String,
        pub status: String,
        pub version: i64,
        pub goods_fen: i64,
        pub discount_fen: i64,
        pub freight_fen: i64,
        pub pay_fen: i64,
        pub pay_order: String,
        pub pay_deadline: DateTime,
        pub address: String,
        pub receiver_phone_masked: String,
        pub receiver_phone_cipher: String,
        pub receiver_phone_key_id: String,
        pub payment: Option<String>,
        pub returned_payments: String,
        pub cancellation: Option<String>,
        pub shipment: Option<String>,
        pub auto_confirm_at: Option<DateTime>,
        pub receipt: Option<String>,
        pub created_at: DateTime,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod mall_order_items {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mall_order_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_no: String,
        pub line: i64,
        pub product_id: i64,
        pub sku_id: i64,
        pub name: String,
        pub spec: String,
        pub image: String,
        pub unit_price_fen: i64,
        pub quantity: i64,
        pub pay_price_fen: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod mall_after_sales {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mall_after_sales")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_no: String,
        pub line: i64,
        pub seq: i64,
        pub buyer: String,
        pub pay_order: String,
        pub sku_id: i64,
        pub kind: String,
        pub reason: String,
        pub amount_fen: i64,
        pub quantity: i64,
        pub status: String,
        pub reject_reason: Option<String>,
        pub return_shipment: Option<String>,
        pub refund_failure: Option<String>,
        pub refunding_order: Option<String>,
        pub created_at: DateTime,
        pub updated_at: DateTime,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod trade_outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "trade_outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub message: String,
        pub attempts: i64,
        pub last_error: Option<String>,
        pub next_attempt_at: DateTime,
        pub delivered_at: Option<DateTime>,
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
