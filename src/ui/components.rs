//! Small pieces shared by the pages.

pub mod copy_button;
pub mod countdown;
pub mod country_picker;
pub mod hydrated;
pub mod notices;
pub mod query;
pub mod time;
pub mod transactions;

pub use copy_button::CopyButton;
pub use countdown::{remaining, Countdown};
pub use country_picker::CountryPicker;
pub use hydrated::use_hydrated;
pub use notices::{ErrorNotice, FieldError, SignInPrompt};
pub use time::format_time;
pub use transactions::TransactionsTable;
