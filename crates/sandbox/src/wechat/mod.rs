//! WeChat Pay (Cloud Hosting) simulator.
