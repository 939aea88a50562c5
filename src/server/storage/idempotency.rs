//! The `idempotency_key` table: one row per (user, key) for paid POSTs.

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct IdempotencyRow {
    pub request_hash: String,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
}

/// Records that a request with this key has started; false when the key is already taken.
pub async fn try_start<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    key: &str,
    request_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into idempotency_key (user_id, idempotency_key, request_hash, created_at) \
         values ($1, $2, $3, $4) on conflict (user_id, idempotency_key) do nothing",
    )
    .bind(user_id)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    key: &str,
) -> Result<Option<IdempotencyRow>, sqlx::Error> {
    sqlx::query_as(
        "select request_hash, response_status, response_body from idempotency_key \
         where user_id = $1 and idempotency_key = $2",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(db)
    .await
}

pub async fn save_response<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    key: &str,
    status: i32,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update idempotency_key set response_status = $3, response_body = $4 \
         where user_id = $1 and idempotency_key = $2",
    )
    .bind(user_id)
    .bind(key)
    .bind(status)
    .bind(body)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets a key whose request failed before anything was paid, so a retry can run again.
pub async fn forget<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from idempotency_key where user_id = $1 and idempotency_key = $2")
        .bind(user_id)
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}
