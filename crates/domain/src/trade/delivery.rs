//! Delivery: logistics companies and the tracking port.
