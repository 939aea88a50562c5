//! Integration tests: the real app on a random port, against a fresh SQLite file or a fresh
//! PostgreSQL database per test (`TEST_DATABASE=postgres`).

mod analytics;
mod audit;
mod auth;
mod billing;
mod bulk;
mod choices;
mod cli;
mod connections;
mod console;
#[cfg(feature = "failpoints")]
mod crash;
mod database;
mod errors;
mod events;
mod five_sim;
mod forms;
mod handler_api;
mod hardening;
mod helpers;
mod keys;
mod limits;
mod mail;
mod mfa;
mod money_races;
mod notifications;
mod observability;
mod openapi;
mod pages;
#[cfg(feature = "failpoints")]
mod pollers;
mod presets;
mod pricing;
#[cfg(feature = "failpoints")]
mod process;
mod provider;
mod rentals;
mod reversals;
mod roles;
mod router;
mod security;
mod sessions;
#[cfg(feature = "failpoints")]
mod sms_activate;
mod soak;
mod textverified;
mod topups;
mod verifications;
mod webhooks_out;
