//! Two-factor sign-in on the account (`/account/mfa`): set it up with a QR code and a first
//! code, see the recovery codes once, make new ones, turn it off. Every form works without
//! JavaScript.

use crate::api::dto::{MfaSetupView, MfaStatusView};
use crate::api::mfa::{
    mfa_status, take_recovery_codes, BeginMfaSetup, ConfirmMfa, DisableMfa, NewRecoveryCodes,
};
use crate::ui::components::{
    error_of, format_time, CopyButton, ErrorNotice, FieldError, FormError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn MfaPage() -> impl IntoView {
    let status = Resource::new(|| (), |_| mfa_status());
    let codes = Resource::new(|| (), |_| take_recovery_codes());
    view! {
        <Title text="Two-factor sign-in" />
        <h1>"Two-factor sign-in"</h1>
        <p class="lead">
            "With it on, signing in takes your password and a code from an authenticator app (1Password, Google Authenticator, Aegis…). API keys are not affected."
        </p>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                codes
                    .await
                    .ok()
                    .filter(|c| !c.is_empty())
                    .map(|codes| view! { <RecoveryCodes codes /> })
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) => view! { <MfaState status /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <p><A href="/account">"Back to the account"</A></p>
    }
}

#[component]
fn MfaState(status: MfaStatusView) -> impl IntoView {
    let required = status.required.then(|| {
        view! {
            <div class="notice notice-error" role="status" data-testid="mfa-required">
                "Operators' accounts need two-factor sign-in: turn it on to use the console."
            </div>
        }
    });
    let body = if status.enabled {
        view! { <Enabled status /> }.into_any()
    } else if let Some(setup) = status.pending {
        view! { <Confirm setup /> }.into_any()
    } else {
        view! { <Start /> }.into_any()
    };
    view! { {required} {body} }
}

#[component]
fn Start() -> impl IntoView {
    let begin = ServerAction::<BeginMfaSetup>::new();
    view! {
        <section class="card" data-testid="mfa-off">
            <h2>"Off"</h2>
            <p>"Anyone with your password can sign in. Turn on two-factor sign-in to need a code from your phone as well."</p>
            <ActionForm action=begin>
                <button type="submit" class="btn btn-primary">"Set up two-factor sign-in"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Confirm(setup: MfaSetupView) -> impl IntoView {
    let confirm = ServerAction::<ConfirmMfa>::new();
    let error = error_of(confirm);
    view! {
        <section class="card" data-testid="mfa-setup">
            <h2>"1. Scan this code with your authenticator app"</h2>
            <figure class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=setup.qr_svg></figure>
            <p>"Or type this key into the app:"</p>
            <p class="secret">
                <code data-testid="mfa-secret">{setup.secret.clone()}</code>
                <CopyButton text=setup.secret label="Copy key" />
            </p>
            <h2>"2. Enter the code the app shows"</h2>
            <ActionForm action=confirm attr:class="inline-form">
                <div class="field">
                    <label for="mfa-code">"Code"</label>
                    <input id="mfa-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" maxlength="7" required />
                    <FieldError field="code" error />
                </div>
                <button type="submit" class="btn btn-primary">"Turn on"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}

#[component]
fn Enabled(status: MfaStatusView) -> impl IntoView {
    let disable = ServerAction::<DisableMfa>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let disable_error = error_of(disable);
    let renew_error = error_of(renew);
    let since = status
        .enabled_at
        .map(|t| format!("On since {}.", format_time(&t)))
        .unwrap_or_else(|| "On.".to_owned());
    view! {
        <section class="card" data-testid="mfa-on">
            <h2>"On"</h2>
            <p>{since} " " {format!("{} of 10 recovery codes left.", status.recovery_codes_left)}</p>
        </section>
        <section class="card">
            <h2>"New recovery codes"</h2>
            <p class="muted">"The old ones stop working."</p>
            <ActionForm action=renew attr:class="inline-form">
                <PasswordAndCode prefix="renew" error=renew_error />
                <button type="submit" class="btn">"Make new codes"</button>
            </ActionForm>
        </section>
        <section class="card">
            <h2>"Turn off"</h2>
            <ActionForm action=disable attr:class="inline-form">
                <PasswordAndCode prefix="off" error=disable_error />
                <button type="submit" class="btn btn-danger">"Turn off two-factor sign-in"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn PasswordAndCode(
    prefix: &'static str,
    error: Signal<Option<crate::api::AppError>>,
) -> impl IntoView {
    let password = format!("{prefix}-password");
    let code = format!("{prefix}-code");
    view! {
        <div class="field">
            <label for=password.clone()>"Password"</label>
            <input id=password name="password" type="password" autocomplete="current-password" required />
            <FieldError field="password" error />
        </div>
        <div class="field">
            <label for=code.clone()>"Code or recovery code"</label>
            <input id=code name="code" type="text" autocomplete="one-time-code" maxlength="16" required />
            <FieldError field="code" error />
        </div>
        <FormError error />
    }
}

/// Shown once, right after they are made.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let all = codes.join("\n");
    view! {
        <section class="card notice-ok" data-testid="recovery-codes" role="status">
            <h2>"Your recovery codes"</h2>
            <p>
                "Keep them somewhere safe: each signs you in once if you lose your phone. They are shown only now."
            </p>
            <ol class="recovery-codes tabular">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ol>
            <CopyButton text=all label="Copy codes" />
        </section>
    }
}
