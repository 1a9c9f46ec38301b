//! The tables of reviews and logistics companies as SeaORM entities.

pub mod reviews {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "catalog_reviews")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub product_id: i64,
        pub sku_id: i64,
        pub order_no: String,
        pub line: i32,
        pub buyer: String,
        pub reviewer_name: String,
        pub rating: i16,
        pub content: String,
        /// A JSON array of URLs.
        pub images: String,
        pub image_count: i32,
        pub anonymous: bool,
        pub spec: String,
        pub reply_text: Option<String>,
        pub reply_at: Option<DateTime>,
        pub created_at: DateTime,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod logistics_companies {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "trade_logistics_companies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub enabled: bool,
        pub sort_order: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
