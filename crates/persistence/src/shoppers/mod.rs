//! Shoppers and cart on SeaORM: addresses, favourites, history, cart items, freight templates.
