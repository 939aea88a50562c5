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
         where user_id = $1 and idempotency_key = $2 and response_body is null",
    )
    .bind(user_id)
    .bind(key)
    .bind(status)
    .bind(body)
    .execute(db)
    .await?;
    Ok(())
}

/// A key with no answer whose purchase, if it has one, is settled (not still held).
const UNANSWERED_AND_UNHELD: &str = "response_body is null and not exists (\
     select 1 from purchase p where p.user_id = idempotency_key.user_id \
     and p.idempotency_key = idempotency_key.idempotency_key and p.state in ('held', 'bought'))";

/// Forgets a key whose request failed before anything was paid, so a retry can run again. A
/// key that has its answer, or whose purchase is still open (the reconciliation job settles
/// it), is kept.
pub async fn forget<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "delete from idempotency_key where user_id = $1 and idempotency_key = $2 \
         and {UNANSWERED_AND_UNHELD}"
    ))
    .bind(user_id)
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets every key left without an answer since before `before` by a request that died (a
/// retry then runs again; the steps it had finished answer from their own keys). Returns how
/// many.
pub async fn forget_stale<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "delete from idempotency_key where created_at < $1 and {UNANSWERED_AND_UNHELD}"
    ))
    .bind(before)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
