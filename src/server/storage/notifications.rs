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
