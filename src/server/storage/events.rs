//! The `event` table: recent live-update events, for streams that resume after a disconnect.
//! Streams see events by `position`, which follows commit order (the migration
//! `event_position` says why): on SQLite an event takes the next position as it is inserted
//! (one writer at a time); on PostgreSQL it is inserted without one and [`sequence`] gives
//! the committed ones theirs.

use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub position: i64,
    pub user_id: i64,
    pub kind: String,
    pub data: String,
    pub created_at: i64,
}

const COLUMNS: &str = "position, user_id, kind, data, created_at";

/// Stores an event; its position, where it has one already (SQLite).
pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: &str,
    data: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "insert into event (user_id, kind, data, created_at) values ($1, $2, $3, $4) \
         returning event_id",
    )
    .bind(user_id)
    .bind(kind)
    .bind(data)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    // The customer's webhooks that take it get it too, queued in the same transaction.
    if crate::domain::webhook::EVENTS.contains(&kind) {
        let payload = crate::domain::webhook::payload(&format!("evt_{id}"), kind, now, data);
        super::webhooks::enqueue_event(&mut *conn, user_id, kind, &payload, now).await?;
    }
    if conn.backend_name() == "PostgreSQL" {
        return Ok(None);
    }
    // One writer at a time: ids are taken in commit order, and never again after a prune
    // (`autoincrement`), so the id is the position.
    sqlx::query("update event set position = event_id where event_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(Some(id))
}

/// The advisory lock held by the one transaction giving positions at a time ("namaskah").
const SEQUENCER_LOCK: i64 = 0x6e61_6d61_736b_6168;

/// PostgreSQL: gives every committed event without a position the next ones, in one
/// transaction at a time across every instance; the newest position given, if any. Whoever
/// sequences next waits for the lock and then sees these committed, so positions are given in
/// commit order and no committed position is ever below one that was visible before it. The
/// sequence only moves forward, so positions are never given twice, even once every event
/// has been pruned. A `namaskah_event` notification goes out with the commit.
pub async fn sequence(pool: &sqlx::AnyPool) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Each statement sees what committed before it (whatever the server's default), and a
    // holder that froze with the lock cannot stop every instance for longer than this.
    sqlx::query("set transaction isolation level read committed")
        .execute(&mut *tx)
        .await?;
    sqlx::query("set local lock_timeout = '5s'")
        .execute(&mut *tx)
        .await?;
    // A holder that froze mid-way (a paused machine) loses its session, and the lock.
    sqlx::query("set local idle_in_transaction_session_timeout = '5s'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(SEQUENCER_LOCK)
        .execute(&mut *tx)
        .await?;
    let waiting: bool =
        sqlx::query_scalar("select exists (select 1 from event where position is null)")
            .fetch_one(&mut *tx)
            .await?;
    if !waiting {
        tx.commit().await?;
        return Ok(None);
    }
    // One block of positions, given in id order: a transaction's own events keep the order it
    // stored them in.
    let newest: Option<i64> = sqlx::query_scalar(
        "with waiting as (select event_id, row_number() over (order by event_id) as n \
         from event where position is null), \
         base as (select nextval('event_position_seq') - 1 as top), \
         given as (update event e set position = base.top + waiting.n from waiting, base \
         where e.event_id = waiting.event_id returning e.position) \
         select max(position) from given",
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(p) = newest {
        sqlx::query("select setval('event_position_seq', $1)")
            .bind(p)
            .execute(&mut *tx)
            .await?;
        sqlx::query("select pg_notify('namaskah_event', $1)")
            .bind(p.to_string())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(newest)
}

/// The newest position given (0 if none).
pub async fn latest_position<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select coalesce(max(position), 0) from event")
        .fetch_one(db)
        .await
}

/// The oldest and the newest position still stored (0 and 0 if none): a stream resuming from
/// before the oldest may have missed events that were pruned, and one from past the newest
/// saw positions of a database since restored from a backup.
pub async fn positions<'e>(
    db: impl Executor<'e, Database = Any>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("select coalesce(min(position), 0), coalesce(max(position), 0) from event")
        .fetch_one(db)
        .await
}

/// A user's events after position `after`, oldest first.
pub async fn since<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from event where user_id = $1 and position > $2 \
         order by position limit $3"
    ))
    .bind(user_id)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Everyone's events after position `after`, oldest first (what an instance hands its own
/// streams).
pub async fn after<'e>(
    db: impl Executor<'e, Database = Any>,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from event where position > $1 order by position limit $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Forgets events older than `before`.
pub async fn prune<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from event where created_at < $1")
        .bind(before)
        .execute(db)
        .await?
        .rows_affected())
}
