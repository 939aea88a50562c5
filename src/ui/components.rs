//! Small pieces shared by the pages.

pub mod chart;
pub mod copy_button;
pub mod countdown;
pub mod idempotency;
pub mod notices;
pub mod picker;
pub mod query;
pub mod time;
pub mod transactions;

pub use copy_button::{CopyButton, ShownOnce};
pub use countdown::{remaining, Countdown};
pub use idempotency::{form_key, FormNonce, IdempotencyKey};
pub use notices::{action_error, error_of, ErrorNotice, FieldError, FormError, SignInPrompt};
pub use picker::{Choice, CountryPicker, PickKind, Picker};
pub use time::{format_time, hours_label};
pub use transactions::TransactionsTable;
