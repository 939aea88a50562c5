//! HTTP emulators of the providers' real APIs: the embedded default (sandbox mode) and what
//! the tests run the real clients against. Server-only, like `server`.

pub mod five_sim;
pub mod guard;
