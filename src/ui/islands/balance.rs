//! The balance, wherever a page shows it (the header, the dashboard): every change to it, made
//! in this tab or anywhere else, arrives as an event.

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
