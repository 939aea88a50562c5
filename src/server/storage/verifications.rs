//! The `verification` and `verification_message` tables.
//!
//! Every state change is one conditional UPDATE on the row's current status, so when the
//! poller, the expiry job and a customer's cancel race, exactly one of them wins.

use super::history::{self, Columns, HistoryFilter};
use super::leases::{self, Claimable};
use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct VerificationRow {
    pub verification_id: i64,
    pub user_id: i64,
    pub provider: String,
    pub provider_order_id: String,
    pub phone_number: String,
    pub service_name: String,
    pub country_code: String,
    pub operator: Option<String>,
    pub status: String,
    pub cost: i64,
    pub code: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub reused_from: Option<i64>,
    pub message_count: i64,
    pub revision: i64,
    /// When the poller is next due to ask the provider.
    pub next_poll_at: i64,
    /// What the provider charged for it, where it said.
    pub provider_cost: Option<i64>,
    /// When its first SMS came (the provider's time).
    pub first_sms_at: Option<i64>,
}

const COLUMNS: &str = "v.verification_id, v.user_id, v.provider, v.provider_order_id, v.phone_number, \
    v.service_name, v.country_code, v.operator, v.status, v.cost, v.code, v.created_at, v.expires_at, \
    v.updated_at, v.finished_at, v.reused_from, v.revision, v.next_poll_at, v.provider_cost, v.first_sms_at, \
    (select count(*) from verification_message m where m.verification_id = v.verification_id) as message_count";

pub struct NewVerificationRow<'a> {
    pub user_id: i64,
    pub provider: &'a str,
    pub provider_order_id: &'a str,
    pub phone_number: &'a str,
    pub service_name: &'a str,
    pub country_code: &'a str,
    pub operator: Option<&'a str>,
    pub cost: i64,
    pub now: i64,
    pub expires_at: i64,
    pub reused_from: Option<i64>,
    /// What the provider charged, where it said.
    pub provider_cost: Option<i64>,
}

/// `(service, country, how many)` of the user's verifications since `since` that were not
/// refunded.
pub async fn bought_since<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    since: i64,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select service_name, country_code, count(*) from verification \
         where user_id = $1 and created_at >= $2 and status not in ('cancelled', 'timed_out') \
         group by service_name, country_code",
    )
    .bind(user_id)
    .bind(since)
    .fetch_all(db)
    .await
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    v: NewVerificationRow<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into verification (user_id, provider, provider_order_id, phone_number, service_name, \
         country_code, operator, status, cost, created_at, expires_at, updated_at, reused_from, next_poll_at, \
         provider_cost) \
         values ($1, $2, $3, $4, $5, $6, $7, 'waiting', $8, $9, $10, $9, $11, $9, $12) returning verification_id",
    )
    .bind(v.user_id)
    .bind(v.provider)
    .bind(v.provider_order_id)
    .bind(v.phone_number)
    .bind(v.service_name)
    .bind(v.country_code)
    .bind(v.operator)
    .bind(v.cost)
    .bind(v.now)
    .bind(v.expires_at)
    .bind(v.reused_from)
    .bind(v.provider_cost)
    .fetch_one(db)
    .await
}

/// The verification bought as `provider`'s order `order_id`.
pub async fn find_by_order<'e>(
    db: impl Executor<'e, Database = Any>,
    provider: &str,
    order_id: &str,
) -> Result<Option<VerificationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from verification v where v.provider = $1 and v.provider_order_id = $2"
    ))
    .bind(provider)
    .bind(order_id)
    .fetch_optional(db)
    .await
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Option<VerificationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from verification v where v.verification_id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks the verification's row until the transaction ends (see `rentals::lock`); false if
/// there is no such verification.
pub async fn lock<'e>(db: impl Executor<'e, Database = Any>, id: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("update verification set updated_at = updated_at where verification_id = $1")
            .bind(id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find_owned<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<Option<VerificationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from verification v where v.verification_id = $1 and v.user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Where the history filters look in `verification`; the search covers the number, the code
/// and the text of its messages.
const HISTORY: Columns = Columns {
    from: "from verification v",
    owner: "v.user_id",
    status: "v.status",
    service: "v.service_name",
    country: "v.country_code",
    provider: "v.provider",
    created: "v.created_at",
    search: "lower(v.phone_number) like ? escape '\\' or lower(coalesce(v.code, '')) like ? escape '\\' \
             or exists (select 1 from verification_message m where m.verification_id = v.verification_id \
             and lower(m.text) like ? escape '\\')",
    order: "v.verification_id desc",
};

/// A page of `owner`'s verifications (everyone's for operators), newest first, and how many match in all.
pub async fn history(
    db: &sqlx::AnyPool,
    owner: Option<i64>,
    f: &HistoryFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<VerificationRow>, i64), sqlx::Error> {
    history::page(db, &HISTORY, COLUMNS, owner, f, limit, offset).await
}

/// The user's verifications that are still open (waiting or received), newest first.
pub async fn open<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<VerificationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from verification v where v.user_id = $1 \
         and v.status in ('waiting', 'received') order by v.verification_id desc"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Finishes a verification that has received its code; false if it was no longer
/// `received` (another request or job got there first).
pub async fn mark_finished<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update verification set status = 'finished', updated_at = $2, finished_at = $2, \
         revision = revision + 1 \
         where verification_id = $1 and status = 'received'",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Notes that the customer asked for another code while the verification had `messages`
/// messages (the SMS-Activate protocol's `setStatus=3`); false unless it is theirs and has
/// received a code.
pub async fn mark_retry<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
    messages: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update verification set retry_after_messages = $3 \
         where verification_id = $1 and user_id = $2 and status = 'received'",
    )
    .bind(id)
    .bind(user_id)
    .bind(messages)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// How many messages the verification had when another code was last asked for, if it was.
pub async fn retry_mark<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select retry_after_messages from verification where verification_id = $1 and user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// Cancels a verification that is waiting and has no message (noting when its upstream order
/// was closed, if it was); false otherwise.
pub async fn cancel_if_unused<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
    to: &str,
    upstream_closed_at: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update verification set status = $3, updated_at = $2, finished_at = $2, \
         upstream_closed_at = $4, revision = revision + 1 \
         where verification_id = $1 and status = 'waiting' \
         and not exists (select 1 from verification_message m where m.verification_id = $1)",
    )
    .bind(id)
    .bind(now)
    .bind(to)
    .bind(upstream_closed_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records a received message's code on a waiting or received verification, moving it to
/// `received`; false if it is already closed.
pub async fn record_code<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    code: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update verification set status = 'received', code = coalesce($2, code), updated_at = $3, \
         revision = revision + 1 \
         where verification_id = $1 and status in ('waiting', 'received')",
    )
    .bind(id)
    .bind(code)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// What a job looks for.
#[derive(Clone, Copy, Debug)]
pub enum Due {
    /// Open verifications whose next poll is due.
    Poll,
    /// Open verifications past the provider's deadline.
    Expiry,
}

/// Claims up to `limit` due verifications for `lease_ms` (see `leases`).
pub async fn claim_due(
    db: &super::Db,
    due: Due,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<VerificationRow>, sqlx::Error> {
    let claimable = Claimable {
        table: "verification",
        id: "verification_id",
        open: "status in ('waiting', 'received')",
        due: match due {
            Due::Poll => "next_poll_at <= {horizon}",
            Due::Expiry => "expires_at <= {horizon}",
        },
        order: "expires_at",
    };
    let ids = leases::claim(db, &claimable, now, now, lease_ms, limit).await?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = find(&db.pool, id).await? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Gives a claimed row back (if the claim that leased it until `held_until` still holds it),
/// with when it should next be polled.
pub async fn unlease(
    db: &super::Db,
    held_until: i64,
    id: i64,
    next_poll_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    leases::release(
        db,
        "verification",
        "verification_id",
        held_until,
        id,
        next_poll_at,
    )
    .await
}

/// Gives back claimed verifications in one transaction, each with when it is next due.
pub async fn unlease_all(
    db: &super::Db,
    held_until: i64,
    rows: &[(i64, Option<i64>)],
) -> Result<(), sqlx::Error> {
    leases::release_all(db, "verification", "verification_id", held_until, rows).await
}

#[derive(Debug, Clone, FromRow)]
pub struct MessageRow {
    pub verification_message_id: i64,
    pub sender: String,
    pub text: String,
    pub code: Option<String>,
    pub received_at: i64,
}

/// Stores a message unless it is already there; its id when it is new.
/// When the verification's earliest stored message came (the provider's time).
pub async fn first_message_at<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "select min(received_at) from verification_message where verification_id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await
}

/// Notes the verification's first SMS at `now`; false if it had one already.
pub async fn mark_first_sms<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update verification set first_sms_at = $2 where verification_id = $1 and first_sms_at is null",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_message<'e>(
    db: impl Executor<'e, Database = Any>,
    verification_id: i64,
    provider_message_id: &str,
    sender: &str,
    text: &str,
    code: Option<&str>,
    received_at: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "insert into verification_message (verification_id, provider_message_id, sender, text, code, received_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict (verification_id, provider_message_id) do nothing \
         returning verification_message_id",
    )
    .bind(verification_id)
    .bind(provider_message_id)
    .bind(sender)
    .bind(text)
    .bind(code)
    .bind(received_at)
    .fetch_optional(db)
    .await
}

/// A verification's messages, newest first.
pub async fn messages<'e>(
    db: impl Executor<'e, Database = Any>,
    verification_id: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    sqlx::query_as(
        "select verification_message_id, sender, text, code, received_at from verification_message \
         where verification_id = $1 order by received_at desc, verification_message_id desc",
    )
    .bind(verification_id)
    .fetch_all(db)
    .await
}

/// Notes that a verification's upstream order has been closed (or was over already).
pub async fn mark_upstream_closed<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update verification set upstream_closed_at = $2 where verification_id = $1 \
         and status in ('finished', 'cancelled', 'timed_out')",
    )
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Verifications that ended here before `before` whose upstream order may still be open.
pub async fn upstream_open_before<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
    limit: i64,
) -> Result<Vec<VerificationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from verification v where v.upstream_closed_at is null \
         and v.status in ('finished', 'cancelled', 'timed_out') and v.updated_at < $1 \
         order by v.updated_at limit $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}
