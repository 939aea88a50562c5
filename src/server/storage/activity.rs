//! `activity`: one row per business event, written in the transaction that makes it happen;
//! and the fold that sums what is not yet counted into `rollup` and the customer tables.

use super::{Backend, Db};
use crate::domain::analytics::{DAY_MS, HOUR_MS};
use sqlx::{Any, AnyConnection, Executor};

/// One business event, as analytics count it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity<'a> {
    pub at: i64,
    pub product: &'static str,
    pub event: &'static str,
    pub user_id: i64,
    pub service: &'a str,
    pub country: &'a str,
    pub provider: &'a str,
    pub detail: &'a str,
    pub amount_units: i64,
    pub cost_units: i64,
    pub value_ms: i64,
}

/// Writes `a` on the caller's transaction (or connection).
pub async fn insert(conn: &mut AnyConnection, a: &Activity<'_>) -> Result<(), sqlx::Error> {
    insert_on(conn, a).await
}

/// [`insert`] on any executor (a pool, for events that change nothing else).
pub async fn insert_on<'e>(
    db: impl Executor<'e, Database = Any>,
    a: &Activity<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into activity (at, product, event, user_id, service, country, provider, detail, \
         amount_units, cost_units, value_ms) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(a.at)
    .bind(a.product)
    .bind(a.event)
    .bind(a.user_id)
    .bind(a.service)
    .bind(a.country)
    .bind(a.provider)
    .bind(a.detail)
    .bind(a.amount_units)
    .bind(a.cost_units)
    .bind(a.value_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// The SQL for the start of the UTC month of the millisecond time `ts`.
pub fn month_start(backend: Backend, ts: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "(cast(strftime('%s', ({ts}) / 1000, 'unixepoch', 'start of month') as bigint) * 1000)"
        ),
        Backend::Postgres => format!(
            "(cast(extract(epoch from date_trunc('month', to_timestamp(({ts}) / 1000.0) at time zone 'UTC')) as bigint) * 1000)"
        ),
    }
}

/// The rollups each activity row is summed into: (dimension, the column that gives its value,
/// grain, the SQL of an activity's bucket). Offers are summed by day and month only.
fn rollups(backend: Backend) -> Vec<(&'static str, &'static str, &'static str, String)> {
    let hour = format!("(at - at % {HOUR_MS})");
    let day = format!("(at - at % {DAY_MS})");
    let month = month_start(backend, "at");
    let mut out = Vec::new();
    for (dim, value) in [
        ("all", "''"),
        ("service", "service"),
        ("country", "country"),
        ("provider", "provider"),
    ] {
        out.push((dim, value, "hour", hour.clone()));
        out.push((dim, value, "day", day.clone()));
        out.push((dim, value, "month", month.clone()));
    }
    let offer = "service || '/' || country || '/' || provider";
    out.push(("offer", offer, "day", day));
    out.push(("offer", offer, "month", month));
    out
}

/// Events that are money a customer spent (`started`, `extended`: purchases) or got back
/// (`refunded`). A refund lowers what they spent but is no purchase: a customer counts as
/// buying in a day, week or month only with a purchase in it (`purchases > 0`).
const SPENDING: &str = "event in ('started', 'extended', 'refunded')";
const SPEND: &str = "case when event = 'refunded' then -amount_units else amount_units end";
const PURCHASE: &str = "case when event = 'refunded' then 0 else 1 end";
const PURCHASED_AT: &str = "case when event = 'refunded' then null else at end";

/// Folds up to `batch` uncounted activity rows (oldest first) into the rollups and the
/// customer tables, and marks them counted, in one transaction; how many it folded.
///
/// On PostgreSQL the transaction is `repeatable read`: the rows it marks are exactly the rows
/// it summed (one committed meanwhile with a smaller id stays uncounted for the next fold),
/// and two folds at once cannot both count a row (the second fails to serialize and rolls
/// back). On SQLite the write lock taken up front does the same.
pub async fn fold(db: &Db, batch: i64) -> Result<u64, sqlx::Error> {
    let upto: Option<i64> = sqlx::query_scalar(
        "select max(activity_id) from (select activity_id from activity where rolled_up = 0 \
         order by activity_id limit $1) pending",
    )
    .bind(batch)
    .fetch_one(&db.pool)
    .await?;
    let Some(upto) = upto else {
        return Ok(0);
    };
    let mut tx = db.begin_write().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("set transaction isolation level repeatable read")
            .execute(&mut *tx)
            .await?;
    }
    let pending = "rolled_up = 0 and activity_id <= $1";
    for (dim, value, grain, bucket) in rollups(db.backend) {
        // PostgreSQL refuses to group by a constant: `all` has one value, so none is grouped.
        let by_value = if dim == "all" {
            String::new()
        } else {
            format!("{value}, ")
        };
        sqlx::query(&format!(
            "insert into rollup (dim, grain, bucket, product, event, dim_value, detail, events, \
             amount_units, cost_units, value_ms) \
             select '{dim}', '{grain}', {bucket}, product, event, {value}, detail, count(*), \
             sum(amount_units), sum(cost_units), sum(value_ms) from activity where {pending} \
             group by {bucket}, product, event, {by_value}detail \
             on conflict (dim, grain, bucket, product, event, dim_value, detail) do update set \
             events = rollup.events + excluded.events, \
             amount_units = rollup.amount_units + excluded.amount_units, \
             cost_units = rollup.cost_units + excluded.cost_units, \
             value_ms = rollup.value_ms + excluded.value_ms"
        ))
        .bind(upto)
        .execute(&mut *tx)
        .await?;
    }
    let (least, greatest) = match db.backend {
        Backend::Sqlite => ("min", "max"),
        Backend::Postgres => ("least", "greatest"),
    };
    sqlx::query(&format!(
        "insert into customer (user_id, first_purchase_at, last_purchase_at, purchases, spend_units) \
         select user_id, coalesce(min({PURCHASED_AT}), max(at)), coalesce(max({PURCHASED_AT}), 0), \
         sum({PURCHASE}), sum({SPEND}) from activity \
         where {pending} and {SPENDING} group by user_id \
         on conflict (user_id) do update set \
         first_purchase_at = {least}(customer.first_purchase_at, excluded.first_purchase_at), \
         last_purchase_at = {greatest}(customer.last_purchase_at, excluded.last_purchase_at), \
         purchases = customer.purchases + excluded.purchases, \
         spend_units = customer.spend_units + excluded.spend_units"
    ))
    .bind(upto)
    .execute(&mut *tx)
    .await?;
    for (table, column, start) in [
        ("customer_day", "day", format!("(at - at % {DAY_MS})")),
        (
            "customer_week",
            "week",
            "(at - (at + 259200000) % 604800000)".to_owned(),
        ),
    ] {
        sqlx::query(&format!(
            "insert into {table} ({column}, user_id, purchases, spend_units) \
             select {start}, user_id, sum({PURCHASE}), sum({SPEND}) from activity \
             where {pending} and {SPENDING} group by {start}, user_id \
             on conflict ({column}, user_id) do update set \
             purchases = {table}.purchases + excluded.purchases, \
             spend_units = {table}.spend_units + excluded.spend_units"
        ))
        .bind(upto)
        .execute(&mut *tx)
        .await?;
    }
    let month = month_start(db.backend, "a.at");
    let cohort = month_start(db.backend, "c.first_purchase_at");
    sqlx::query(&format!(
        "insert into customer_month (month, user_id, cohort, purchases, spend_units) \
         select {month}, a.user_id, min({cohort}), sum({PURCHASE}), sum({SPEND}) \
         from activity a join customer c on c.user_id = a.user_id \
         where a.rolled_up = 0 and a.activity_id <= $1 and a.{SPENDING} \
         group by {month}, a.user_id \
         on conflict (month, user_id) do update set \
         cohort = {least}(customer_month.cohort, excluded.cohort), \
         purchases = customer_month.purchases + excluded.purchases, \
         spend_units = customer_month.spend_units + excluded.spend_units"
    ))
    .bind(upto)
    .execute(&mut *tx)
    .await?;
    let folded = sqlx::query(&format!(
        "update activity set rolled_up = 1 where {pending}"
    ))
    .bind(upto)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(folded)
}

/// Whether `e` says another transaction folded the same rows first (PostgreSQL's
/// serialization failure, or a deadlock between two folds): another fold counts them.
pub fn folded_elsewhere(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "40001" || c == "40P01")
}
