//! The open verifications as a live view: each card's status and code follow the events, new
//! numbers bought here or elsewhere join, ended ones stay with how they ended until the page
//! is loaded again. The cards' forms are plain forms to the server functions, sent by the
//! client itself (`actions`).

use super::lifetime::ends_with_its_element;
use crate::api::dto::VerificationView;
use crate::api::verifications::{CancelVerification, FinishVerification, ReuseVerification};
use crate::domain::names::service_in;
use crate::domain::verification::VerificationStatus;
use crate::ui::components::{format_time, CopyButton, Countdown};
use crate::ui::live::{follow, follow_drawn, store};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use std::collections::HashMap;

/// `form_nonce`: this rendering's `FormNonce`, for the paid forms' idempotency keys.
#[island(lazy)]
pub fn VerificationBoard(
    verifications: Vec<VerificationView>,
    form_nonce: Option<String>,
) -> impl IntoView {
    ends_with_its_element();
    let store = StoredValue::new(store());
    let ids = store.with_value(|s| follow(s.open_verifications(verifications)));
    let nonce = StoredValue::new(form_nonce);
    view! {
        <Show
            when=move || !ids.read().is_empty()
            fallback=|| view! { <p class="muted empty" data-testid="no-open">"No number is waiting for a code."</p> }
        >
            <div class="rental-grid" data-testid="verifications">
                <For each=move || ids.get() key=|id| *id let:id>
                    {store.with_value(|s| s.verification_by_id(id)).map(|v| view! {
                        <VerificationCard verification=follow(v) nonce=nonce.get_value() />
                    })}
                </For>
            </div>
        </Show>
    }
}

/// What a status is called on the page.
pub fn status_label(s: VerificationStatus) -> &'static str {
    match s {
        VerificationStatus::Waiting => "waiting for SMS",
        VerificationStatus::Received => "code received",
        VerificationStatus::Finished => "finished",
        VerificationStatus::Cancelled => "cancelled",
        VerificationStatus::TimedOut => "timed out",
    }
}

/// A form with the verification's id and one button.
fn id_form(url: &'static str, id: i64, class: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <form method="post" action=url>
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class=class>{label}</button>
        </form>
    }
}

#[component]
fn VerificationCard(
    verification: RwSignal<VerificationView>,
    nonce: Option<String>,
) -> impl IntoView {
    let (id, phone) = verification.with_untracked(|v| (v.id, v.phone_number.clone()));
    let reuse_key = nonce.map(|n| format!("{n}:reuse-{id}"));
    let status = move || verification.read().status;
    view! {
        <article class="card verification" data-testid=format!("verification-{id}")>
            <div class="rental-number">
                <span class="phone big" data-testid="phone">{phone.clone()}</span>
                <CopyButton text=phone label="Copy number" />
            </div>
            <p class="muted">
                {move || verification.with(|v| format!("{} · ", service_in(&v.service_name, &v.country_code)))}
                <span data-testid="status">{move || status_label(status())}</span>
            </p>
            {move || {
                let v = verification.read();
                match v.code.clone() {
                    Some(code) => Either::Left(view! {
                        <div class="code-box">
                            <span class="code big" data-testid="code">{code.clone()}</span>
                            <CopyButton text=code label="Copy code" />
                        </div>
                    }),
                    None => Either::Right(view! {
                        <p class="waiting" aria-live="polite">
                            "Waiting for the SMS · ends " <Countdown seconds=v.seconds_remaining until=v.expires_at />
                        </p>
                    }),
                }
            }}
            <p class="muted">
                {move || verification.with(|v| format!(
                    "Paid {}{} · {} message{}",
                    v.cost.display(),
                    if v.refunded { ", refunded" } else { "" },
                    v.message_count,
                    if v.message_count == 1 { "" } else { "s" },
                ))}
            </p>
            <div class="actions">
                {move || {
                    let v = verification.read();
                    let received = v.status == VerificationStatus::Received;
                    let key = reuse_key.clone();
                    view! {
                        {(v.status == VerificationStatus::Waiting && v.message_count == 0)
                            .then(|| id_form(CancelVerification::url(), id, "btn btn-small", "Cancel and refund"))}
                        {received.then(|| id_form(FinishVerification::url(), id, "btn btn-small btn-primary", "Finish"))}
                        {received.then(|| view! {
                            <form method="post" action=ReuseVerification::url()>
                                <input type="hidden" name="id" value=id.to_string() />
                                {key.map(|key| view! { <input type="hidden" name="idempotency_key" value=key /> })}
                                <button type="submit" class="btn btn-small">"Verify again"</button>
                            </form>
                        })}
                    }
                }}
            </div>
        </article>
    }
}

/// A page of the verification history, whose rows follow their verifications (a code, a
/// time-out and its refund show without a reload). `takes_new`: the page is the newest
/// one, unfiltered, so numbers bought meanwhile (here or anywhere) join at the top.
///
/// It hydrates when the customer comes to the history (`data-hydrate="interaction"`), maybe
/// long after the page was drawn: what the store learnt from events meanwhile is newer than
/// the rows the server drew, so the rows hydrate over what was drawn and show the store's a
/// tick later.
#[island(lazy)]
pub fn VerificationTable(verifications: Vec<VerificationView>, takes_new: bool) -> impl IntoView {
    ends_with_its_element();
    let store = StoredValue::new(store());
    let rows = RwSignal::new(verifications.iter().map(|v| v.id).collect::<Vec<_>>());
    // The rows as the server drew them, to hydrate over; the store's (maybe newer) a tick later.
    let drawn: StoredValue<HashMap<i64, VerificationView>> =
        StoredValue::new(verifications.into_iter().map(|v| (v.id, v)).collect());
    if takes_new {
        let open = store.with_value(|s| follow(s.open_ids()));
        Effect::new(move |_| {
            let open = open.get();
            let newest = rows.with_untracked(|r| r.iter().copied().max().unwrap_or(0));
            let mut new: Vec<i64> = open.into_iter().filter(|id| *id > newest).collect();
            if !new.is_empty() {
                new.sort_unstable_by(|a, b| b.cmp(a));
                rows.update(|r| drop(r.splice(0..0, new)));
            }
        });
    }
    view! {
        <Show
            when=move || !rows.read().is_empty()
            fallback=|| view! { <p class="muted empty" data-testid="verification-history-empty">"Nothing yet."</p> }
        >
            <div class="table-wrap">
                <table class="table" data-testid="verification-history">
                    <thead>
                        <tr>
                            <th scope="col">"Number"</th>
                            <th scope="col">"Service"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Code"</th>
                            <th scope="col">"Bought"</th>
                            <th scope="col" class="num">"Paid"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|id| *id let:id>
                            {match drawn.with_value(|d| d.get(&id).cloned()) {
                                Some(v) => Some(follow_drawn(v.clone(), store.with_value(|s| s.verification(v)))),
                                // Bought since the page was drawn: the store has it.
                                None => store.with_value(|s| s.verification_by_id(id)).map(follow),
                            }
                            .map(|v| view! { <HistoryRow v /> })}
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

#[component]
fn HistoryRow(v: RwSignal<VerificationView>) -> impl IntoView {
    let fixed = v.with_untracked(|v| {
        (
            v.phone_number.clone(),
            service_in(&v.service_name, &v.country_code),
            format_time(&v.created_at),
        )
    });
    view! {
        <tr data-testid="verification-row">
            <td><span class="phone small">{fixed.0}</span></td>
            <td>{fixed.1}</td>
            <td>
                {move || {
                    let status = v.read().status;
                    view! { <span class=format!("status status-{}", status.as_str())>{status_label(status)}</span> }
                }}
            </td>
            <td>{move || v.read().code.clone().map(|c| view! { <span class="code">{c}</span> })}</td>
            <td>{fixed.2}</td>
            <td class="num money">
                {move || {
                    let v = v.read();
                    if v.refunded { format!("{} refunded", v.cost.display()) } else { v.cost.display() }
                }}
            </td>
        </tr>
    }
}
