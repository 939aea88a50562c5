//! Confirming a customer's address: a one-time link (`email_links`) mailed at sign-up and
//! again on request. Notifications go by email only to a confirmed address, so an account made
//! with someone else's address cannot be used to mail them. Using a password reset link
//! confirms the address too (it proves the same thing), which also lets the owner of an
//! address take back an account someone else made with it.
//!
//! A sign-up for an address that already has an account changes nothing and tells its owner by
//! mail instead (the answer to the sign-up is the same either way; see `accounts::register`).

use super::audit::{self, action, Actor};
use super::email_links;
use crate::domain::Email;
use crate::server::http::client::RequestMeta;
use crate::server::mail::{self, Mail};
use crate::server::state::AppState;
use crate::server::storage::{email_tokens, users};
use crate::server::ServerError;

/// What a customer who asks for the link again is told.
pub const SENT: &str =
    "A link to confirm your address is on its way. It works once, for 30 minutes.";
/// What a customer whose address is confirmed already is told.
pub const ALREADY: &str = "Your address is confirmed already.";
/// What the link's page says once it has worked.
pub const CONFIRMED: &str = "Your address is confirmed.";

/// Mails `user_id` a new link to confirm `email` (the mail goes off the request), unless the
/// account had its share of them today.
pub async fn send_link(state: &AppState, user_id: i64, email: &str) -> Result<(), ServerError> {
    let token = email_links::issue_alone(state, user_id, &email_links::VERIFY).await?;
    let Some(token) = token else { return Ok(()) };
    let origin = state.settings.link_origin();
    mail::send_later(
        &state.mailer,
        Mail {
            to: email.to_owned(),
            subject: "Confirm your Namaskah address".into(),
            text: format!(
                "Confirm that this address is yours for your Namaskah account here within 30 \
                 minutes (the link works once):\n\n\
                 {origin}/verify-email?token={token}\n\n\
                 If you did not make a Namaskah account, someone else gave your address: ignore \
                 this mail, or take the account over by choosing a new password at \
                 {origin}/forgot-password.\n"
            ),
        },
    );
    Ok(())
}

/// A signed-in customer asks for the link again: [`SENT`], or [`ALREADY`] when there is nothing
/// to confirm.
pub async fn request_again(state: &AppState, user_id: i64) -> Result<&'static str, ServerError> {
    let user = users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    if user.email_verified_at.is_some() {
        return Ok(ALREADY);
    }
    send_link(state, user_id, &user.email).await?;
    Ok(SENT)
}

/// Confirms the address the link was sent for: 422 at `token` when the link is unknown,
/// expired or used. Every other link mailed for it is spent too.
pub async fn confirm(state: &AppState, token: &str, meta: &RequestMeta) -> Result<(), ServerError> {
    let now = state.clock.now_ms();
    let digest = super::secrets::digest(token.trim());
    let purpose = email_links::VERIFY.purpose;
    let mut tx = state.db.begin_write().await?;
    let user_id = email_tokens::take(&mut *tx, &digest, purpose, now)
        .await?
        .ok_or_else(|| {
            ServerError::validation(
                "token",
                "is not a live link: it has expired or was used; sign in and ask for a new one",
            )
        })?;
    email_tokens::spend_all(&mut *tx, user_id, purpose, now).await?;
    users::set_email_verified(&mut *tx, user_id, now).await?;
    let actor = Actor::anonymous(meta);
    let entry = audit::Entry::plain(
        &actor,
        action::EMAIL_VERIFIED,
        format!("user:{user_id}"),
        Some(user_id),
        now,
    );
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    tracing::info!(user_id, "address confirmed");
    Ok(())
}

/// Tells the owner of `email` (account `user_id`) that someone tried to sign up with it;
/// nothing was changed. Once a day at most.
pub async fn tell_owner_of_sign_up(state: &AppState, email: &Email) -> Result<(), ServerError> {
    let Some(user) = users::find_by_email(&state.db.pool, email.as_ref()).await? else {
        return Ok(());
    };
    let noted = email_links::issue_alone(state, user.user_id, &email_links::TAKEN).await?;
    if noted.is_none() {
        return Ok(());
    }
    let origin = state.settings.link_origin();
    mail::send_later(
        &state.mailer,
        Mail {
            to: user.email,
            subject: "Someone tried to create a Namaskah account with your address".into(),
            text: format!(
                "Someone (perhaps you) tried to create a Namaskah account with this address, \
                 which has one already. Nothing about your account was changed.\n\n\
                 If it was you: sign in at {origin}/login, or choose a new password at \
                 {origin}/forgot-password.\n\n\
                 If it was not you, you need do nothing. You are told this at most once a day.\n"
            ),
        },
    );
    Ok(())
}
