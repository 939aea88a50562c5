//! One-time links sent by email (password resets, confirming an address): a random token in
//! the link, only its SHA-256 digest stored, valid for 30 minutes, used once. How many of each
//! kind an account is sent is capped, so nobody can fill someone's inbox through us from many
//! addresses (asking beyond the cap sends nothing, and is answered the same).

use super::secrets;
use crate::server::state::AppState;
use crate::server::storage::{email_tokens, users};
use crate::server::ServerError;
use sqlx::AnyConnection;

pub const LIFETIME_MS: i64 = 30 * 60_000;
const HOUR_MS: i64 = 60 * 60_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// A kind of mail with a link: its purpose (`email_token.purpose`) and its cap.
pub struct Kind {
    pub purpose: &'static str,
    /// At most this many …
    pub most: i64,
    /// … in this long.
    pub within_ms: i64,
}

/// Links to choose a new password: 5 an hour.
pub const RESET: Kind = Kind {
    purpose: "reset",
    most: 5,
    within_ms: HOUR_MS,
};
/// Links to confirm an address (the one at sign-up included): 3 a day, as whoever asks may
/// have signed up with someone else's address.
pub const VERIFY: Kind = Kind {
    purpose: "verify",
    most: 3,
    within_ms: DAY_MS,
};
/// The owner told that someone tried to sign up with their address: once a day. Its token is
/// never mailed (no page takes this purpose); it is kept to count the notices.
pub const TAKEN: Kind = Kind {
    purpose: "taken",
    most: 1,
    within_ms: DAY_MS,
};

/// A new link's token for `user_id`, stored on `conn` (the caller's transaction); `None` when
/// the account reached the cap of this kind.
pub async fn issue(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: &Kind,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    // The account's row is locked first (on SQLite the write transaction holds the database),
    // so two requests at once cannot both count one below the cap.
    users::lock(&mut *conn, user_id).await?;
    let since = now - kind.within_ms;
    if email_tokens::made_since(&mut *conn, user_id, kind.purpose, since).await? >= kind.most {
        tracing::info!(
            user_id,
            purpose = kind.purpose,
            "no mail sent: the cap is reached"
        );
        return Ok(None);
    }
    let token = secrets::random_token("", 32);
    let digest = secrets::digest(&token);
    let expires_at = now + LIFETIME_MS;
    email_tokens::insert(&mut *conn, &digest, user_id, kind.purpose, now, expires_at).await?;
    Ok(Some(token))
}

/// [`issue`] in a transaction of its own, for a link whose mail records nothing else.
pub async fn issue_alone(
    state: &AppState,
    user_id: i64,
    kind: &Kind,
) -> Result<Option<String>, ServerError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let token = issue(&mut tx, user_id, kind, now).await?;
    tx.commit().await?;
    Ok(token)
}
