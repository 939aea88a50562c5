//! The balance, wherever a page shows it (the header, the dashboard), and the notification
//! bell's count: every change to them, made in this tab or anywhere else, arrives as an event.

use super::lifetime::ends_with_its_element;
use crate::domain::Money;
use crate::ui::live::{follow, store};
use leptos::prelude::*;

#[island]
pub fn LiveBalance(balance: Money) -> impl IntoView {
    ends_with_its_element();
    let shown = follow(store().balance(Some(balance)));
    move || shown.get().unwrap_or(balance).display()
}

/// The bell's unread count; nothing when there is none.
#[island]
pub fn LiveUnread(unread: i64) -> impl IntoView {
    ends_with_its_element();
    let shown = follow(store().unread(unread));
    // None draws a placeholder, not an empty text node (which hydration would not find).
    move || {
        Some(shown.get().unwrap_or(unread))
            .filter(|n| *n > 0)
            .map(|n| n.to_string())
    }
}
