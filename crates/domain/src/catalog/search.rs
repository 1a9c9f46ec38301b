//! Product search behind a port, and hot search terms.
