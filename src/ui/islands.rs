//! What runs in the browser. Pages render on the server as complete HTML whose forms post
//! without JavaScript; these islands are all the WASM client holds:
//!
//! - `PageScript`, last on every page: copy buttons, ticking countdowns, forms sent only once,
//!   live updates (the page's `data-live` regions are refreshed from the server when an event
//!   arrives), and the `data-hydrated` mark;
//! - `RentChoices` and `ExtendHours`: the price (and the balance after it) as you choose;
//! - `BulkBar`: selecting several rentals, their total price or refund, and acting on them.

mod bulk;
mod dom;
mod live;
mod page;
mod quotes;

/// Where a page's live updates start: the event id its data is as of, taken by the server
/// before it reads anything for the page (`EventHub::cursor`); `None` where it cannot say.
#[derive(Clone, Copy, Debug)]
pub struct LiveCursor(pub Option<i64>);

pub use bulk::BulkBar;
pub use page::PageScript;
pub use quotes::{ExtendHours, RentChoices};
