//! The `rentals` and `rental_messages` tables.

use super::history::{self, Columns, HistoryFilter};
use super::leases::{self, Claimable};
use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct RentalRow {
    pub id: i64,
    pub user_id: i64,
    pub phone_number: String,
    pub service_name: String,
    pub country_code: String,
    pub expires_at: i64,
    pub created_at: i64,
    pub status: String,
    pub cost: i64,
    pub provider: String,
    pub provider_order_id: String,
    pub operator: Option<String>,
    pub duration_hours: i32,
    pub original_hours: i32,
    pub hourly_price: String,
    /// 1 or 0.
    pub auto_renew: i32,
    pub upstream_expires_at: i64,
    pub released_at: Option<i64>,
    pub updated_at: i64,
    pub message_count: i32,
    pub read_count: i32,
    pub last_code: Option<String>,
    pub revision: i64,
    /// When the poller is next due to ask the provider for its messages.
    pub next_poll_at: i64,
}

const COLUMNS: &str = "r.id, r.user_id, r.phone_number, r.service_name, r.country_code, r.expires_at, \
    r.created_at, r.status, r.cost, r.provider, r.provider_order_id, r.operator, r.duration_hours, \
    r.original_hours, r.hourly_price, r.auto_renew, r.upstream_expires_at, r.released_at, r.updated_at, \
    r.read_count, r.message_count, r.last_code, r.revision, r.next_poll_at";

pub struct NewRentalRow<'a> {
    pub user_id: i64,
    pub phone_number: &'a str,
    pub service_name: &'a str,
    pub country_code: &'a str,
    pub expires_at: i64,
    pub now: i64,
    pub cost: i64,
    pub provider: &'a str,
    pub provider_order_id: &'a str,
    pub operator: Option<&'a str>,
    pub hours: i32,
    pub hourly_price: &'a str,
    pub auto_renew: bool,
    pub upstream_expires_at: i64,
    /// What the provider charged, where it said.
    pub provider_cost: Option<i64>,
}

pub async fn insert(conn: &mut AnyConnection, r: NewRentalRow<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into rentals (user_id, phone_number, service_name, country_code, expires_at, created_at, \
         status, cost, provider, provider_order_id, operator, duration_hours, original_hours, hourly_price, \
         auto_renew, upstream_expires_at, updated_at, next_poll_at, provider_cost) \
         values ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $11, $11, $12, $13, $14, $6, $6, $15) \
         returning id",
    )
    .bind(r.user_id)
    .bind(r.phone_number)
    .bind(r.service_name)
    .bind(r.country_code)
    .bind(r.expires_at)
    .bind(r.now)
    .bind(r.cost)
    .bind(r.provider)
    .bind(r.provider_order_id)
    .bind(r.operator)
    .bind(r.hours)
    .bind(r.hourly_price)
    .bind(i32::from(r.auto_renew))
    .bind(r.upstream_expires_at)
    .bind(r.provider_cost)
    .fetch_one(conn)
    .await
}

/// One rental, only if it belongs to `user_id`.
pub async fn find_owned<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<Option<RentalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from rentals r where r.id = $1 and r.user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Option<RentalRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from rentals r where r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Locks the rental's row until the transaction ends (PostgreSQL; a SQLite write transaction
/// holds the whole database), so a release and its refund cannot interleave with the caller.
/// Changes nothing; false if there is no such rental.
pub async fn lock<'e>(db: impl Executor<'e, Database = Any>, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update rentals set updated_at = updated_at where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The rental bought as `provider`'s order `order_id`.
pub async fn find_by_order<'e>(
    db: impl Executor<'e, Database = Any>,
    provider: &str,
    order_id: &str,
) -> Result<Option<RentalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from rentals r where r.provider = $1 and r.provider_order_id = $2"
    ))
    .bind(provider)
    .bind(order_id)
    .fetch_optional(db)
    .await
}

/// Each of the user's active rentals, with when its last message arrived (`None`: none yet).
pub async fn last_message_of_active<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<(i64, Option<i64>)>, sqlx::Error> {
    sqlx::query_as(
        "select r.id, (select max(m.received_at) from rental_messages m where m.rental_id = r.id) \
         from rentals r where r.user_id = $1 and r.status = 'active'",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

pub async fn active_for<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<RentalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from rentals r where r.user_id = $1 and r.status = 'active' order by r.expires_at, r.id"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Where the history filters look in `rentals`; the search covers the number and the text
/// of its messages.
const HISTORY: Columns = Columns {
    from: "from rentals r",
    owner: "r.user_id",
    status: "r.status",
    service: "r.service_name",
    country: "r.country_code",
    provider: "r.provider",
    created: "r.created_at",
    search: "lower(r.phone_number) like ? escape '\\' or exists (select 1 from rental_messages m \
             where m.rental_id = r.id and lower(m.text) like ? escape '\\')",
    order: "r.created_at desc, r.id desc",
};

/// A page of `owner`'s rentals (everyone's for operators), newest first, and how many match in all.
pub async fn history(
    db: &sqlx::AnyPool,
    owner: Option<i64>,
    f: &HistoryFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<RentalRow>, i64), sqlx::Error> {
    history::page(db, &HISTORY, COLUMNS, owner, f, limit, offset).await
}

/// Marks an active rental released if it still ends at `expires_at` (the end its refund was
/// worked out from); false when it is no longer active or was extended meanwhile.
pub async fn mark_released(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update rentals set status = 'released', released_at = $2, updated_at = $2, lease_until = null, \
         revision = revision + 1 \
         where id = $1 and status = 'active' and expires_at = $3",
    )
    .bind(id)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an active rental expired once its time is up; false when it was not due or not active.
pub async fn mark_expired(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update rentals set status = 'expired', updated_at = $2, lease_until = null, revision = revision + 1 \
         where id = $1 and status = 'active' and expires_at <= $2",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the end of an active rental, adding what was paid; false if it changed meanwhile.
/// Adds `hours` (paid `paid`) to an active rental still ending at `old_expires_at`; where the
/// provider extended its order too, `upstream_expires_at` is the order's new end.
#[allow(clippy::too_many_arguments)]
pub async fn extend(
    conn: &mut AnyConnection,
    id: i64,
    old_expires_at: i64,
    new_expires_at: i64,
    upstream_expires_at: Option<i64>,
    hours: i32,
    paid: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update rentals set expires_at = $3, duration_hours = duration_hours + $4, cost = cost + $5, \
         warned_at = null, updated_at = $6, upstream_expires_at = coalesce($7, upstream_expires_at), \
         revision = revision + 1 \
         where id = $1 and status = 'active' and expires_at = $2",
    )
    .bind(id)
    .bind(old_expires_at)
    .bind(new_expires_at)
    .bind(hours)
    .bind(paid)
    .bind(now)
    .bind(upstream_expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_auto_renew<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
    on: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update rentals set auto_renew = $3, updated_at = $4, revision = revision + 1 \
         where id = $1 and user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(i32::from(on))
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_warned<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update rentals set warned_at = $2 where id = $1 and warned_at is null and status = 'active'")
        .bind(id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What a job looks for.
#[derive(Clone, Copy, Debug)]
pub enum Due {
    /// Active rentals whose next message poll is due.
    Poll,
    /// Active rentals past their end.
    Expiry,
    /// Active rentals with auto-renew on, ending within `ms`.
    Renewal { within_ms: i64 },
    /// Active rentals ending within `ms` that have not been warned.
    Warning { within_ms: i64 },
}

/// Claims up to `limit` due rentals for `lease_ms` (see `leases`).
pub async fn claim_due(
    db: &super::Db,
    due: Due,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<RentalRow>, sqlx::Error> {
    let (condition, horizon) = match due {
        Due::Poll => ("next_poll_at <= {horizon}", now),
        Due::Expiry => ("expires_at <= {horizon}", now),
        Due::Renewal { within_ms } => (
            "auto_renew = 1 and expires_at <= {horizon}",
            now + within_ms,
        ),
        Due::Warning { within_ms } => (
            "warned_at is null and expires_at <= {horizon}",
            now + within_ms,
        ),
    };
    let claimable = Claimable {
        table: "rentals",
        id: "id",
        open: "status = 'active'",
        due: condition,
        order: "expires_at",
    };
    let ids = leases::claim(db, &claimable, now, horizon, lease_ms, limit).await?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = find(&db.pool, id).await? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Gives back claimed rentals in one transaction, each with when it is next due.
pub async fn unlease_all(
    db: &super::Db,
    held_until: i64,
    rows: &[(i64, Option<i64>)],
) -> Result<(), sqlx::Error> {
    leases::release_all(db, "rentals", "id", held_until, rows).await
}

pub async fn turn_off_auto_renew<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update rentals set auto_renew = 0, updated_at = $2, revision = revision + 1 where id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub sender: String,
    pub text: String,
    pub code: Option<String>,
    pub received_at: i64,
}

/// The provider's ids of the messages already stored for a rental.
pub async fn known_message_ids<'e>(
    db: impl Executor<'e, Database = Any>,
    rental_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select provider_message_id from rental_messages where rental_id = $1")
        .bind(rental_id)
        .fetch_all(db)
        .await
}

/// Stores a message unless it is already there, and keeps the rental's message count and
/// newest code up to date in the same transaction; the message's id when it is new.
/// Notes the rental's first SMS at `now`; false if it had one already.
pub async fn mark_first_sms(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("update rentals set first_sms_at = $2 where id = $1 and first_sms_at is null")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_message(
    conn: &mut AnyConnection,
    rental_id: i64,
    provider_message_id: &str,
    sender: &str,
    text: &str,
    code: Option<&str>,
    received_at: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "insert into rental_messages (rental_id, provider_message_id, sender, text, code, received_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict (rental_id, provider_message_id) do nothing returning id",
    )
    .bind(rental_id)
    .bind(provider_message_id)
    .bind(sender)
    .bind(text)
    .bind(code)
    .bind(received_at)
    .fetch_optional(&mut *conn)
    .await?;
    if id.is_some() {
        sqlx::query(
            "update rentals set message_count = message_count + 1, revision = revision + 1, \
             last_code = case when $2 is not null and $3 >= coalesce(last_code_at, 0) then $2 else last_code end, \
             last_code_at = case when $2 is not null and $3 >= coalesce(last_code_at, 0) then $3 else last_code_at end \
             where id = $1",
        )
        .bind(rental_id)
        .bind(code)
        .bind(received_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Marks every message of the user's rental as seen; false if none was unseen.
pub async fn mark_read<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update rentals set read_count = message_count, revision = revision + 1 \
         where id = $1 and user_id = $2 and read_count <> message_count",
    )
    .bind(id)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn messages<'e>(
    db: impl Executor<'e, Database = Any>,
    rental_id: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, sender, text, code, received_at from rental_messages where rental_id = $1 \
         order by received_at desc, id desc",
    )
    .bind(rental_id)
    .fetch_all(db)
    .await
}

/// Notes that a rental's upstream order has been given back (or was over already).
pub async fn mark_upstream_closed<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update rentals set upstream_closed_at = $2 where id = $1 and status <> 'active'")
        .bind(id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Rentals that ended here before `before` whose upstream order may still be open.
pub async fn upstream_open_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
    limit: i64,
) -> Result<Vec<RentalRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from rentals r where r.upstream_closed_at is null \
         and r.status <> 'active' and r.updated_at < $1 order by r.updated_at limit $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}
