//! The isomorphic boundary: DTOs, the client-safe error and the `#[server]` functions.
//!
//! The browser and the server share these types, so a call to an endpoint that does not exist,
//! or a field that does not match, is a compile error.

pub mod accounts;
pub mod analytics;
pub mod billing;
pub mod catalog;
pub mod docs;
pub mod dto;
pub mod error;
pub mod keys;
pub mod live;
pub mod mfa;
pub mod notifications;
pub mod presets;
pub mod pricing;
pub mod providers;
pub mod rentals;
pub mod sessions;
pub mod staff;
pub mod summaries;
pub mod verifications;
pub mod webhooks;

pub use error::{AppError, ErrorCode};

/// Where the UI's server functions are mounted; the REST API lives beside them under `/api`.
pub const SERVER_FN_PREFIX: &str = "/api/fn";

/// The live event stream (server-sent events) the browser and API clients listen on.
pub const EVENTS_PATH: &str = "/api/events";

/// The stream's event that says "what you missed cannot be replayed": the client then asks
/// for a fresh snapshot (`live::get_live_snapshot`) instead.
pub const RESYNC_EVENT: &str = "resync";
