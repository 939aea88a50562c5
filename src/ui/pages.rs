//! One module per page.

pub mod account;
pub mod api_docs;
pub mod auth;
pub mod billing;
pub mod console;
pub mod dashboard;
pub mod keys;
pub mod mfa;
pub mod not_found;
pub mod notifications;
pub mod providers;
pub mod rental;
pub mod rental_history;
pub mod rentals;
pub mod sessions;
pub mod statements;
pub mod verifications;
pub mod webhooks;
