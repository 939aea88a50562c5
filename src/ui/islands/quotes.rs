//! Prices shown as the customer chooses, before anything is bought. Each island renders the
//! form fields it follows; the form around them is the server's, posted without JavaScript.

use super::dom::value_of;
use super::lifetime::ends_with_its_element;
use crate::api::dto::RentalOfferView;
use crate::domain::rental::extension_quote;
use crate::domain::Money;
use crate::ui::components::hours_label;
use crate::ui::live::{follow_drawn, store};
use leptos::either::Either;
use leptos::prelude::*;
use rust_decimal::Decimal;

/// The rent form's choices after the service (which comes first, in a `Picker`), with the
/// total, the stock and the balance after it.
#[island(lazy)]
pub fn RentChoices(offers: Vec<RentalOfferView>, balance: Option<Money>) -> impl IntoView {
    ends_with_its_element();
    // The balance after the purchase follows the balance itself.
    let live_balance = follow_drawn(balance, store().balance(balance));
    let first_hours = offers
        .iter()
        .find(|r| r.hours == 24)
        .or(offers.first())
        .map_or(24, |r| r.hours);
    let hours = RwSignal::new(first_hours);
    let count = RwSignal::new(1u32);
    // Hydrated once the customer came to the form: they may have chosen already.
    Effect::new(move |_| {
        if let Some(h) = value_of("duration").and_then(|v| v.parse().ok()) {
            hours.set(h);
        }
        if let Some(n) = value_of("count").and_then(|v| v.parse().ok()) {
            count.set(n);
        }
    });
    let prices = StoredValue::new(offers.clone());
    let summary = move || {
        let offer = prices.with_value(|o| o.iter().find(|o| o.hours == hours.get()).cloned())?;
        let total = Money::from_units(offer.price.units() * i64::from(count.get().max(1)));
        let stock = if offer.stock == 0 {
            "none in stock".to_owned()
        } else {
            format!("{} in stock", offer.stock)
        };
        let after = live_balance.get().map(|b| match b.checked_sub(total).filter(|a| !a.is_negative()) {
            Some(after) => Either::Left(view! { <span>{format!("balance after {}", after.display())}</span> }),
            None => Either::Right(view! {
                <span class="shortfall" role="alert">
                    {format!("your balance is {}: add {} to rent this", b.display(), total.checked_sub(b).unwrap_or(total).display())}
                </span>
            }),
        });
        // The prediction: what it costs over 30 days if it renews itself, and what is left.
        let n = i64::from(count.get().max(1));
        let month = Money::from_units(offer.month_with_renewals.units().saturating_mul(n));
        let renewals = (offer.month_with_renewals != offer.price).then(|| {
            let left = live_balance
                .get()
                .and_then(|b| b.checked_sub(month))
                .map(|left| {
                    if left.is_negative() {
                        " · your balance would not cover every renewal: auto-renew stops, and tells you, when it runs out".to_owned()
                    } else {
                        format!(" · balance after 30 days {}", left.display())
                    }
                })
                .unwrap_or_default();
            view! {
                <p class="muted quote" data-testid="renewal-prediction">
                    {format!(
                        "Renewing automatically: {} over the first 30 days ({} a renewal, every {}){left}",
                        month.display(),
                        Money::from_units(offer.renewal.units().saturating_mul(n)).display(),
                        hours_label(offer.hours),
                    )}
                </p>
            }
        });
        Some(view! {
            <p class="quote" data-testid="create-quote">
                <strong class="money">{format!("Total {}", total.display())}</strong>
                {format!(" · {stock} · ")}
                {after}
            </p>
            {renewals}
        })
    };
    view! {
        <div class="field">
            <label for="duration">"For how long"</label>
            <select
                id="duration"
                name="rental[duration_hours]"
                on:change=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(first_hours))
            >
                {offers
                    .into_iter()
                    .map(|r| {
                        let chosen = r.hours == first_hours;
                        let label = format!("{} · {}{}", hours_label(r.hours), r.price.display(), if r.stock == 0 { " · none left" } else { "" });
                        view! { <option value=r.hours.to_string() selected=chosen>{label}</option> }
                    })
                    .collect_view()}
            </select>
        </div>
        <div class="field narrow">
            <label for="count">"How many"</label>
            <input
                id="count"
                name="count"
                type="number"
                min="1"
                max="20"
                value="1"
                required
                on:input=move |ev| count.set(event_target_value(&ev).parse().unwrap_or(1))
            />
        </div>
        <label class="check">
            <input type="checkbox" name="rental[auto_renew]" value="true" />
            " Renew automatically"
        </label>
        {summary}
        <button type="submit" class="btn btn-primary">
            {move || if count.get() > 1 { "Rent numbers" } else { "Rent number" }}
        </button>
    }
}

/// The hours to extend a rental by, with what they cost (in `RentalActions`).
#[component]
pub fn ExtendHours(per_hour: Decimal) -> impl IntoView {
    let hours = RwSignal::new(1u32);
    // Hydrated once the customer came to the form: they may have typed already.
    Effect::new(move |_| {
        if let Some(h) = value_of("hours").and_then(|v| v.parse().ok()) {
            hours.set(h);
        }
    });
    let price = move || extension_quote(hours.get().max(1), per_hour).display();
    view! {
        <div class="field">
            <label for="hours">"Extend by (hours)"</label>
            <input
                id="hours"
                name="hours"
                type="number"
                min="1"
                max="720"
                value="1"
                required
                on:input=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(1))
            />
        </div>
        <p class="muted quote" data-testid="extend-price">{move || format!("Costs {}", price())}</p>
    }
}
