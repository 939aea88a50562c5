//! One module per page.

pub mod account;
pub mod auth;
pub mod dashboard;
pub mod keys;
pub mod not_found;
pub mod rentals;
