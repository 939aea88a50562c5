//! One rental: its number, its messages (as text, live), extension with the price shown first,
//! auto-renew, and release with the refund shown first. The forms post without JavaScript;
//! the facts and the messages follow live events.

use crate::api::dto::RentalView;
use crate::api::rentals::{
    get_rental, list_rental_messages, ExtendRental, MarkRentalRead, ReleaseRental,
    SetRentalAutoRenew,
};
use crate::ui::components::{action_error, query::path_id, CopyButton, ErrorNotice, FormNonce};
use crate::ui::islands::{MessageList, RentalActions, RentalFacts};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn RentalPage() -> impl IntoView {
    let id = path_id("id").get_untracked();
    let extend = ServerAction::<ExtendRental>::new();
    let auto = ServerAction::<SetRentalAutoRenew>::new();
    let release = ServerAction::<ReleaseRental>::new();
    let mark_read = ServerAction::<MarkRentalRead>::new();
    let rental = Resource::new(move || id, get_rental);
    let messages = Resource::new(move || id, list_rental_messages);

    view! {
        <p class="crumbs"><A href="/rentals">"← Active rentals"</A> " · " <A href="/rentals/history">"History"</A></p>
        {action_error(extend)}
        {action_error(auto)}
        {action_error(release)}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match rental.await {
                    Ok(r) => view! { <RentalDetail rental=r /> }.into_any(),
                    Err(error) => view! { <Title text="Rental" /> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>"Messages"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let unread = rental.await.is_ok_and(|r| r.unread_count > 0);
                    match messages.await {
                        Ok(list) => view! {
                            {unread.then(|| view! { <MarkReadForm id mark_read /> })}
                            <MessageList rental_id=id messages=list.messages unread />
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Marks the messages as seen, for a browser without JavaScript (the message list marks them
/// itself where it runs).
#[component]
fn MarkReadForm(id: i64, mark_read: ServerAction<MarkRentalRead>) -> impl IntoView {
    view! {
        <ActionForm action=mark_read attr:class="inline-form no-js">
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="btn btn-small">"Mark as read"</button>
        </ActionForm>
    }
}

#[component]
fn RentalDetail(rental: RentalView) -> impl IntoView {
    let nonce = use_context::<FormNonce>().map(|n| n.0);
    view! {
        <Title text=format!("Rental {}", rental.phone_number) />
        <section class="card">
            <div class="rental-number">
                <h1 class="phone big" data-testid="phone">{rental.phone_number.clone()}</h1>
                <CopyButton text=rental.phone_number.clone() label="Copy number" />
            </div>
            // Live: the status, the end and what was paid change with extensions, renewals and
            // releases made elsewhere.
            <RentalFacts rental=rental.clone() />
            // What can be done with it hydrates when the customer comes to it, or when the live
            // data changes (`load_islands.js`); until then its forms post as they are.
            <div class="deferred" data-hydrate="interaction live">
                <RentalActions rental=rental.clone() form_nonce=nonce />
            </div>
        </section>
    }
}
