//! The isomorphic boundary: DTOs, the client-safe error and the `#[server]` functions.
//!
//! The browser and the server share these types, so a call to an endpoint that does not exist,
//! or a field that does not match, is a compile error.

pub mod accounts;
pub mod billing;
pub mod catalog;
pub mod dto;
pub mod error;
pub mod keys;
pub mod presets;
pub mod rentals;
pub mod summaries;
pub mod verifications;

pub use error::{AppError, ErrorCode};

/// Where the UI's server functions are mounted; the REST API lives beside them under `/api`.
pub const SERVER_FN_PREFIX: &str = "/api/fn";

/// The live event stream (server-sent events) the browser and API clients listen on.
pub const EVENTS_PATH: &str = "/api/events";

/// Marks the browser's own re-fetch of the page it shows (live updates): such a request
/// renders the page but leaves one-time notices for the page load they belong to.
pub const LIVE_REFRESH_HEADER: &str = "x-live-refresh";
