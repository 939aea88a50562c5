//! The pricing policy's history (`pricing_policy`, newest applies), customers' tiers, and
//! what a customer spent lately (for volume discounts).

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct PolicyRow {
    pub pricing_policy_id: i64,
    pub body: String,
    pub created_at: i64,
    pub created_by: Option<i64>,
}

/// The newest policy, if operators ever set one.
pub async fn current<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(
        "select pricing_policy_id, body, created_at, created_by from pricing_policy \
         order by pricing_policy_id desc limit 1",
    )
    .fetch_optional(db)
    .await
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    body: &str,
    now: i64,
    by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into pricing_policy (body, created_at, created_by) values ($1, $2, $3) \
         returning pricing_policy_id",
    )
    .bind(body)
    .bind(now)
    .bind(by)
    .fetch_one(db)
    .await
}

/// The customer's tier (`None`: no such account).
pub async fn tier<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select pricing_tier from app_user where user_id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// Moves the customer to `tier`: their tier before, or `None` when there is no such account.
pub async fn set_tier(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    tier: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let Some(before) = self::tier(&mut *conn, user_id).await? else {
        return Ok(None);
    };
    sqlx::query("update app_user set pricing_tier = $1, updated_at = $2 where user_id = $3")
        .bind(tier)
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(before))
}

/// What the customer spent on purchases since `since`, net of what came back to them for
/// those purchases (refunds, and holds given back when a purchase failed).
pub async fn spend_since<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    since: i64,
) -> Result<i64, sqlx::Error> {
    spend_between(db, user_id, since, i64::MAX).await
}

/// [`spend_since`] from `from` (inclusive) to `to` (exclusive).
pub async fn spend_between<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    from: i64,
    to: i64,
) -> Result<i64, sqlx::Error> {
    let net: i64 = sqlx::query_scalar(
        "select cast(coalesce(sum(amount_units), 0) as bigint) from ledger_entry \
         where user_id = $1 and created_at >= $2 and created_at < $3 \
         and kind in ('rental', 'verification', 'rental_extension', 'refund', 'reversal')",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .fetch_one(db)
    .await?;
    Ok((-net).max(0))
}
