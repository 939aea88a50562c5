//! The wallet: `ledger_entry` rows and the balance they add up to on `app_user`.

use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct LedgerEntryRow {
    pub ledger_entry_id: i64,
    pub amount_units: i64,
    pub balance_after_units: i64,
    pub kind: String,
    pub reference: Option<String>,
    pub note: String,
    pub created_at: i64,
}

pub struct NewEntry<'a> {
    pub user_id: i64,
    /// Positive adds to the balance, negative takes from it.
    pub amount_units: i64,
    pub kind: &'a str,
    pub reference: Option<&'a str>,
    pub note: &'a str,
    pub now: i64,
    /// Whether it may take the balance below zero: only a payment provider taking money back
    /// (a refund or dispute) does.
    pub may_overdraw: bool,
}

/// Moves the balance and writes the ledger row, on the caller's transaction. Returns the new
/// balance, or `None` when a debit would take it below zero (nothing is written then); money
/// coming in always lands, also on a negative balance. A repeated `reference` fails with a
/// unique violation.
pub async fn post(
    conn: &mut AnyConnection,
    entry: NewEntry<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = if entry.may_overdraw {
        "update app_user set balance_units = balance_units + $1, updated_at = $2 \
         where user_id = $3 returning balance_units"
    } else {
        "update app_user set balance_units = balance_units + $1, updated_at = $2 \
         where user_id = $3 and ($1 >= 0 or balance_units + $1 >= 0) returning balance_units"
    };
    let balance_after: Option<i64> = sqlx::query_scalar(sql)
        .bind(entry.amount_units)
        .bind(entry.now)
        .bind(entry.user_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(balance_after) = balance_after else {
        return Ok(None);
    };
    sqlx::query(
        "insert into ledger_entry \
         (user_id, amount_units, balance_after_units, kind, reference, note, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.user_id)
    .bind(entry.amount_units)
    .bind(balance_after)
    .bind(entry.kind)
    .bind(entry.reference)
    .bind(entry.note)
    .bind(entry.now)
    .execute(&mut *conn)
    .await?;
    Ok(Some(balance_after))
}

pub async fn page<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<LedgerEntryRow>, sqlx::Error> {
    sqlx::query_as(
        "select ledger_entry_id, amount_units, balance_after_units, kind, reference, note, created_at \
         from ledger_entry where user_id = $1 order by ledger_entry_id desc limit $2 offset $3",
    )
    .bind(user_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// The user's rows from `from` (inclusive) to `to` (exclusive), oldest first, `limit` at most.
pub async fn between<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<LedgerEntryRow>, sqlx::Error> {
    sqlx::query_as(
        "select ledger_entry_id, amount_units, balance_after_units, kind, reference, note, created_at \
         from ledger_entry where user_id = $1 and created_at >= $2 and created_at < $3 \
         order by ledger_entry_id limit $4",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The user's balance just before `at`: after their last row before it (0 before any).
pub async fn balance_before<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    at: i64,
) -> Result<i64, sqlx::Error> {
    let balance: Option<i64> = sqlx::query_scalar(
        "select balance_after_units from ledger_entry where user_id = $1 and created_at < $2 \
         order by ledger_entry_id desc limit 1",
    )
    .bind(user_id)
    .bind(at)
    .fetch_optional(db)
    .await?;
    Ok(balance.unwrap_or(0))
}

/// From `from` to `to`: what came in, what went out (as a positive number), the sum of the
/// rows of `kinds`, and how many rows there are.
pub async fn flows<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    from: i64,
    to: i64,
    kinds: &[&str],
) -> Result<(i64, i64, i64, i64), sqlx::Error> {
    let list = super::placeholders(4, kinds.len().max(1));
    let sql = format!(
        "select cast(coalesce(sum(case when amount_units > 0 then amount_units else 0 end), 0) as bigint), \
         cast(coalesce(sum(case when amount_units < 0 then -amount_units else 0 end), 0) as bigint), \
         cast(coalesce(sum(case when kind in ({list}) then amount_units else 0 end), 0) as bigint), \
         count(*) from ledger_entry where user_id = $1 and created_at >= $2 and created_at < $3"
    );
    let mut q = sqlx::query_as(&sql).bind(user_id).bind(from).bind(to);
    for kind in kinds {
        q = q.bind(*kind);
    }
    if kinds.is_empty() {
        q = q.bind("");
    }
    q.fetch_one(db).await
}

pub async fn count<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from ledger_entry where user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
}

/// The sum of a user's ledger rows; equals their balance (the invariant tests check).
pub async fn sum_units<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select cast(coalesce(sum(amount_units), 0) as bigint) from ledger_entry where user_id = $1",
    )
    .bind(user_id)
    .fetch_one(db)
    .await
}

/// Every kind of ledger row: the sum of its amounts and how many there are.
pub async fn totals<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select kind, cast(coalesce(sum(amount_units), 0) as bigint), count(*) \
         from ledger_entry group by kind order by kind",
    )
    .fetch_all(db)
    .await
}

/// The sum of every account's balance.
pub async fn balances<'e>(db: impl Executor<'e, Database = Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select cast(coalesce(sum(balance_units), 0) as bigint) from app_user")
        .fetch_one(db)
        .await
}

/// The ledger's totals by kind and the balances, read in one snapshot (so the two agree).
pub async fn snapshot(db: &super::Db) -> Result<(Vec<(String, i64, i64)>, i64), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    if db.backend == super::Backend::Postgres {
        sqlx::query("set transaction isolation level repeatable read")
            .execute(&mut *tx)
            .await?;
    }
    let totals = totals(&mut *tx).await?;
    let balances = balances(&mut *tx).await?;
    tx.commit().await?;
    Ok((totals, balances))
}

/// The sum of the ledger rows with each of `references` that exist (refunds of an order, say).
pub async fn by_reference<'e>(
    db: impl Executor<'e, Database = Any>,
    references: &[String],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    if references.is_empty() {
        return Ok(Vec::new());
    }
    let list = super::placeholders(1, references.len());
    let sql = format!(
        "select reference, cast(sum(amount_units) as bigint) from ledger_entry \
         where reference in ({list}) group by reference"
    );
    let mut q = sqlx::query_as(&sql);
    for r in references {
        q = q.bind(r.as_str());
    }
    q.fetch_all(db).await
}
