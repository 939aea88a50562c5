use crate::api::{AppError, ErrorCode};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

/// A server error as the user should read it; "not signed in" becomes a way to sign in.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    if error.code == ErrorCode::Unauthorized {
        return view! { <SignInPrompt /> }.into_any();
    }
    view! {
        <div class="notice notice-error" role="alert">
            <strong>"Could not do that. "</strong>
            {error.message}
        </div>
    }
    .into_any()
}

#[component]
pub fn SignInPrompt() -> impl IntoView {
    view! {
        <div class="card prompt">
            <h2>"Sign in to continue"</h2>
            <p>"This page shows your own account. Sign in, or create an account in a minute."</p>
            <div class="actions">
                <A href="/login" attr:class="btn btn-primary">"Sign in"</A>
                <A href="/register" attr:class="btn">"Create account"</A>
            </div>
        </div>
    }
}

/// The message for `field` if the last attempt failed on it.
#[component]
pub fn FieldError(
    #[prop(into)] field: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field.as_deref() == Some(field))
            .map(|e| {
                view! {
                    <p class="field-error" id=format!("{field}-error") role="alert">
                        {e.message}
                    </p>
                }
            })
    }
}

/// The error the last call of `action` came back with, as a signal for `FieldError` and
/// `FormError`.
pub fn error_of<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The error a form posted to `action` came back with, if it failed (shown where the form is;
/// what succeeded is told by the notice).
pub fn action_error<S>(action: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    action
        .value()
        .get_untracked()
        .and_then(Result::err)
        .map(|error| view! { <ErrorNotice error /> })
}

/// An error that is not about one field (wrong password, duplicate account…); the ones about
/// a field are shown at it (`FieldError`).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().filter(|e| e.field.is_none()).map(|e| {
            view! { <div class="notice notice-error" role="alert">{e.message}</div> }
        })
    }
}
