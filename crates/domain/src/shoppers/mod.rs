//! Shoppers: addresses (phone encrypted at rest), favourites and browsing history.

pub mod activity;
pub mod address;
pub mod address_book;
pub mod ports;

#[cfg(any(test, feature = "mocks"))]
pub mod memory;
#[cfg(test)]
pub(crate) mod tests;

pub use activity::{BrowsingHistory, Favourites, MAX_FAVOURITES, MAX_HISTORY};
pub use address::{
    Address, AddressDraft, AddressFields, AddressId, MAX_ADDRESSES, MAX_DETAIL, MAX_NAME,
};
pub use address_book::AddressBook;
pub use ports::{
    AddressRepository, Bounded, Favourite, FavouriteRepository, HistoryRepository, Viewed,
};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockAddressRepository, MockFavouriteRepository, MockHistoryRepository};
