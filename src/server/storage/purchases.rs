//! The `purchase` table: money held for a rental or verification while the provider is asked,
//! and how each purchase ended. Every change of state is conditional on the state it leaves,
//! so the request and the reconciliation job can never both settle one purchase.

use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct PurchaseRow {
    pub purchase_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub state: String,
    pub amount: i64,
    pub hold_token: String,
    pub request: String,
    pub product: Option<String>,
    pub provider: Option<String>,
    pub provider_order_id: Option<String>,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "purchase_id, user_id, kind, state, amount, hold_token, request, product, \
                       provider, provider_order_id, idempotency_key, created_at";

pub struct NewPurchase<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub amount: i64,
    pub hold_token: &'a str,
    pub request: &'a str,
    pub product: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub now: i64,
}

/// Records a purchase as `held`, on the hold's own transaction.
pub async fn insert(conn: &mut AnyConnection, p: NewPurchase<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into purchase (user_id, kind, state, amount, hold_token, request, product, \
         idempotency_key, created_at, updated_at) \
         values ($1, $2, 'held', $3, $4, $5, $6, $7, $8, $8) returning purchase_id",
    )
    .bind(p.user_id)
    .bind(p.kind)
    .bind(p.amount)
    .bind(p.hold_token)
    .bind(p.request)
    .bind(p.product)
    .bind(p.idempotency_key)
    .bind(p.now)
    .fetch_one(conn)
    .await
}

/// Records the order the provider sold; false if the purchase is no longer `held` (the
/// reconciliation job settled it meanwhile).
pub async fn mark_bought<'e>(
    db: impl Executor<'e, Database = Any>,
    purchase_id: i64,
    provider: &str,
    order_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update purchase set state = 'bought', provider = $2, provider_order_id = $3, \
         updated_at = $4 where purchase_id = $1 and state = 'held'",
    )
    .bind(purchase_id)
    .bind(provider)
    .bind(order_id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Claims `record_id` for a purchase still held (an extension claims its rental); false if it
/// is no longer held, or another open purchase holds that record (a unique index allows one
/// open extension per rental).
pub async fn claim_record<'e>(
    db: impl Executor<'e, Database = Any>,
    purchase_id: i64,
    record_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update purchase set record_id = $2, updated_at = $3 where purchase_id = $1 and state = 'held'",
    )
    .bind(purchase_id)
    .bind(record_id)
    .bind(now)
    .execute(db)
    .await;
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Ends an open purchase as `recorded` (with the rental or verification it became, and the
/// order it was recorded with) or `reversed`; false if it had already ended.
pub async fn settle(
    conn: &mut AnyConnection,
    purchase_id: i64,
    outcome: Outcome<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = match outcome {
        Outcome::Recorded { record_id, order } => {
            sqlx::query(
                "update purchase set state = 'recorded', record_id = $2, \
                 provider = coalesce($3, provider), provider_order_id = coalesce($4, provider_order_id), \
                 updated_at = $5 where purchase_id = $1 and state in ('held', 'bought')",
            )
            .bind(purchase_id)
            .bind(record_id)
            .bind(order.map(|(provider, _)| provider))
            .bind(order.map(|(_, order_id)| order_id))
            .bind(now)
            .execute(conn)
            .await?
        }
        Outcome::Reversed => {
            sqlx::query(
                "update purchase set state = 'reversed', updated_at = $2 \
                 where purchase_id = $1 and state in ('held', 'bought')",
            )
            .bind(purchase_id)
            .bind(now)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

pub enum Outcome<'a> {
    Recorded {
        record_id: i64,
        /// The provider and order it bought; none for an extension of an order bought before.
        order: Option<(&'a str, &'a str)>,
    },
    Reversed,
}

/// Purchases still open that began before `before`, oldest first.
pub async fn open_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
    limit: i64,
) -> Result<Vec<PurchaseRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from purchase where state in ('held', 'bought') and created_at < $1 \
         order by created_at limit $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Whether any local record (a purchase, rental or verification) knows this upstream order.
pub async fn order_is_known<'e>(
    db: impl Executor<'e, Database = Any>,
    provider: &str,
    order_id: &str,
) -> Result<bool, sqlx::Error> {
    // Counts, not `exists`: sqlx's Any driver cannot read SQLite's booleans.
    let n: i64 = sqlx::query_scalar(
        "select (select count(*) from purchase where provider = $1 and provider_order_id = $2) \
         + (select count(*) from rentals where provider = $1 and provider_order_id = $2) \
         + (select count(*) from verification where provider = $1 and provider_order_id = $2)",
    )
    .bind(provider)
    .bind(order_id)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// The rental or verification a purchase became, once recorded.
pub async fn recorded_as<'e>(
    db: impl Executor<'e, Database = Any>,
    purchase_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<Option<i64>> = sqlx::query_scalar(
        "select record_id from purchase where purchase_id = $1 and state = 'recorded'",
    )
    .bind(purchase_id)
    .fetch_optional(db)
    .await?;
    Ok(id.flatten())
}
