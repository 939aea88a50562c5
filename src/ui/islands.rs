//! What runs in the browser. Pages render on the server as complete HTML whose forms post
//! without JavaScript; these islands are the WASM client:
//!
//! - `PageScript`, once per tab: the event stream that feeds the live store (`ui::live`),
//!   copy buttons, ticking countdowns, forms sent only once, and the `data-hydrated` mark;
//! - `LiveBalance`, `RentalBoard`, `RentalFacts`, `MessageList`, `VerificationBoard`,
//!   `VerificationTable` and `SavedPresets`: the live views, rendered from the store;
//! - `RentChoices` and `RentalActions`: the price (and the balance after it) as you choose,
//!   and what can be done with a rental while it is active;
//! - `BulkBar`: selecting several rentals, their total price or refund, and acting on them;
//! - `PickerBox`: the service and country pickers filter as you type, and keep favourites;
//! - `TryIt`: trying an operation of the API reference, in sandbox mode;
//! - and, from `PageScript`, the actions: the forms that buy, extend, release and so on are
//!   sent by the client to their server functions, and their answers shown in place
//!   (`actions`).
//!
//! The islands that show the rentals page's live state (the first load the page budget
//! counts) are in the main WASM; the others are `lazy`: their code comes in a chunk of its own
//! (`cargo leptos build --split`) when a page first shows them, or, for the forms that choose
//! what to buy, the bulk bar, a rental's actions and the verification history
//! (`data-hydrate="interaction"`), when the customer first comes to their section or (the last
//! two) the live data changes (`server/shell/load_islands.js`).
//!
//! Moving between pages does not reload the document: the shell's page-change script
//! (`server/shell/change_page.js`) fetches the next page, puts its `<main>` in place and
//! hydrates the islands in it.

mod actions;
mod answers;
mod balance;
mod bulk;
mod call;
mod dom;
mod lifetime;
mod live;
mod page;
mod picker;
mod presets;
mod quotes;
mod rentals;
mod try_it;
mod verifications;

/// Where a page's live updates start: the event id its data is as of, taken by the server
/// before it reads anything for the page (`EventHub::cursor`); `None` where it cannot say.
#[derive(Clone, Copy, Debug)]
pub struct LiveCursor(pub Option<i64>);

/// The server's clock when it rendered the page, in ms since the epoch: countdowns count by
/// it, not by the browser's clock.
#[derive(Clone, Copy, Debug)]
pub struct RenderedAt(pub i64);

pub use balance::LiveBalance;
pub use bulk::BulkBar;
pub use page::PageScript;
pub use picker::PickerBox;
pub use presets::SavedPresets;
pub use quotes::RentChoices;
pub use rentals::{MessageList, ReleaseForm, RentalActions, RentalBoard, RentalFacts};
pub use try_it::TryIt;
pub use verifications::{status_label, VerificationBoard, VerificationTable};
