//! Freight templates as stored: the repository port the checkout reads and the admin edits.
