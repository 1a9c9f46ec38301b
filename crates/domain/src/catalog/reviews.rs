//! Product reviews: only a buyer of a completed order item, once; merchant replies.
