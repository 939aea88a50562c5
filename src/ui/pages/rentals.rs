//! Rentals: renting numbers (one or several, or from a saved preset), and the dashboard of
//! active numbers with live countdowns, last codes and unread counts, selectable for bulk
//! extension and release. Every form posts without JavaScript; the islands add the prices as
//! you choose and the bulk selection, and the list follows live events.

use crate::api::catalog::{list_countries, list_services, my_choices};
use crate::api::dto::{Choices, PresetList, ServiceList};
use crate::api::presets::{list_presets, DeletePreset, SavePreset, StartPreset};
use crate::api::rentals::{list_active_rentals, BulkRentals, CreateRentals, ReleaseRental};
use crate::api::AppError;
use crate::app::SessionResource;
use crate::domain::Money;
use crate::ui::components::{
    action_error, form_key, Choice, CountryPicker, ErrorNotice, FormNonce, IdempotencyKey,
    PickKind, Picker,
};
use crate::ui::islands::{BulkBar, RentChoices, RentalBoard, SavedPresets};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RentalsPage() -> impl IntoView {
    // A form that failed comes back here with its error; the rest say what they did in the notice.
    let create = ServerAction::<CreateRentals>::new();
    let save = ServerAction::<SavePreset>::new();
    let start = ServerAction::<StartPreset>::new();
    let delete = ServerAction::<DeletePreset>::new();
    let release = ServerAction::<ReleaseRental>::new();
    let bulk = ServerAction::<BulkRentals>::new();
    let session = expect_context::<SessionResource>();
    let rentals = Resource::new(|| (), |_| list_active_rentals());
    let presets = Resource::new(|| (), |_| list_presets());
    let query = use_query_map();
    let country = move || {
        query
            .read()
            .get("country")
            .unwrap_or_else(|| "GB".to_owned())
            .to_uppercase()
    };
    let catalog = Resource::new(country, list_services);
    let countries = Resource::new(|| (), |_| list_countries());
    let memory = Resource::new(|| (), |_| my_choices());

    view! {
        <Title text="Rentals" />
        <div class="page-head">
            <h1>"Rentals"</h1>
            <A href="/rentals/history">"History and search"</A>
        </div>
        // Its islands hydrate when the customer comes to the form (`load_islands.js`).
        <section class="card" data-hydrate="interaction">
            <h2>"Rent a number"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let balance = session.await.ok().and_then(|s| s.user).map(|u| u.balance);
                    let memory = memory.await.unwrap_or_default();
                    let picker = match countries.await {
                        Ok(list) => view! { <CountryPicker countries=list.countries selected=country() action="/rentals" memory=memory.clone() /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    let form = match catalog.await {
                        Ok(list) => view! { <CreateForm list balance create memory /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    view! {
                        {picker}
                        {form}
                    }
                })}
            </Transition>
            {action_error(create)}
            {action_error(save)}
        </section>
        <Presets presets start delete />
        <section class="active-rentals">
            <h2>"Active numbers"</h2>
            {action_error(release)}
            {action_error(bulk)}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = rentals.await;
                    // Hydrated when the customer comes to the cards' checkboxes or the bar
                    // (`load_islands.js`).
                    let bar = list.is_ok().then(|| view! {
                        <div class="deferred" data-hydrate="interaction" data-hydrate-for="input.select, .bulk-bar">
                            <BulkBar idempotency_key=form_key("bulk") />
                        </div>
                    });
                    view! {
                        {bar}
                        {match list {
                            Ok(list) => view! { <RentalBoard rentals=list.rentals /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }}
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CreateForm(
    list: ServiceList,
    balance: Option<Money>,
    create: ServerAction<CreateRentals>,
    memory: Choices,
) -> impl IntoView {
    if list.rentals.is_empty() || list.services.is_empty() {
        return view! { <p class="muted">"No numbers can be rented in this country right now."</p> }.into_any();
    }
    let country = list.country.clone();
    view! {
        <ActionForm action=create attr:class="create-form">
            <input type="hidden" name="rental[country]" value=country />
            <IdempotencyKey scope="rent" />
            <Picker
                id="service"
                name="rental[service]"
                label="For"
                kind=PickKind::Service
                choices=list.services.iter().map(|s| Choice::service_name(&s.service)).collect()
                memory
            />
            <RentChoices offers=list.rentals balance />
            // The same choices, saved under a name instead of rented.
            <details class="preset-save">
                <summary>"Save these choices as a preset"</summary>
                <div class="inline-form">
                    <div class="field grow">
                        <label for="preset-name">"Preset name"</label>
                        <input id="preset-name" name="name" type="text" maxlength="60" />
                    </div>
                    <button type="submit" class="btn" formaction=SavePreset::url()>"Save preset"</button>
                </div>
            </details>
        </ActionForm>
    }
    .into_any()
}

/// The saved presets (none: nothing shown until one is saved).
#[component]
fn Presets(
    presets: Resource<Result<PresetList, AppError>>,
    start: ServerAction<StartPreset>,
    delete: ServerAction<DeletePreset>,
) -> impl IntoView {
    view! {
        {action_error(start)}
        {action_error(delete)}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = presets.await.map(|l| l.presets).unwrap_or_default();
                let nonce = use_context::<FormNonce>().map(|n| n.0);
                view! { <SavedPresets presets=list form_nonce=nonce /> }
            })}
        </Transition>
    }
}
