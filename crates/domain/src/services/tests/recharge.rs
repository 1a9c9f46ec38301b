//! `RechargeService`.
