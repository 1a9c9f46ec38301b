//! The shoppers and cart contexts' tables (issue 14): addresses, favourites, browsing
//! history, cart items, freight templates, and the per-shopper quotas that bound them.
//!
//! - `shopper_addresses`: the phone is sealed like top-up orders' (`phone_cipher` under
//!   `phone_key_id`, `phone_masked` for people reading the table). `default_mark` is 1 on
//!   the shopper's default address and NULL on the others: the unique key on
//!   (buyer, default_mark) lets at most one address be the default (NULLs are distinct on
//!   every backend).
//! - `shopper_favourites`, `shopper_history`, `cart_items`: one row per (buyer, product or
//!   SKU).
//! - `shopper_quotas`: one row per (buyer, kind) counting the rows a shopper holds; a new
//!   row is admitted by `UPDATE ... SET used = used + 1 WHERE used < limit`, checked by rows
//!   affected, in the transaction that inserts it, so concurrent inserts cannot pass a bound.
//!   Every address-book change updates it first, which also serialises them per shopper.
//! - `freight_templates`: rules as JSON text; `default_mark` as above, unique on its own.
//!
//! `down` drops the six tables.

use sea_orm_migration::prelude::*;

use crate::columns::{IndexSpec, create_indexes, exact_string, id, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ShopperAddresses {
    Table,
    Id,
    Buyer,
    Receiver,
    PhoneMasked,
    PhoneCipher,
    PhoneKeyId,
    Province,
    City,
    District,
    Detail,
    Region,
    DefaultMark,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShopperFavourites {
    Table,
    Id,
    Buyer,
    ProductId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShopperHistory {
    Table,
    Id,
    Buyer,
    ProductId,
    ViewedAt,
}

#[derive(DeriveIden)]
enum ShopperQuotas {
    Table,
    Buyer,
    Kind,
    Used,
    Version,
}

#[derive(DeriveIden)]
enum CartItems {
    Table,
    Id,
    Buyer,
    SkuId,
    ProductId,
    Quantity,
    Selected,
    AddedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FreightTemplates {
    Table,
    Id,
    Name,
    ChargeBy,
    Rules,
    DefaultMark,
    Version,
    CreatedAt,
    UpdatedAt,
}

pub const ADDRESSES_TABLE: &str = "shopper_addresses";
pub const FAVOURITES_TABLE: &str = "shopper_favourites";
pub const HISTORY_TABLE: &str = "shopper_history";
pub const QUOTAS_TABLE: &str = "shopper_quotas";
pub const CART_TABLE: &str = "cart_items";
pub const FREIGHT_TABLE: &str = "freight_templates";

/// An openid: compared byte for byte.
const BUYER_LEN: u32 = 64;

pub const INDEX_SPECS: &[IndexSpec] = &[
    // A shopper's addresses, newest first.
    (
        ADDRESSES_TABLE,
        "idx_shopper_addresses_buyer",
        &["buyer", "created_at"],
        false,
    ),
    // At most one default per shopper.
    (
        ADDRESSES_TABLE,
        "idx_shopper_addresses_default",
        &["buyer", "default_mark"],
        true,
    ),
    (
        FAVOURITES_TABLE,
        "idx_shopper_favourites_product",
        &["buyer", "product_id"],
        true,
    ),
    (
        FAVOURITES_TABLE,
        "idx_shopper_favourites_created",
        &["buyer", "created_at"],
        false,
    ),
    (
        HISTORY_TABLE,
        "idx_shopper_history_product",
        &["buyer", "product_id"],
        true,
    ),
    (
        HISTORY_TABLE,
        "idx_shopper_history_viewed",
        &["buyer", "viewed_at"],
        false,
    ),
    (CART_TABLE, "idx_cart_items_sku", &["buyer", "sku_id"], true),
    // At most one default template.
    (
        FREIGHT_TABLE,
        "idx_freight_templates_default",
        &["default_mark"],
        true,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_addresses(manager).await?;
        create_favourites(manager).await?;
        create_history(manager).await?;
        create_quotas(manager).await?;
        create_cart(manager).await?;
        create_freight(manager).await?;
        create_indexes(manager, INDEX_SPECS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FREIGHT_TABLE,
            CART_TABLE,
            QUOTAS_TABLE,
            HISTORY_TABLE,
            FAVOURITES_TABLE,
            ADDRESSES_TABLE,
        ] {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(table))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

fn big(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

fn text(column: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(column).string_len(len).not_null().to_owned()
}

async fn create_addresses(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(ShopperAddresses::Table)
                .if_not_exists()
                .col(id(backend, ShopperAddresses::Id))
                .col(exact_string(backend, ShopperAddresses::Buyer, BUYER_LEN).not_null())
                .col(text(ShopperAddresses::Receiver, 64))
                .col(text(ShopperAddresses::PhoneMasked, 32))
                .col(
                    ColumnDef::new(ShopperAddresses::PhoneCipher)
                        .text()
                        .not_null(),
                )
                .col(text(ShopperAddresses::PhoneKeyId, 64))
                .col(text(ShopperAddresses::Province, 64))
                .col(text(ShopperAddresses::City, 64))
                .col(text(ShopperAddresses::District, 64))
                .col(text(ShopperAddresses::Detail, 255))
                .col(text(ShopperAddresses::Region, 8))
                .col(
                    ColumnDef::new(ShopperAddresses::DefaultMark)
                        .small_integer()
                        .null(),
                )
                .col(big(ShopperAddresses::Version).default(0).to_owned())
                .col(timestamp(backend, ShopperAddresses::CreatedAt).not_null())
                .col(timestamp(backend, ShopperAddresses::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_favourites(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(ShopperFavourites::Table)
                .if_not_exists()
                .col(id(backend, ShopperFavourites::Id))
                .col(exact_string(backend, ShopperFavourites::Buyer, BUYER_LEN).not_null())
                .col(big(ShopperFavourites::ProductId))
                .col(timestamp(backend, ShopperFavourites::CreatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_history(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(ShopperHistory::Table)
                .if_not_exists()
                .col(id(backend, ShopperHistory::Id))
                .col(exact_string(backend, ShopperHistory::Buyer, BUYER_LEN).not_null())
                .col(big(ShopperHistory::ProductId))
                .col(timestamp(backend, ShopperHistory::ViewedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_quotas(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(ShopperQuotas::Table)
                .if_not_exists()
                .col(exact_string(backend, ShopperQuotas::Buyer, BUYER_LEN).not_null())
                .col(text(ShopperQuotas::Kind, 16))
                .col(big(ShopperQuotas::Used).default(0).to_owned())
                .col(big(ShopperQuotas::Version).default(0).to_owned())
                .primary_key(
                    Index::create()
                        .col(ShopperQuotas::Buyer)
                        .col(ShopperQuotas::Kind),
                )
                .to_owned(),
        )
        .await
}

async fn create_cart(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(CartItems::Table)
                .if_not_exists()
                .col(id(backend, CartItems::Id))
                .col(exact_string(backend, CartItems::Buyer, BUYER_LEN).not_null())
                .col(big(CartItems::SkuId))
                .col(big(CartItems::ProductId))
                .col(big(CartItems::Quantity))
                .col(ColumnDef::new(CartItems::Selected).boolean().not_null())
                .col(timestamp(backend, CartItems::AddedAt).not_null())
                .col(timestamp(backend, CartItems::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}

async fn create_freight(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    manager
        .create_table(
            Table::create()
                .table(FreightTemplates::Table)
                .if_not_exists()
                .col(id(backend, FreightTemplates::Id))
                .col(text(FreightTemplates::Name, 128))
                .col(text(FreightTemplates::ChargeBy, 16))
                // A JSON array of trade::pricing::FreightRule.
                .col(ColumnDef::new(FreightTemplates::Rules).text().not_null())
                .col(
                    ColumnDef::new(FreightTemplates::DefaultMark)
                        .small_integer()
                        .null(),
                )
                .col(big(FreightTemplates::Version).default(0).to_owned())
                .col(timestamp(backend, FreightTemplates::CreatedAt).not_null())
                .col(timestamp(backend, FreightTemplates::UpdatedAt).not_null())
                .to_owned(),
        )
        .await
}
