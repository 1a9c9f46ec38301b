//! Reviews and logistics companies on SeaORM.
