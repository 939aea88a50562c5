//! The `sign_in_throttle` table: failed sign-ins per key, and until when each key is held back.

use sqlx::{Any, Executor};

/// The latest time any of `keys` is held back until (0 when none is).
pub async fn blocked_until<'e>(
    db: impl Executor<'e, Database = Any>,
    keys: &[String; 3],
) -> Result<i64, sqlx::Error> {
    let until: Option<i64> = sqlx::query_scalar(
        "select max(blocked_until) from sign_in_throttle where throttle_key in ($1, $2, $3)",
    )
    .bind(&keys[0])
    .bind(&keys[1])
    .bind(&keys[2])
    .fetch_one(db)
    .await?;
    Ok(until.unwrap_or(0))
}

/// Counts one more failure for `key` (starting again from one when its last failure is older
/// than `forget_before`) and returns the count.
pub async fn count_failure<'e>(
    db: impl Executor<'e, Database = Any>,
    key: &str,
    now: i64,
    forget_before: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into sign_in_throttle (throttle_key, failures, blocked_until, updated_at) \
         values ($1, 1, 0, $2) \
         on conflict (throttle_key) do update set \
         failures = case when sign_in_throttle.updated_at < $3 then 1 \
                    else sign_in_throttle.failures + 1 end, \
         updated_at = $2 \
         returning failures",
    )
    .bind(key)
    .bind(now)
    .bind(forget_before)
    .fetch_one(db)
    .await
}

pub async fn block<'e>(
    db: impl Executor<'e, Database = Any>,
    key: &str,
    until: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update sign_in_throttle set blocked_until = $2 where throttle_key = $1")
        .bind(key)
        .bind(until)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn clear<'e>(
    db: impl Executor<'e, Database = Any>,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from sign_in_throttle where throttle_key = $1")
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets keys neither failed since `before` nor held back past it.
pub async fn prune<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("delete from sign_in_throttle where updated_at < $1 and blocked_until < $1")
            .bind(before)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}
