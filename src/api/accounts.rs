//! Sign-up, sign-in, sign-out and "who am I", as server functions for the UI.
//! The REST routes in `server::http::auth` call the same services.

use super::dto::{MeView, SessionView, SignInView};
use super::AppError;
use leptos::prelude::*;

/// Creates an account and signs it in. Sign-up itself answers the same for an address that
/// already has an account; signing in with the new password then fails for it, and says so.
#[server(prefix = "/api/fn", endpoint = "sign_up")]
pub async fn sign_up(email: String, password: String) -> Result<SignInView, AppError> {
    use crate::server::{fn_context as cx, services::accounts, ServerError};
    cx::run(async {
        let state = cx::state()?;
        let meta = cx::request_meta();
        accounts::register(&state, &email, &password, &meta).await?;
        let outcome = accounts::login(&state, &email, &password, &meta)
            .await
            .map_err(|e| match e {
                ServerError::Unauthorized(_) => AppError::validation(
                    "email",
                    "this address already has an account: sign in with its password",
                ),
                other => other.into(),
            })?;
        Ok(cx::signed_in(&state, outcome))
    })
    .await
}

/// The password step of a sign-in: signed in, or (two-factor accounts) on to the code at
/// `/login/code`, the challenge kept in a short-lived cookie.
#[server(prefix = "/api/fn", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<SignInView, AppError> {
    use crate::server::{fn_context as cx, services::accounts};
    cx::run(async {
        let state = cx::state()?;
        let outcome = accounts::login(&state, &email, &password, &cx::request_meta()).await?;
        Ok(cx::signed_in(&state, outcome))
    })
    .await
}

/// The code step of a sign-in: a code from the authenticator app, or a recovery code.
#[server(prefix = "/api/fn", endpoint = "sign_in_code")]
pub async fn sign_in_code(code: String) -> Result<MeView, AppError> {
    use crate::server::{fn_context as cx, services::accounts};
    cx::run(async {
        let state = cx::state()?;
        let challenge = cx::second_factor_challenge().ok_or_else(|| {
            AppError::new(
                super::ErrorCode::Unauthorized,
                "this sign-in has expired: sign in again",
            )
        })?;
        let (me, session) =
            accounts::login_second_factor(&state, &challenge, &code, &cx::request_meta()).await?;
        cx::end_second_factor(&state);
        cx::start_session(&state, &session);
        leptos_axum::redirect("/");
        Ok(me)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::accounts};
    cx::run(async {
        let state = cx::state()?;
        if let Some(session_id) = cx::principal().ok().and_then(|p| p.session_id) {
            accounts::logout(&state, &session_id).await?;
        }
        cx::end_session(&state);
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// What the last form posted without JavaScript did, one line each, shown once on the page it
/// returned to.
#[server(prefix = "/api/fn", endpoint = "take_notice")]
pub async fn take_notice() -> Result<Vec<String>, AppError> {
    use crate::server::fn_context as cx;
    cx::run(async { Ok(cx::take_notice(&cx::state()?)) }).await
}

/// Who is signed in (if anyone) and whether this instance runs in sandbox mode.
#[server(prefix = "/api/fn", endpoint = "session")]
pub async fn get_session() -> Result<SessionView, AppError> {
    use crate::server::{fn_context as cx, services::accounts, services::notifications};
    cx::run(async {
        let state = cx::state()?;
        let (user, unread_notifications) = match cx::principal() {
            Ok(p) => (
                Some(accounts::me(&state, p.user_id).await?),
                notifications::unread(&state, p.user_id).await?,
            ),
            Err(_) => (None, 0),
        };
        let sandbox = state.settings.sandbox();
        Ok(SessionView {
            user,
            sandbox,
            unread_notifications,
        })
    })
    .await
}

/// The caller's own security events (sign-ins, failed attempts, API keys, role changes),
/// newest first, 20 a page.
#[server(prefix = "/api/fn", endpoint = "list_security_events")]
pub async fn list_security_events(
    before: Option<i64>,
) -> Result<super::dto::SecurityEventList, AppError> {
    use crate::server::{fn_context as cx, services::audit};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(audit::security_events(&state, user.user_id, before, Some(20)).await?)
    })
    .await
}

/// Asks for a password reset link (the answer is the same whether or not the address has an
/// account); back to the sign-in page, which says so.
#[server(prefix = "/api/fn", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::password_reset};
    cx::run(async {
        let state = cx::state()?;
        password_reset::request(&state, &email, &cx::request_meta()).await?;
        cx::notice_if_plain_form_post(&state, &[password_reset::REQUESTED.to_owned()]);
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Sets a new password with the mailed link's token; then to the sign-in page.
#[server(prefix = "/api/fn", endpoint = "reset_password")]
pub async fn reset_password(token: String, new_password: String) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::password_reset};
    cx::run(async {
        let state = cx::state()?;
        password_reset::confirm(&state, &token, &new_password, &cx::request_meta()).await?;
        cx::notice_if_plain_form_post(
            &state,
            &["Your password is changed: sign in with it.".to_owned()],
        );
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Confirms the address with the mailed link's token; then to the account page (which asks a
/// visitor who is not signed in to sign in), saying so.
#[server(prefix = "/api/fn", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::email_verification};
    cx::run(async {
        let state = cx::state()?;
        email_verification::confirm(&state, &token, &cx::request_meta()).await?;
        cx::notice_if_plain_form_post(&state, &[email_verification::CONFIRMED.to_owned()]);
        leptos_axum::redirect("/account");
        Ok(())
    })
    .await
}

/// Mails the signed-in customer a new link to confirm their address; what happened, in words.
#[server(prefix = "/api/fn", endpoint = "send_email_verification")]
pub async fn send_email_verification() -> Result<String, AppError> {
    use crate::server::{fn_context as cx, services::email_verification};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let message = email_verification::request_again(&state, user.user_id).await?;
        cx::notice_if_plain_form_post(&state, &[message.to_owned()]);
        Ok(message.to_owned())
    })
    .await
}
