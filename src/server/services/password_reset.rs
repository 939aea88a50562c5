//! Password reset by email: a one-time link (`email_links`). Asking answers the same whether or
//! not the address has an account, and the mail goes out off the request, so neither the answer
//! nor its timing tells who is a customer.
//! Using the link sets the new password and ends every session of the account.

use super::accounts;
use super::audit::{self, action, Actor};
use super::{email_links, notifications, secrets};
use crate::domain::Email;
use crate::server::http::client::RequestMeta;
use crate::server::mail::{self, Mail};
use crate::server::state::AppState;
use crate::server::storage::{email_tokens, sessions, users};
use crate::server::ServerError;

/// What every request for a reset is told.
pub const REQUESTED: &str =
    "If this address has an account, a link to choose a new password is on its way. It works once, for 30 minutes.";

pub async fn request(state: &AppState, email: &str, meta: &RequestMeta) -> Result<(), ServerError> {
    let email = Email::parse(email).map_err(|e| ServerError::validation("email", e))?;
    // Everything else happens after the answer, the same for every address.
    let (owned, meta) = (state.clone(), meta.clone());
    state.after_answer("send a password reset link", async move {
        send_link(&owned, &email, &meta).await
    });
    Ok(())
}

async fn send_link(state: &AppState, email: &Email, meta: &RequestMeta) -> Result<(), ServerError> {
    let Some(user) = users::find_by_email(&state.db.pool, email.as_ref()).await? else {
        tracing::info!("password reset asked for an address with no account");
        return Ok(());
    };
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let Some(token) = email_links::issue(&mut tx, user.user_id, &email_links::RESET, now).await?
    else {
        return Ok(());
    };
    let actor = Actor::anonymous(meta);
    let entry = audit::Entry::plain(
        &actor,
        action::PASSWORD_RESET_ASKED,
        format!("user:{}", user.user_id),
        Some(user.user_id),
        now,
    );
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    let origin = state.settings.link_origin();
    mail::send_later(
        &state.mailer,
        Mail {
            to: user.email,
            subject: "Choose a new Namaskah password".into(),
            text: format!(
                "Someone (we hope you) asked to choose a new password for this Namaskah account.\n\n\
                 Choose it here within 30 minutes (the link works once):\n\n\
                 {origin}/reset-password?token={token}\n\n\
                 If it was not you, ignore this mail: your password stays as it is.\n"
            ),
        },
    );
    Ok(())
}

/// Sets the new password with the link's token: 422 at `token` when the link is unknown,
/// expired or used, at `new_password` when it is too weak. Every session of the account ends.
pub async fn confirm(
    state: &AppState,
    token: &str,
    new_password: &str,
    meta: &RequestMeta,
) -> Result<(), ServerError> {
    let dead = || {
        ServerError::validation(
            "token",
            "is not a live link: it has expired or was used; ask for a new one",
        )
    };
    let now = state.clock.now_ms();
    let digest = secrets::digest(token.trim());
    // The password is checked before the link is spent, so a weak one can be retried.
    let owner = email_tokens::live_owner(&state.db.pool, &digest, email_links::RESET.purpose, now)
        .await?
        .ok_or_else(dead)?;
    let hash = accounts::new_password_hash(state, owner, new_password, "new_password").await?;
    let mut tx = state.db.begin_write().await?;
    let user_id = email_tokens::take(&mut *tx, &digest, email_links::RESET.purpose, now)
        .await?
        .ok_or_else(dead)?;
    users::set_password_hash(&mut *tx, user_id, &hash, now).await?;
    // The link came by mail: the address is the customer's.
    users::set_email_verified(&mut *tx, user_id, now).await?;
    accounts::password_changed(&mut tx, user_id, now).await?;
    let ended = sessions::delete_others(&mut *tx, user_id, None).await?;
    let actor = Actor::anonymous(meta);
    let mut entry = audit::Entry::plain(
        &actor,
        action::PASSWORD_RESET,
        format!("user:{user_id}"),
        Some(user_id),
        now,
    );
    entry.after = Some(serde_json::json!({ "sessions_ended": ended }));
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    tracing::info!(user_id, ended, "password reset by email");
    notifications::security(
        state,
        user_id,
        "Your password was reset by email, and every session was signed out.",
    )
    .await;
    Ok(())
}
