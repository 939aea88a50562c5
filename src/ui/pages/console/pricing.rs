//! Pricing (`/admin/pricing`): the duration bands, customer tiers and volume discounts that
//! price new purchases. Admins change them here (each change audit-logged with what it
//! replaced); support reads them.

use super::ConsoleNav;
use crate::api::dto::PricingView;
use crate::api::pricing::{get_pricing, SetPricing};
use crate::domain::pricing::{thirty_days_share, PolicyForm};
use crate::domain::Role;
use crate::ui::components::{error_of, format_time, ErrorNotice, FieldError, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PricingPage() -> impl IntoView {
    let change = ServerAction::<SetPricing>::new();
    let current = Resource::new(move || change.version().get(), |_| get_pricing());
    view! {
        <Title text="Pricing" />
        <ConsoleNav current="/admin/pricing" />
        <h1>"Pricing"</h1>
        <p class="muted">
            "Rentals are charged hour by hour at their duration band's rate (a fraction of the provider's hourly price × the markup), then the customer's tier discount and volume discount apply, once each. No price is ever below what the provider charges. A change prices new purchases only."
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let admin = super::caller_role().await == Some(Role::Admin);
                match current.await {
                    Ok(p) => view! { <Policy p change admin /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Policy(p: PricingView, change: ServerAction<SetPricing>, admin: bool) -> impl IntoView {
    let error = error_of(change);
    let changed = match (p.changed_at, p.changed_by) {
        (Some(at), by) => format!(
            "Changed {}{}.",
            format_time(&at),
            by.map(|id| format!(" by account #{id}"))
                .unwrap_or_default()
        ),
        (None, _) => "The defaults: never changed.".to_owned(),
    };
    let share = thirty_days_share(&p.policy.bands);
    let form = PolicyForm::of(&p.policy);
    let band = move |name: &'static str, label: &'static str, value: String| {
        let id = format!("band-{name}");
        view! {
            <div class="field narrow">
                <label for=id.clone()>{label}</label>
                <input id=id name=name type="text" inputmode="decimal" required value=value />
            </div>
        }
    };
    view! {
        <p class="muted" data-testid="pricing-changed">{changed}</p>
        <section class="card">
            <ActionForm action=change attr:data-testid="pricing-form">
                <FormError error />
                <fieldset disabled=!admin>
                    <legend>"Duration bands"</legend>
                    <div class="inline-form">
                        {band("hourly", "First 24 hours", form.hourly)}
                        {band("daily", "To 7 days", form.daily)}
                        {band("weekly", "To 30 days", form.weekly)}
                        {band("monthly", "Beyond 30 days", form.monthly)}
                    </div>
                    <FieldError field="bands.hourly" error />
                    <FieldError field="bands.daily" error />
                    <FieldError field="bands.weekly" error />
                    <FieldError field="bands.monthly" error />
                    <p class="muted" data-testid="pricing-month">
                        {format!("At these rates a 30-day rental costs {}% of thirty 1-day rentals.", (share * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1).normalize())}
                    </p>
                </fieldset>
                <fieldset disabled=!admin>
                    <legend>"Tiers and volume discounts"</legend>
                    <div class="grid">
                        <div class="field">
                            <label for="pricing-tiers">"Tiers: a name and its discount per line (standard is required)"</label>
                            <textarea id="pricing-tiers" name="tiers" rows="5">{form.tiers}</textarea>
                            <FieldError field="tiers" error />
                        </div>
                        <div class="field">
                            <label for="pricing-volume">"Volume: 30-day spend and its discount per line"</label>
                            <textarea id="pricing-volume" name="volume" rows="5" placeholder="100.00 0.05">{form.volume}</textarea>
                            <FieldError field="volume" error />
                        </div>
                    </div>
                </fieldset>
                {admin.then(|| view! { <button type="submit" class="btn btn-primary">"Save the new prices"</button> })}
            </ActionForm>
        </section>
    }
}
