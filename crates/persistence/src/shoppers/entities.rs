//! The shoppers' and cart's tables as SeaORM entities (see `m20261130_000008_shoppers`).

pub mod addresses {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shopper_addresses")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub buyer: String,
        pub receiver: String,
        pub phone_masked: String,
        pub phone_cipher: String,
        pub phone_key_id: String,
        pub province: String,
        pub city: String,
        pub district: String,
        pub detail: String,
        pub region: String,
        /// 1 on the default address, NULL otherwise.
        pub default_mark: Option<i16>,
        pub version: i64,
        pub created_at: DateTime,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod favourites {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shopper_favourites")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub buyer: String,
        pub product_id: i64,
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shopper_history")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub buyer: String,
        pub product_id: i64,
        pub viewed_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod quotas {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shopper_quotas")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub buyer: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        pub used: i64,
        pub version: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod cart_items {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cart_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub buyer: String,
        pub sku_id: i64,
        pub product_id: i64,
        pub quantity: i64,
        pub selected: bool,
        pub added_at: DateTime,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod freight_templates {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "freight_templates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub charge_by: String,
        pub rules: String,
        pub default_mark: Option<i16>,
        pub version: i64,
        pub created_at: DateTime,
        pub updated_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
