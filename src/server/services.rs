//! Use-cases. Every business rule lives here (or in `domain`), never in handlers or SQL.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod favourites;
pub mod history;
pub mod idempotency;
pub mod inbox;
pub mod live;
pub mod mfa;
pub mod passwords;
pub mod presets;
pub mod provider_account;
pub mod provider_alerts;
pub mod provider_webhooks;
pub mod purchases;
pub mod reconciliation;
pub mod rental_bulk;
pub mod rental_lifecycle;
pub mod rental_reactivation;
pub mod rentals;
pub mod secrets;
pub mod sign_in_throttle;
pub mod staff;
pub mod verifications;
