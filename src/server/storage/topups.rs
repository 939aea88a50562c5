//! Top-ups: `topup` rows, one per checkout a customer started.

use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct TopupRow {
    pub topup_id: i64,
    pub user_id: i64,
    pub amount_units: i64,
    pub currency: String,
    pub status: String,
    pub provider: String,
    pub checkout_id: Option<String>,
    pub checkout_url: Option<String>,
    pub expires_at: Option<i64>,
    pub payment_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub paid_at: Option<i64>,
    /// Refunded so far.
    pub refunded_units: i64,
    /// Held back by its disputes (see `payment_dispute`).
    pub disputed_units: i64,
    /// The tax rate and business details when it was paid (JSON), for its receipt.
    pub receipt_terms: Option<String>,
}

const COLUMNS: &str = "topup_id, user_id, amount_units, currency, status, provider, checkout_id, \
     checkout_url, expires_at, payment_id, failure, created_at, updated_at, paid_at, \
     refunded_units, (select cast(coalesce(sum(d.held_units), 0) as bigint) from payment_dispute d \
     where d.topup_id = topup.topup_id) as disputed_units, receipt_terms";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    amount_units: i64,
    currency: &str,
    provider: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into topup (user_id, amount_units, currency, provider, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5) returning topup_id",
    )
    .bind(user_id)
    .bind(amount_units)
    .bind(currency)
    .bind(provider)
    .bind(now)
    .fetch_one(db)
    .await
}

/// Records the checkout the provider opened for it (unless an event recorded it first).
pub async fn set_checkout<'e>(
    db: impl Executor<'e, Database = Any>,
    topup_id: i64,
    checkout_id: &str,
    checkout_url: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update topup set checkout_id = coalesce(checkout_id, $1), checkout_url = $2, \
         expires_at = $3, updated_at = $4 where topup_id = $5",
    )
    .bind(checkout_id)
    .bind(checkout_url)
    .bind(expires_at)
    .bind(now)
    .bind(topup_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    topup_id: i64,
) -> Result<Option<TopupRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from topup where topup_id = $1"))
        .bind(topup_id)
        .fetch_optional(db)
        .await
}

/// The top-up a payment was for.
pub async fn by_payment<'e>(
    db: impl Executor<'e, Database = Any>,
    provider: &str,
    payment_id: &str,
) -> Result<Option<TopupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from topup where provider = $1 and payment_id = $2"
    ))
    .bind(provider)
    .bind(payment_id)
    .fetch_optional(db)
    .await
}

/// A page of the customer's top-ups, newest first.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<TopupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from topup where user_id = $1 order by topup_id desc limit $2 offset $3"
    ))
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// How many top-ups the customer started since `since` that are still unpaid.
pub async fn opened_since<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    since: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from topup where user_id = $1 and created_at >= $2 \
         and status in ('pending', 'declined')",
    )
    .bind(user_id)
    .bind(since)
    .fetch_one(db)
    .await
}

pub async fn count<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from topup where user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
}

/// Marks it paid by `payment_id`, unless it was already: whether this call did (the one
/// that then credits the balance). Locks the row on PostgreSQL until the transaction ends,
/// so a second delivery of the same event waits and then finds it paid.
pub async fn mark_paid<'e>(
    db: impl Executor<'e, Database = Any>,
    topup_id: i64,
    checkout_id: &str,
    payment_id: &str,
    receipt_terms: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update topup set status = 'paid', payment_id = $1, \
         checkout_id = coalesce(checkout_id, $2), failure = null, paid_at = $3, updated_at = $3, \
         receipt_terms = $5 \
         where topup_id = $4 and status in ('pending', 'declined', 'expired')",
    )
    .bind(payment_id)
    .bind(checkout_id)
    .bind(now)
    .bind(topup_id)
    .bind(receipt_terms)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A card was declined at its checkout (which stays open): recorded unless it was paid since.
pub async fn mark_declined<'e>(
    db: impl Executor<'e, Database = Any>,
    topup_id: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update topup set status = 'declined', failure = $1, updated_at = $2 \
         where topup_id = $3 and status in ('pending', 'declined')",
    )
    .bind(reason)
    .bind(now)
    .bind(topup_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Its checkout expired unpaid.
pub async fn mark_expired<'e>(
    db: impl Executor<'e, Database = Any>,
    topup_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update topup set status = 'expired', updated_at = $1 \
         where topup_id = $2 and status in ('pending', 'declined')",
    )
    .bind(now)
    .bind(topup_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that `total` of its payment has been refunded, if `before` was the refunded total
/// still: whether this call did (the one that then takes the money back). Locks the row on
/// PostgreSQL until the transaction ends.
pub async fn mark_refunded<'e>(
    db: impl Executor<'e, Database = Any>,
    topup_id: i64,
    before: i64,
    total: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update topup set refunded_units = $1, updated_at = $2 \
         where topup_id = $3 and refunded_units = $4",
    )
    .bind(total)
    .bind(now)
    .bind(topup_id)
    .bind(before)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, FromRow)]
pub struct DisputeRow {
    pub payment_dispute_id: i64,
    pub status: String,
    pub held_units: i64,
}

/// The dispute, made first if this is the first report of it (as `unknown`, holding nothing,
/// until the caller's transaction moves it on).
pub async fn dispute(
    conn: &mut AnyConnection,
    topup_id: i64,
    provider: &str,
    dispute_id: &str,
    amount_units: i64,
    now: i64,
) -> Result<DisputeRow, sqlx::Error> {
    sqlx::query(
        "insert into payment_dispute \
         (topup_id, provider, dispute_id, amount_units, status, created_at, updated_at) \
         values ($1, $2, $3, $4, 'unknown', $5, $5) on conflict (provider, dispute_id) do nothing",
    )
    .bind(topup_id)
    .bind(provider)
    .bind(dispute_id)
    .bind(amount_units)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query_as(
        "select payment_dispute_id, status, held_units from payment_dispute \
         where provider = $1 and dispute_id = $2",
    )
    .bind(provider)
    .bind(dispute_id)
    .fetch_one(&mut *conn)
    .await
}

/// Moves a dispute from status `from` to `to`, holding `held_units`: whether this call did.
pub async fn change_dispute<'e>(
    db: impl Executor<'e, Database = Any>,
    payment_dispute_id: i64,
    from: &str,
    to: &str,
    held_units: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update payment_dispute set status = $1, held_units = $2, updated_at = $3 \
         where payment_dispute_id = $4 and status = $5",
    )
    .bind(to)
    .bind(held_units)
    .bind(now)
    .bind(payment_dispute_id)
    .bind(from)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
