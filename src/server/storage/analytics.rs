//! The analytics reads: sums over the rollups and the customer tables, for a range, bucketed
//! or broken down in the database. Nothing here reads `activity` or the business tables.

use super::activity::month_start;
use super::{Backend, Db};
use crate::domain::analytics::{Granularity, Range, DAY_MS};
use sqlx::FromRow;

/// Sums of one kind of event (product, event, detail) in one bucket or for one value of the
/// dimension.
#[derive(Clone, Debug, FromRow)]
pub struct SumRow {
    pub bucket: i64,
    pub dim_value: String,
    pub product: String,
    pub event: String,
    pub detail: String,
    pub events: i64,
    pub amount_units: i64,
    pub cost_units: i64,
    pub value_ms: i64,
}

/// What to read from the rollups.
#[derive(Clone, Copy, Debug)]
pub struct Sums<'a> {
    /// `all`, `service`, `country`, `provider` or `offer`.
    pub dim: &'a str,
    /// One value of the dimension only (`telegram`), or every one.
    pub value: Option<&'a str>,
    pub from: i64,
    pub to: i64,
    /// Hourly rollups for hourly series, daily ones for the rest.
    pub granularity: Granularity,
    /// One row per bucket of the granularity (else `bucket` is 0: the whole range).
    pub by_bucket: bool,
    /// One row per value of the dimension (else `dim_value` is empty: all of them).
    pub by_value: bool,
}

impl<'a> Sums<'a> {
    /// The whole range, every value together, by kind of event.
    pub fn total(dim: &'a str, value: Option<&'a str>, range: &Range) -> Sums<'a> {
        Sums {
            dim,
            value,
            from: range.from,
            to: range.to,
            granularity: range.granularity,
            by_bucket: false,
            by_value: false,
        }
    }
}

/// The SQL for the start of the bucket holding the millisecond time `ts`.
pub fn bucket_of(backend: Backend, g: Granularity, ts: &str) -> String {
    match g {
        Granularity::Hour => format!("({ts} - {ts} % 3600000)"),
        Granularity::Day => format!("({ts} - {ts} % {DAY_MS})"),
        Granularity::Week => format!("({ts} - ({ts} + 259200000) % 604800000)"),
        Granularity::Month => month_start(backend, ts),
    }
}

const SUMS: &str = "cast(sum(events) as bigint) as events, \
    cast(sum(amount_units) as bigint) as amount_units, \
    cast(sum(cost_units) as bigint) as cost_units, cast(sum(value_ms) as bigint) as value_ms";

/// The sums `q` asks for. Series by month read the monthly rollups; totals and breakdowns
/// over a range longer than a month read whole months from them and the days at the edges
/// from the daily ones; the rest reads the hourly (series by hour) or daily rollups.
pub async fn sums(db: &Db, q: Sums<'_>) -> Result<Vec<SumRow>, sqlx::Error> {
    let months = Granularity::Month;
    if q.by_bucket || q.granularity == Granularity::Hour {
        let grain = match q.granularity {
            Granularity::Hour => "hour",
            Granularity::Month => "month",
            _ => "day",
        };
        return sums_in(db, q, grain).await;
    }
    let first = if months.floor(q.from) == q.from {
        q.from
    } else {
        months.next(months.floor(q.from))
    };
    let last = months.floor(q.to);
    if first >= last {
        return sums_in(db, q, "day").await;
    }
    let mut rows = sums_in(
        db,
        Sums {
            from: first,
            to: last,
            ..q
        },
        "month",
    )
    .await?;
    for (from, to) in [(q.from, first), (last, q.to)] {
        if from < to {
            rows.extend(sums_in(db, Sums { from, to, ..q }, "day").await?);
        }
    }
    Ok(rows)
}

async fn sums_in(db: &Db, q: Sums<'_>, grain: &str) -> Result<Vec<SumRow>, sqlx::Error> {
    let bucket = match (grain, q.granularity) {
        ("day", g) => bucket_of(db.backend, g, "bucket"),
        _ => "bucket".to_owned(),
    };
    let mut group = Vec::new();
    let bucket_col = if q.by_bucket {
        group.push(bucket.clone());
        bucket
    } else {
        "0".to_owned()
    };
    let value_col = if q.by_value {
        group.push("dim_value".to_owned());
        "dim_value"
    } else {
        "''"
    };
    group.extend(["product", "event", "detail"].map(str::to_owned));
    let only = if q.value.is_some() {
        " and dim_value = $5"
    } else {
        ""
    };
    let sql = format!(
        "select {bucket_col} as bucket, {value_col} as dim_value, product, event, detail, {SUMS} \
         from rollup where dim = $1 and grain = $2 and bucket >= $3 and bucket < $4{only} \
         group by {}",
        group.join(", ")
    );
    let mut query = sqlx::query_as::<_, SumRow>(&sql)
        .bind(q.dim)
        .bind(grain)
        .bind(q.from)
        .bind(q.to);
    if let Some(v) = q.value {
        query = query.bind(v);
    }
    query.fetch_all(&db.pool).await
}

/// The sums over `[from, to)` by kind of event, from the daily rollups for the whole days in
/// it and the hourly ones for the hours at its edges (`from` and `to` on the hour).
pub async fn between(
    db: &Db,
    dim: &str,
    value: Option<&str>,
    from: i64,
    to: i64,
) -> Result<Vec<SumRow>, sqlx::Error> {
    let first_day = Granularity::Day.floor(from + DAY_MS - 1);
    let last_day = Granularity::Day.floor(to);
    let part = |from: i64, to: i64, granularity: Granularity| Sums {
        dim,
        value,
        from,
        to,
        granularity,
        by_bucket: false,
        by_value: false,
    };
    if first_day >= last_day {
        return sums(db, part(from, to, Granularity::Hour)).await;
    }
    let mut rows = sums(db, part(first_day, last_day, Granularity::Day)).await?;
    for (from, to) in [(from, first_day), (last_day, to)] {
        if from < to {
            rows.extend(sums(db, part(from, to, Granularity::Hour)).await?);
        }
    }
    Ok(rows)
}

/// Rentals active and verifications still open now, overall or for one service, country or
/// provider.
pub async fn open_now(db: &Db, dim: &str, value: Option<&str>) -> Result<(i64, i64), sqlx::Error> {
    let (rental_col, verification_col) = match dim {
        "service" => ("service_name", "service_name"),
        "country" => ("country_code", "country_code"),
        _ => ("provider", "provider"),
    };
    let only = |col: &str| match value {
        Some(_) => format!(" and {col} = $1"),
        None => String::new(),
    };
    let rentals_sql = format!(
        "select count(*) from rentals where status = 'active'{}",
        only(rental_col)
    );
    let verifications_sql = format!(
        "select count(*) from verification where status in ('waiting', 'received'){}",
        only(verification_col)
    );
    let mut counts = Vec::new();
    for sql in [&rentals_sql, &verifications_sql] {
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        if let Some(v) = value {
            q = q.bind(v);
        }
        counts.push(q.fetch_one(&db.pool).await?);
    }
    let (rentals, verifications) = (counts[0], counts[1]);
    Ok((rentals, verifications))
}

/// Customers whose first purchase fell in each bucket of `range`.
pub async fn new_customers(db: &Db, range: &Range) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let bucket = bucket_of(db.backend, range.granularity, "first_purchase_at");
    sqlx::query_as(&format!(
        "select {bucket} as b, count(*) from customer \
         where first_purchase_at >= $1 and first_purchase_at < $2 group by {bucket}"
    ))
    .bind(range.from)
    .bind(range.to)
    .fetch_all(&db.pool)
    .await
}

/// The table of customers per bucket of `g` (a day at the finest) and its bucket column: a
/// customer is one row per bucket there, so distinct customers are counted as rows.
fn per_customer(g: Granularity) -> (&'static str, &'static str) {
    match g {
        Granularity::Hour | Granularity::Day => ("customer_day", "day"),
        Granularity::Week => ("customer_week", "week"),
        Granularity::Month => ("customer_month", "month"),
    }
}

/// Customers who bought anything in each bucket of `range` (a day at the finest).
pub async fn active_customers(db: &Db, range: &Range) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let (table, column) = per_customer(range.granularity);
    sqlx::query_as(&format!(
        "select {column}, count(*) from {table} \
         where {column} >= $1 and {column} < $2 and purchases > 0 group by {column}"
    ))
    .bind(range.from)
    .bind(range.to)
    .fetch_all(&db.pool)
    .await
}

/// Customers who bought anything in `range` (whole buckets of its granularity).
pub async fn paying_customers(db: &Db, range: &Range) -> Result<i64, sqlx::Error> {
    let (table, column) = per_customer(range.granularity);
    // By hour, the days that hold the range.
    let days = Granularity::Day;
    let (from, to) = match range.granularity {
        Granularity::Hour => (days.floor(range.from), days.floor(range.to - 1) + DAY_MS),
        _ => (range.from, range.to),
    };
    sqlx::query_scalar(&format!(
        "select count(distinct user_id) from {table} \
         where {column} >= $1 and {column} < $2 and purchases > 0"
    ))
    .bind(from)
    .bind(to)
    .fetch_one(&db.pool)
    .await
}

/// One cell of the retention grid: the customers of a cohort (first purchase in `cohort`'s
/// month) who bought in `month`, and what they spent.
#[derive(Clone, Debug, FromRow)]
pub struct CohortRow {
    pub cohort: i64,
    pub month: i64,
    pub customers: i64,
    pub spend_units: i64,
}

pub async fn cohorts(db: &Db, from: i64, to: i64) -> Result<Vec<CohortRow>, sqlx::Error> {
    sqlx::query_as(
        "select cohort, month, count(*) as customers, cast(sum(spend_units) as bigint) as spend_units \
         from customer_month where cohort >= $1 and cohort < $2 and purchases > 0 \
         group by cohort, month order by cohort, month",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await
}

/// Customers by their recency, frequency and monetary scores (1 to 5, 5 the best: the fifth
/// of customers who bought most recently, most often, for most; equal figures get the same
/// score), with what they spent.
#[derive(Clone, Debug, FromRow)]
pub struct RfmRow {
    pub r: i64,
    pub f: i64,
    pub m: i64,
    pub customers: i64,
    pub spend_units: i64,
}

pub async fn rfm(db: &Db) -> Result<Vec<RfmRow>, sqlx::Error> {
    sqlx::query_as(
        "select r, f, m, count(*) as customers, cast(sum(spend_units) as bigint) as spend_units from ( \
           select spend_units, \
             1 + 5 * (rank() over (order by last_purchase_at) - 1) / count(*) over () as r, \
             1 + 5 * (rank() over (order by purchases) - 1) / count(*) over () as f, \
             1 + 5 * (rank() over (order by spend_units) - 1) / count(*) over () as m \
           from customer) scored \
         group by r, f, m",
    )
    .fetch_all(&db.pool)
    .await
}

/// A customer among those who spent most in a range.
#[derive(Clone, Debug, FromRow)]
pub struct TopRow {
    pub user_id: i64,
    pub email: String,
    pub purchases: i64,
    pub spend_units: i64,
}

pub async fn top_customers(db: &Db, range: &Range, limit: i64) -> Result<Vec<TopRow>, sqlx::Error> {
    let (table, column) = per_customer(range.granularity);
    sqlx::query_as(&format!(
        "select t.user_id, u.email, t.purchases, t.spend_units from ( \
           select user_id, cast(sum(purchases) as bigint) as purchases, \
             cast(sum(spend_units) as bigint) as spend_units \
           from {table} where {column} >= $1 and {column} < $2 group by user_id \
           order by spend_units desc, user_id limit $3) t \
         join app_user u on u.user_id = t.user_id order by t.spend_units desc, t.user_id"
    ))
    .bind(range.from)
    .bind(range.to)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Each customer's spend per day over `[from, to)`, summed: (user, spend), for the runway of
/// the customers given.
pub async fn spend_of(
    db: &Db,
    user_ids: &[i64],
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = user_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(&format!(
        "select user_id, cast(sum(spend_units) as bigint) from customer_day \
         where day >= $1 and day < $2 and user_id in ({list}) group by user_id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await
}

/// A customer who spent in the last days, with their balance and that spend.
#[derive(Clone, Debug, FromRow)]
pub struct SpenderRow {
    pub user_id: i64,
    pub email: String,
    pub balance_units: i64,
    pub spend_units: i64,
}

/// The customers who spent since `since` whose balance would last the fewest days at that
/// rate (balance over spend, smallest first).
pub async fn soonest_out(db: &Db, since: i64, limit: i64) -> Result<Vec<SpenderRow>, sqlx::Error> {
    sqlx::query_as(
        "select d.user_id, u.email, u.balance_units, cast(sum(d.spend_units) as bigint) as spend_units \
         from customer_day d join app_user u on u.user_id = d.user_id where d.day >= $1 \
         group by d.user_id, u.email, u.balance_units having sum(d.spend_units) > 0 \
         order by u.balance_units * 1.0 / sum(d.spend_units), d.user_id limit $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}
