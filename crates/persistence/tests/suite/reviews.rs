//! Reviews and logistics on each database.
