//! `user_mfa`, `mfa_recovery_code` and `mfa_challenge`: two-factor sign-in.

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct MfaRow {
    pub secret: String,
    pub enabled_at: Option<i64>,
    pub last_used_step: i64,
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Option<MfaRow>, sqlx::Error> {
    sqlx::query_as("select secret, enabled_at, last_used_step from user_mfa where user_id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// A new enrolment, replacing one not yet confirmed; nothing when two-factor is already on.
pub async fn start<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    secret: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into user_mfa (user_id, secret, created_at) values ($1, $2, $3) \
         on conflict (user_id) do update set secret = excluded.secret, \
         created_at = excluded.created_at, last_used_step = 0 \
         where user_mfa.enabled_at is null",
    )
    .bind(user_id)
    .bind(secret)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns on the enrolment whose secret is `secret` (not one a new set-up put in its place).
pub async fn enable<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    secret: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update user_mfa set enabled_at = $2 \
         where user_id = $1 and enabled_at is null and secret = $3",
    )
    .bind(user_id)
    .bind(now)
    .bind(secret)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `step` as used, if no later or equal one was: false means the code was replayed.
pub async fn use_step<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update user_mfa set last_used_step = $2 where user_id = $1 and last_used_step < $2",
    )
    .bind(user_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns two-factor off: the secret and every recovery code go.
pub async fn remove(conn: &mut sqlx::AnyConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("delete from mfa_recovery_code where user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from user_mfa where user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces the account's recovery codes with `hashes`.
pub async fn replace_recovery_codes(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    hashes: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from mfa_recovery_code where user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for hash in hashes {
        sqlx::query("insert into mfa_recovery_code (user_id, code_hash) values ($1, $2)")
            .bind(user_id)
            .bind(hash)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Spends the unused recovery code with this hash: false when there is none.
pub async fn use_recovery_code<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    code_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update mfa_recovery_code set used_at = $3 \
         where user_id = $1 and code_hash = $2 and used_at is null",
    )
    .bind(user_id)
    .bind(code_hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn recovery_codes_left<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from mfa_recovery_code where user_id = $1 and used_at is null",
    )
    .bind(user_id)
    .fetch_one(db)
    .await
}

pub async fn insert_challenge<'e>(
    db: impl Executor<'e, Database = Any>,
    challenge_id: &str,
    user_id: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into mfa_challenge (challenge_id, user_id, expires_at) values ($1, $2, $3)",
    )
    .bind(challenge_id)
    .bind(user_id)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Counts one attempt at a live challenge and returns whose it is, while it has attempts left.
pub async fn attempt_challenge<'e>(
    db: impl Executor<'e, Database = Any>,
    challenge_id: &str,
    now: i64,
    max_attempts: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "update mfa_challenge set attempts = attempts + 1 \
         where challenge_id = $1 and expires_at > $2 and attempts < $3 returning user_id",
    )
    .bind(challenge_id)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(db)
    .await
}

pub async fn delete_challenge<'e>(
    db: impl Executor<'e, Database = Any>,
    challenge_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from mfa_challenge where challenge_id = $1")
        .bind(challenge_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn prune_challenges<'e>(
    db: impl Executor<'e, Database = Any>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from mfa_challenge where expires_at <= $1")
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every sign-in of `user_id` waiting for its code (the password changed).
pub async fn delete_challenges_of<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from mfa_challenge where user_id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}
