//! Pure types and rules, compiled for both the server and the browser.

pub mod account;
pub mod advice;
pub mod analytics;
pub mod forecast;
pub mod money;
pub mod names;
pub mod pricing;
pub mod rental;
pub mod sms;
pub mod statement;
pub mod time;
pub mod topup;
pub mod verification;
pub mod webhook;

pub use account::{Email, InvalidEmail, InvalidPassword, Password, Role};
pub use money::{InvalidMoney, Money, CURRENCY};
