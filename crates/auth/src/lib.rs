//! Credential adapters: they implement the accounts context's ports for signed access
//! tokens and password hashing. No I/O.
pub mod passwords;
pub mod tokens;
