//! Shoppers: addresses (phone encrypted at rest), favourites and browsing history.
