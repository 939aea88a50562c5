//! The `favourite` table, and what a user bought lately: what the pickers list first.

use sqlx::{Any, Executor};

/// Marks `code` (a service slug or a country code, by `kind`) as a favourite; already one is fine.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    kind: &str,
    code: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into favourite (user_id, kind, code, created_at) values ($1, $2, $3, $4) \
         on conflict (user_id, kind, code) do nothing",
    )
    .bind(user_id)
    .bind(kind)
    .bind(code)
    .bind(now)
    .execute(db)
    .await
    .map(drop)
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    kind: &str,
    code: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from favourite where user_id = $1 and kind = $2 and code = $3")
        .bind(user_id)
        .bind(kind)
        .bind(code)
        .execute(db)
        .await
        .map(drop)
}

/// The user's favourites as `(kind, code)`, the oldest first (the order they were chosen in).
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select kind, code from favourite where user_id = $1 order by created_at, kind, code",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// `(service, country)` of the user's latest rentals and verifications, the newest first.
pub async fn recent_purchases<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select service_name, country_code from ( \
           select service_name, country_code, created_at from ( \
             select service_name, country_code, created_at from rentals \
             where user_id = $1 order by id desc limit $2) r \
           union all \
           select service_name, country_code, created_at from ( \
             select service_name, country_code, created_at from verification \
             where user_id = $1 order by verification_id desc limit $2) v \
         ) p order by created_at desc limit $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await
}
