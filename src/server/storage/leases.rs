//! Work claims for background jobs: a row claimed by one instance is not claimed by another
//! until its lease runs out (`for update skip locked` on PostgreSQL; on SQLite, which has one
//! writer at a time, the conditional update does the same).

use super::{Backend, Db};

/// Which rows of a table a job may claim.
pub struct Claimable<'a> {
    pub table: &'static str,
    pub id: &'static str,
    /// Rows still in play, e.g. `status = 'active'`.
    pub open: &'static str,
    /// When a row is due, with `{horizon}` where the time goes, e.g. `expires_at <= {horizon}`.
    pub due: &'a str,
    /// Most urgent first, e.g. `expires_at`.
    pub order: &'static str,
}

/// Claims up to `limit` rows due by `horizon` for `lease_ms`; their ids.
pub async fn claim(
    db: &Db,
    c: &Claimable<'_>,
    now: i64,
    horizon: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let Claimable {
        table,
        id,
        open,
        due,
        order,
    } = c;
    let free = "(lease_until is null or lease_until < $1)";
    // A read first: an idle pass costs no write (on SQLite every UPDATE takes the write lock,
    // even one that changes nothing).
    let probe = format!(
        "select {id} from {table} where {open} and {} and {free} limit 1",
        due.replace("{horizon}", "$2")
    );
    let due_now: Option<i64> = sqlx::query_scalar(&probe)
        .bind(now)
        .bind(horizon)
        .fetch_optional(&db.pool)
        .await?;
    if due_now.is_none() {
        return Ok(Vec::new());
    }
    let pick = format!(
        "select {id} from {table} where {open} and {} and {free} order by {order} limit $4",
        due.replace("{horizon}", "$2")
    );
    let sql = match db.backend {
        // The pick runs once, as a materialized CTE: in `where id in (select … limit n for
        // update skip locked)` PostgreSQL may plan a nested-loop semi-join that runs the
        // subquery again for every outer row, and then claims every due row, not n.
        Backend::Postgres => format!(
            "with picked as materialized ({pick} for update skip locked) \
             update {table} set lease_until = $3 from picked \
             where {table}.{id} = picked.{id} and {open} and {free} returning {table}.{id}"
        ),
        Backend::Sqlite => format!(
            "update {table} set lease_until = $3 where {id} in ({pick}) \
             and {open} and {free} returning {id}"
        ),
    };
    sqlx::query_scalar(&sql)
        .bind(now)
        .bind(horizon)
        .bind(now + lease_ms)
        .bind(limit)
        .fetch_all(&db.pool)
        .await
}

/// Gives a claimed row back, with when it should next be polled (unchanged if `None`), if the
/// claim that leased it until `held_until` still holds it.
pub async fn release(
    db: &Db,
    table: &'static str,
    id_column: &'static str,
    held_until: i64,
    id: i64,
    next_poll_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    release_all(db, table, id_column, held_until, &[(id, next_poll_at)]).await
}

/// Gives back several rows of one claim (the one that leased them until `held_until`) in one
/// transaction, each with when it should next be polled (unchanged if `None`). A row whose
/// lease ran out and was claimed again elsewhere is left to its new holder.
pub async fn release_all(
    db: &Db,
    table: &'static str,
    id_column: &'static str,
    held_until: i64,
    rows: &[(i64, Option<i64>)],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "update {table} set lease_until = null, next_poll_at = coalesce($2, next_poll_at) \
         where {id_column} = $1 and lease_until = $3"
    );
    let mut tx = db.begin_write().await?;
    for (id, next_poll_at) in rows {
        sqlx::query(&sql)
            .bind(id)
            .bind(next_poll_at)
            .bind(held_until)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Claims the singleton job `name` until `until` if no instance is running it and its next
/// run is due; true if this call got it.
pub async fn claim_job(db: &Db, name: &str, now: i64, until: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into job_lease (name, lease_until, next_at) values ($1, $3, $2) \
         on conflict (name) do update set lease_until = excluded.lease_until \
         where job_lease.lease_until <= $2 and job_lease.next_at <= $2",
    )
    .bind(name)
    .bind(now)
    .bind(until)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a run of the singleton job `name`; the next scheduled run is due at `next_at`.
pub async fn finish_job(db: &Db, name: &str, now: i64, next_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update job_lease set lease_until = $2, next_at = $3 where name = $1")
        .bind(name)
        .bind(now)
        .bind(next_at)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The singleton jobs' leases: name, held until, next run due.
pub async fn jobs(db: &Db) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query_as("select name, lease_until, next_at from job_lease order by name")
        .fetch_all(&db.pool)
        .await
}

/// What a poller has before it in `table`: rows open (`open`), those whose poll is due by
/// `now` and not claimed, and the earliest due time among them.
pub async fn backlog(
    db: &Db,
    table: &'static str,
    open: &'static str,
    now: i64,
) -> Result<(i64, i64, Option<i64>), sqlx::Error> {
    let open_count: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where {open}"))
        .fetch_one(&db.pool)
        .await?;
    let (overdue, oldest): (i64, Option<i64>) = sqlx::query_as(&format!(
        "select count(*), min(next_poll_at) from {table} where {open} and next_poll_at <= $1 \
         and (lease_until is null or lease_until < $1)"
    ))
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok((open_count, overdue, oldest))
}
