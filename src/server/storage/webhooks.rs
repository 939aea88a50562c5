//! Customers' webhooks: `webhook_endpoint` (where to send which events, and the secret that
//! signs them) and `webhook_delivery` (one event to one endpoint, with its attempts).

use super::leases::{self, Claimable};
use super::Db;
use sqlx::{Any, AnyConnection, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct EndpointRow {
    pub webhook_endpoint_id: i64,
    pub user_id: i64,
    pub url: String,
    pub secret: String,
    pub events: String,
    pub description: String,
    pub enabled: i64,
    pub consecutive_failures: i64,
    pub failing_since: Option<i64>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ENDPOINT: &str = "webhook_endpoint_id, user_id, url, secret, events, description, enabled, \
     consecutive_failures, failing_since, disabled_reason, created_at, updated_at";

/// A failure this long after the one before starts a new run of failures.
const QUIET_MS: i64 = 12 * 3_600_000;

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub webhook_delivery_id: i64,
    pub webhook_endpoint_id: i64,
    pub user_id: i64,
    pub event_kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i64>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

const DELIVERY: &str = "webhook_delivery_id, webhook_endpoint_id, user_id, event_kind, payload, \
     status, attempts, next_attempt_at, last_status_code, last_error, last_latency_ms, \
     created_at, delivered_at";

pub struct NewEndpoint<'a> {
    pub user_id: i64,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a str,
    pub description: &'a str,
}

pub async fn insert_endpoint<'e>(
    db: impl Executor<'e, Database = Any>,
    e: &NewEndpoint<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into webhook_endpoint (user_id, url, secret, events, description, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $6) returning webhook_endpoint_id",
    )
    .bind(e.user_id)
    .bind(e.url)
    .bind(e.secret)
    .bind(e.events)
    .bind(e.description)
    .bind(now)
    .fetch_one(db)
    .await
}

pub async fn count_endpoints<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from webhook_endpoint where user_id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
}

pub async fn endpoints<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Vec<EndpointRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {ENDPOINT} from webhook_endpoint where user_id = $1 order by webhook_endpoint_id"
    ))
    .bind(user_id)
    .fetch_all(db)
    .await
}

pub async fn endpoint_owned<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<Option<EndpointRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {ENDPOINT} from webhook_endpoint where webhook_endpoint_id = $1 and user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// What a change sets; `None` leaves a setting as it is.
pub struct EndpointChange<'a> {
    pub url: Option<&'a str>,
    pub events: Option<&'a str>,
    pub description: Option<&'a str>,
    pub enabled: Option<bool>,
    pub secret: Option<&'a str>,
}

/// Changes what `change` names, and only that, in one statement (a change made meanwhile by
/// the delivery job or another request is kept). Turning an endpoint back on forgets its
/// failures. False if it is not the user's.
pub async fn change_endpoint<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
    change: &EndpointChange<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let turned_on = change.enabled == Some(true);
    let done = sqlx::query(
        "update webhook_endpoint set url = coalesce($3, url), events = coalesce($4, events), \
         description = coalesce($5, description), enabled = coalesce($6, enabled), \
         secret = coalesce($7, secret), \
         consecutive_failures = case when $8 = 1 and enabled = 0 then 0 else consecutive_failures end, \
         failing_since = case when $8 = 1 and enabled = 0 then null else failing_since end, \
         disabled_reason = case when $8 = 1 then null else disabled_reason end, \
         updated_at = $9 \
         where webhook_endpoint_id = $1 and user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .bind(change.url)
    .bind(change.events)
    .bind(change.description)
    .bind(change.enabled.map(i64::from))
    .bind(change.secret)
    .bind(i64::from(turned_on))
    .bind(now)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete_endpoint<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("delete from webhook_endpoint where webhook_endpoint_id = $1 and user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(db)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// Queues `payload` (an event of `kind`) for every enabled endpoint of the user's that takes
/// it, in the transaction that stores the event. Returns how many.
pub async fn enqueue_event(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "insert into webhook_delivery \
         (webhook_endpoint_id, user_id, event_kind, payload, status, next_attempt_at, created_at) \
         select webhook_endpoint_id, user_id, $2, $3, 'pending', $4, $4 from webhook_endpoint \
         where user_id = $1 and enabled = 1 \
         and (',' || events || ',') like ('%,' || $2 || ',%')",
    )
    .bind(user_id)
    .bind(kind)
    .bind(payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Queues one delivery to one endpoint (a test event, a redelivery); its id.
pub async fn enqueue<'e>(
    db: impl Executor<'e, Database = Any>,
    endpoint: &EndpointRow,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into webhook_delivery \
         (webhook_endpoint_id, user_id, event_kind, payload, status, next_attempt_at, created_at) \
         values ($1, $2, $3, $4, 'pending', $5, $5) returning webhook_delivery_id",
    )
    .bind(endpoint.webhook_endpoint_id)
    .bind(endpoint.user_id)
    .bind(kind)
    .bind(payload)
    .bind(now)
    .fetch_one(db)
    .await
}

/// The endpoint's deliveries, newest first, below `before` if given.
pub async fn deliveries<'e>(
    db: impl Executor<'e, Database = Any>,
    endpoint_id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DELIVERY} from webhook_delivery where webhook_endpoint_id = $1 \
         and ($2 is null or webhook_delivery_id < $2) order by webhook_delivery_id desc limit $3"
    ))
    .bind(endpoint_id)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn delivery_owned<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    id: i64,
) -> Result<Option<DeliveryRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DELIVERY} from webhook_delivery where webhook_delivery_id = $1 and user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Claims up to `limit` deliveries due by `now` for `lease_ms`; with their endpoints.
pub async fn claim_due(
    db: &Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<(DeliveryRow, EndpointRow)>, sqlx::Error> {
    let claimable = Claimable {
        table: "webhook_delivery",
        id: "webhook_delivery_id",
        open: "status = 'pending'",
        due: "next_attempt_at <= {horizon}",
        order: "next_attempt_at",
    };
    let ids = leases::claim(db, &claimable, now, now, lease_ms, limit).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = super::placeholders(1, ids.len());
    let sql = format!(
        "select {DELIVERY} from webhook_delivery where webhook_delivery_id in ({list}) \
         order by next_attempt_at"
    );
    let mut deliveries = sqlx::query_as::<_, DeliveryRow>(&sql);
    for id in &ids {
        deliveries = deliveries.bind(id);
    }
    let deliveries = deliveries.fetch_all(&db.pool).await?;
    // Claimed, then deleted with their endpoint meanwhile: nothing to send.
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let mut endpoint_ids: Vec<i64> = deliveries.iter().map(|d| d.webhook_endpoint_id).collect();
    endpoint_ids.sort_unstable();
    endpoint_ids.dedup();
    let list = super::placeholders(1, endpoint_ids.len());
    let sql =
        format!("select {ENDPOINT} from webhook_endpoint where webhook_endpoint_id in ({list})");
    let mut endpoints = sqlx::query_as::<_, EndpointRow>(&sql);
    for id in &endpoint_ids {
        endpoints = endpoints.bind(id);
    }
    let endpoints = endpoints.fetch_all(&db.pool).await?;
    Ok(deliveries
        .into_iter()
        .filter_map(|d| {
            let endpoint = endpoints
                .iter()
                .find(|e| e.webhook_endpoint_id == d.webhook_endpoint_id)?
                .clone();
            Some((d, endpoint))
        })
        .collect())
}

/// What one attempt came to.
pub struct Attempt<'a> {
    pub status_code: Option<i64>,
    pub error: Option<&'a str>,
    pub latency_ms: i64,
    /// `delivered`, `failed` (given up), or `pending` (to be tried at `next_attempt_at`).
    pub status: &'a str,
    pub next_attempt_at: Option<i64>,
}

/// Records an attempt of a claimed delivery and gives it back, if the claim that leased it
/// until `held_until` still holds it; and counts its endpoint's failures in a row (a success
/// resets them). `None` if the claim was lost; else when the endpoint's run of failures began
/// (`None` after a success) and how many it has had.
pub async fn record_attempt(
    db: &Db,
    delivery: &DeliveryRow,
    held_until: i64,
    a: &Attempt<'_>,
    now: i64,
) -> Result<Option<(Option<i64>, i64)>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "update webhook_delivery set attempts = attempts + 1, status = $3, next_attempt_at = $4, \
         last_status_code = $5, last_error = $6, last_latency_ms = $7, lease_until = null, \
         delivered_at = case when $3 = 'delivered' then $8 else delivered_at end \
         where webhook_delivery_id = $1 and lease_until = $2",
    )
    .bind(delivery.webhook_delivery_id)
    .bind(held_until)
    .bind(a.status)
    .bind(a.next_attempt_at)
    .bind(a.status_code)
    .bind(a.error)
    .bind(a.latency_ms)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let run: Option<(Option<i64>, i64)> = if a.status == "delivered" {
        sqlx::query_as(
            "update webhook_endpoint set consecutive_failures = 0, failing_since = null, \
             last_failed_at = null where webhook_endpoint_id = $1 \
             returning failing_since, consecutive_failures",
        )
        .bind(delivery.webhook_endpoint_id)
        .fetch_optional(&mut *tx)
        .await?
    } else {
        // A failure long after the last one (the endpoint was quiet) starts a new run.
        sqlx::query_as(
            "update webhook_endpoint set \
             consecutive_failures = case when last_failed_at is null or last_failed_at < $3 \
               then 1 else consecutive_failures + 1 end, \
             failing_since = case when last_failed_at is null or last_failed_at < $3 \
               then $2 else coalesce(failing_since, $2) end, \
             last_failed_at = $2 \
             where webhook_endpoint_id = $1 returning failing_since, consecutive_failures",
        )
        .bind(delivery.webhook_endpoint_id)
        .bind(now)
        .bind(now - QUIET_MS)
        .fetch_optional(&mut *tx)
        .await?
    };
    tx.commit().await?;
    // (An endpoint deleted meanwhile: no run.)
    Ok(Some(run.unwrap_or((None, 0))))
}

/// Turns an endpoint off (too many failures in a row), and gives up its pending deliveries;
/// true if it was on.
pub async fn disable(
    conn: &mut AnyConnection,
    endpoint_id: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update webhook_endpoint set enabled = 0, disabled_reason = $2, updated_at = $3 \
         where webhook_endpoint_id = $1 and enabled = 1",
    )
    .bind(endpoint_id)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query(
        "update webhook_delivery set status = 'failed', next_attempt_at = null, \
         last_error = coalesce(last_error, $2) \
         where webhook_endpoint_id = $1 and status = 'pending' and lease_until is null",
    )
    .bind(endpoint_id)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Forgets deliveries that are done with (delivered or given up) and were queued before
/// `before`.
pub async fn prune<'e>(
    db: impl Executor<'e, Database = Any>,
    before: i64,
) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("delete from webhook_delivery where status <> 'pending' and created_at < $1")
            .bind(before)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}
