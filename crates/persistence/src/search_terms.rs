//! Hot search terms on SeaORM.
