//! Reviews and logistics on each database: one review per item under concurrency, the
//! reply once, statistics and lists; the seeded carriers, enabling and upserting them.

mod items;
mod logistics;
