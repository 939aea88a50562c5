//! Everything that only runs on the server: configuration, HTTP, use-cases, storage.
//! Compiled only with the `ssr` feature (the one gate is in `lib.rs`).

pub mod cache;
pub mod cli;
pub mod client_files;
pub mod clock;
pub mod config;
pub mod csv;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod events;
pub mod failpoints;
pub mod fn_context;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod payments;
pub mod providers;
pub mod services;
pub mod shell;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;

pub use error::ServerError;
