//! Sign-in and account creation. Both work without JavaScript: the forms post to the server
//! functions, which set the session cookie and redirect (or come back with the error).

use crate::api::accounts::{
    RequestPasswordReset, ResetPassword, SignIn, SignInCode, SignUp, VerifyEmail,
};
use crate::domain::account::PASSWORD_MIN_CHARS;
use crate::ui::components::{error_of, FieldError, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = error_of(action);
    view! {
        <Title text="Sign in" />
        <section class="card auth-card">
            <h1>"Sign in"</h1>
            <ActionForm action>
                <FormError error />
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required />
                    <FieldError field="email" error />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required />
                    <FieldError field="password" error />
                </div>
                <button type="submit" class="btn btn-primary btn-block">"Sign in"</button>
            </ActionForm>
            <p class="muted"><A href="/forgot-password">"Forgot your password?"</A></p>
            <p class="muted">"New here? " <A href="/register">"Create an account"</A></p>
        </section>
    }
}

/// Asks for a link to choose a new password.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = error_of(action);
    view! {
        <Title text="Forgot your password" />
        <section class="card auth-card">
            <h1>"Choose a new password"</h1>
            <p class="muted">"We will mail a link to the address: it works once, for 30 minutes."</p>
            <ActionForm action>
                <FormError error />
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required />
                    <FieldError field="email" error />
                </div>
                <button type="submit" class="btn btn-primary btn-block">"Send the link"</button>
            </ActionForm>
            <p class="muted"><A href="/login">"Back to sign in"</A></p>
        </section>
    }
}

/// The mailed link's page: the new password, with the link's token.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = error_of(action);
    let token = link_token();
    view! {
        <Title text="Choose a new password" />
        <section class="card auth-card">
            <h1>"Choose a new password"</h1>
            <ActionForm action>
                <FormError error />
                <input type="hidden" name="token" value=token />
                <FieldError field="token" error />
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
                <button type="submit" class="btn btn-primary btn-block">"Set the password"</button>
            </ActionForm>
            <p class="muted">"Every session of the account is signed out."</p>
        </section>
    }
}

/// The page of the link mailed to confirm an address. Opening it changes nothing (mail
/// scanners open links too); the button confirms.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let error = error_of(action);
    let token = link_token();
    view! {
        <Title text="Confirm your address" />
        <section class="card auth-card">
            <h1>"Confirm your address"</h1>
            <p class="muted">"This tells us the address is yours, so notifications can be mailed to it."</p>
            <ActionForm action>
                <FormError error />
                <input type="hidden" name="token" value=token />
                <FieldError field="token" error />
                <button type="submit" class="btn btn-primary btn-block">"Confirm my address"</button>
            </ActionForm>
        </section>
    }
}

/// The second step of a sign-in for an account with two-factor sign-in.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let error = error_of(action);
    view! {
        <Title text="Two-factor sign-in" />
        <section class="card auth-card">
            <h1>"Enter your code"</h1>
            <p class="muted">
                "Open your authenticator app and enter the six-digit code it shows for Namaskah. Lost the app? Enter one of your recovery codes instead."
            </p>
            <ActionForm action>
                <FormError error />
                <div class="field">
                    <label for="code">"Code"</label>
                    <input
                        id="code"
                        name="code"
                        type="text"
                        inputmode="text"
                        autocomplete="one-time-code"
                        autocapitalize="off"
                        spellcheck="false"
                        maxlength="16"
                        aria-describedby="code-hint"
                        required
                    />
                    <p class="hint" id="code-hint">"123456, or a recovery code like k3m9x-q7t2p."</p>
                    <FieldError field="code" error />
                </div>
                <button type="submit" class="btn btn-primary btn-block">"Sign in"</button>
            </ActionForm>
            <p class="muted"><A href="/login">"Start again"</A></p>
        </section>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = error_of(action);
    view! {
        <Title text="Create account" />
        <section class="card auth-card">
            <h1>"Create your account"</h1>
            <p class="muted">"Numbers for verification codes and rentals, paid from a prepaid balance."</p>
            <ActionForm action>
                <FormError error />
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required />
                    <FieldError field="email" error />
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        minlength=PASSWORD_MIN_CHARS.to_string()
                        aria-describedby="password-hint"
                        required
                    />
                    <p class="hint" id="password-hint">{format!("At least {PASSWORD_MIN_CHARS} characters.")}</p>
                    <FieldError field="password" error />
                </div>
                <button type="submit" class="btn btn-primary btn-block">"Create account"</button>
            </ActionForm>
            <p class="muted">"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}

/// The token of a mailed link, from the page's `?token=`.
fn link_token() -> impl Fn() -> String + Copy {
    let query = leptos_router::hooks::use_query_map();
    move || query.read().get("token").unwrap_or_default()
}
