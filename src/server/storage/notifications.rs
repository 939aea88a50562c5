//! The `notification` table: things a user should be told (auto-renew turned off, expiry, low
//! balance, security changes), and whether they have read them.

use sqlx::{Any, Executor};

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    kind: &str,
    message: &str,
    rental_id: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notification (user_id, kind, message, rental_id, created_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(kind)
    .bind(message)
    .bind(rental_id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// The kinds of a user's notifications about one rental, oldest first (for tests and the UI).
pub async fn kinds_for_rental<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    rental_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select kind from notification where user_id = $1 and rental_id = $2 order by notification_id",
    )
    .bind(user_id)
    .bind(rental_id)
    .fetch_all(db)
    .await
}

/// Whether a notification of `kind` was sent to anyone since `since`.
pub async fn sent_since<'e>(
    db: impl Executor<'e, Database = Any>,
    kind: &str,
    since: i64,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "select count(*) from notification where kind = $1 and created_at >= $2",
    )
    .bind(kind)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// A user's notifications of `kind`, newest first (for tests and the UI).
pub async fn messages_of_kind<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    kind: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select message from notification where user_id = $1 and kind = $2 order by notification_id desc",
    )
    .bind(user_id)
    .bind(kind)
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub notification_id: i64,
    pub kind: String,
    pub message: String,
    pub rental_id: Option<i64>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// A user's notifications, newest first, older than `before_id` when given.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    sqlx::query_as(
        "select notification_id, kind, message, rental_id, created_at, read_at from notification \
         where user_id = $1 and notification_id < $2 order by notification_id desc limit $3",
    )
    .bind(user_id)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn unread_count<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from notification where user_id = $1 and read_at is null")
        .bind(user_id)
        .fetch_one(db)
        .await
}

/// Marks the user's notifications `ids` read (others' ids are ignored).
pub async fn mark_read<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update notification set read_at = $3 \
         where user_id = $1 and notification_id = $2 and read_at is null",
    )
    .bind(user_id)
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn mark_all_read<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update notification set read_at = $2 where user_id = $1 and read_at is null")
        .bind(user_id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}
