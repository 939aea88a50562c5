//! The `api_key` table: keys stored as SHA-256 digests, revocable.

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRow {
    pub api_key_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The owner of a live key, looked up on every API request.
#[derive(Debug, Clone, FromRow)]
pub struct KeyOwnerRow {
    pub api_key_id: i64,
    pub user_id: i64,
    pub role: String,
    pub last_used_at: Option<i64>,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    name: &str,
    prefix: &str,
    key_hash: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into api_key (user_id, name, prefix, key_hash, created_at) \
         values ($1, $2, $3, $4, $5) returning api_key_id",
    )
    .bind(user_id)
    .bind(name)
    .bind(prefix)
    .bind(key_hash)
    .bind(now)
    .fetch_one(db)
    .await
}

pub async fn list_live<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(
        "select api_key_id, name, prefix, created_at, last_used_at from api_key \
         where user_id = $1 and revoked_at is null order by api_key_id desc",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Revokes the caller's own live key; returns whether there was one.
pub async fn revoke<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    api_key_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update api_key set revoked_at = $1 \
         where api_key_id = $2 and user_id = $3 and revoked_at is null",
    )
    .bind(now)
    .bind(api_key_id)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find_owner<'e>(
    db: impl Executor<'e, Database = Any>,
    key_hash: &str,
) -> Result<Option<KeyOwnerRow>, sqlx::Error> {
    sqlx::query_as(
        "select k.api_key_id, k.user_id, u.role, k.last_used_at from api_key k \
         join app_user u on u.user_id = k.user_id \
         where k.key_hash = $1 and k.revoked_at is null",
    )
    .bind(key_hash)
    .fetch_optional(db)
    .await
}

pub async fn touch<'e>(
    db: impl Executor<'e, Database = Any>,
    api_key_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update api_key set last_used_at = $1 where api_key_id = $2")
        .bind(now)
        .bind(api_key_id)
        .execute(db)
        .await?;
    Ok(())
}
