//! `RefundService`.
