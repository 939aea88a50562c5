//! The `notification` table: things a user should be told (auto-renew turned off, expiry).

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
