//! The `event` table: recent live-update events, for streams that resume after a disconnect.

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub event_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub data: String,
    pub created_at: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    kind: &str,
    data: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("insert into event (user_id, kind, data, created_at) values ($1, $2, $3, $4) returning event_id")
        .bind(user_id)
        .bind(kind)
        .bind(data)
        .bind(now)
        .fetch_one(db)
        .await
}

/// The newest event id stored (0 if none).
pub async fn latest_id<'e>(db: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select coalesce(max(event_id), 0) from event")
        .fetch_one(db)
        .await
}

/// The oldest event id still stored (0 if none): a stream resuming from before it may have
/// missed events that were pruned.
pub async fn oldest_id<'e>(db: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select coalesce(min(event_id), 0) from event")
        .fetch_one(db)
        .await
}

/// A user's events after `after`, oldest first.
pub async fn since<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "select event_id, user_id, kind, data, created_at from event where user_id = $1 and event_id > $2 \
         order by event_id limit $3",
    )
    .bind(user_id)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Forgets events older than `before`.
pub async fn prune<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from event where created_at < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected())
}
