//! The account page's sessions (where the account is signed in; end one or every other) and
//! its password change. Plain forms: they work without JavaScript.

use crate::api::dto::ActiveSessionView;
use crate::api::sessions::{list_sessions, ChangePassword, EndOtherSessions, EndSession};
use crate::domain::account::PASSWORD_MIN_CHARS;
use crate::ui::components::{error_of, format_time, ErrorNotice, FieldError, FormError};
use leptos::prelude::*;

#[component]
pub fn SessionsSection() -> impl IntoView {
    let sessions = Resource::new(|| (), |_| list_sessions());
    view! {
        <section class="card">
            <h2 id="sessions">"Sessions"</h2>
            <p class="muted">"Where this account is signed in. End any you do not recognise, then change the password."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! { <SessionTable sessions=list.sessions /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SessionTable(sessions: Vec<ActiveSessionView>) -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let others = sessions.iter().filter(|s| !s.current).count();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="sessions">
                <thead>
                    <tr>
                        <th scope="col">"Device"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {sessions
                        .into_iter()
                        .map(|s| {
                            let current = s.current;
                            view! {
                                <tr data-current=current.to_string()>
                                    <td title=s.user_agent>
                                        {s.device}
                                        {current.then(|| view! { <span class="badge">"this browser"</span> })}
                                    </td>
                                    <td class="tabular">{s.ip}</td>
                                    <td class="tabular">{format_time(&s.created_at)}</td>
                                    <td class="tabular">{format_time(&s.last_seen_at)}</td>
                                    <td>
                                        <ActionForm action=end>
                                            <input type="hidden" name="id" value=s.id />
                                            <button type="submit" class="btn btn-small">
                                                {if current { "Sign out" } else { "End" }}
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {(others > 0)
            .then(|| {
                view! {
                    <ActionForm action=end_others>
                        <button type="submit" class="btn">"End every other session"</button>
                    </ActionForm>
                }
            })}
    }
}

#[component]
pub fn PasswordSection() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = error_of(change);
    view! {
        <section class="card">
            <h2 id="password">"Password"</h2>
            <p class="muted">"Changing it signs out every other session."</p>
            <ActionForm action=change attr:class="inline-form">
                <FormError error />
                <div class="field">
                    <label for="current-password">"Current password"</label>
                    <input id="current-password" name="current_password" type="password" autocomplete="current-password" required />
                    <FieldError field="current_password" error />
                </div>
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <input
                        id="new-password"
                        name="new_password"
                        type="password"
                        autocomplete="new-password"
                        minlength=PASSWORD_MIN_CHARS.to_string()
                        required
                    />
                    <FieldError field="new_password" error />
                </div>
                <button type="submit" class="btn btn-primary">"Change password"</button>
            </ActionForm>
        </section>
    }
}
