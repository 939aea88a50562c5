//! `email_token`: one-time links sent by email, by the SHA-256 of their token.

use sqlx::{Any, Executor};

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    user_id: i64,
    purpose: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into email_token (token_hash, user_id, purpose, expires_at, created_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(purpose)
    .bind(expires_at)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Spends a live, unused token for `purpose`: whose it was, or `None` (unknown, expired or
/// used).
pub async fn take<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "update email_token set used_at = $3 \
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > $3 \
         returning user_id",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Whose a live, unused token for `purpose` is (without spending it).
pub async fn live_owner<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select user_id from email_token \
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(now)
    .fetch_optional(db)
    .await
}

/// Spends every unused token of `user_id` for `purpose` (a password that changed makes the
/// reset links already sent useless).
pub async fn spend_all<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    purpose: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update email_token set used_at = $3 where user_id = $1 and purpose = $2 and used_at is null",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// How many links of `user_id` for `purpose` were made since `since`.
pub async fn made_since<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    purpose: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from email_token where user_id = $1 and purpose = $2 and created_at > $3",
    )
    .bind(user_id)
    .bind(purpose)
    .bind(since)
    .fetch_one(db)
    .await
}
