//! The points context through the real services, on the payments core, with in-memory
//! storage that keeps the same guarded updates and unique references as the database.

mod architecture;
mod flows;
mod properties;
