//! Customers' webhooks: endpoints (HTTPS URLs that take some of the account's events, each
//! with a secret), and the delivery of each event to each of them, signed, retried with
//! backoff for a day, recorded, and redeliverable. An endpoint failing for a day is turned off,
//! and its owner told.
//!
//! Deliveries are queued in the transaction that stores the event (`storage::events`), and
//! sent by the delivery job (`jobs::webhooks`), which claims them with leases: several
//! instances never send one twice at once.
//!
//! Addresses are checked against server-side request forgery: outside sandbox mode an
//! endpoint must be HTTPS and may not resolve to a loopback, private, link-local, shared or
//! metadata address, checked when it is saved and again, after DNS resolution, at each
//! delivery, which then connects to the addresses checked.

mod destination;

pub use destination::{check_destination, check_url, forbidden};

use super::audit::{self, Actor};
use super::notifications;
use crate::api::dto::{
    NewWebhook, WebhookChange, WebhookDeliveryList, WebhookDeliveryView, WebhookList, WebhookView,
};
use crate::domain::webhook::{self as rules, events_of, parse_events};
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::webhooks::{self as store, Attempt, DeliveryRow, EndpointRow};
use crate::server::ServerError;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::time::{Duration, Instant};

/// The most endpoints an account may have.
pub const MOST_ENDPOINTS: i64 = 10;
const MOST_DESCRIPTION_CHARS: usize = 200;
const MOST_URL_CHARS: usize = 2_000;
/// A delivery is tried for this long (from when it was queued), then given up.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3_600_000;
/// An endpoint whose deliveries have all failed for this long, at least
/// `DISABLE_AFTER_FAILURES` times, is turned off.
pub const DISABLE_AFTER_MS: i64 = 24 * 3_600_000;
pub const DISABLE_AFTER_FAILURES: i64 = 5;
/// Deliveries done with (delivered or given up) are kept this long, then forgotten.
pub const KEEP_DELIVERIES_MS: i64 = 30 * 24 * 3_600_000;
/// The longest one attempt may take, resolving included: well within the claim's lease.
const ATTEMPT_DEADLINE: Duration = Duration::from_secs(30);
/// The wait after the first failed attempt, doubled after each, up to `LONGEST_WAIT_MS`.
const FIRST_WAIT_MS: i64 = 30_000;
const LONGEST_WAIT_MS: i64 = 6 * 3_600_000;
/// How long an endpoint has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The header that carries the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "Namaskah-Signature";
/// How far from now a receiver should accept a signature's `t` (documented for receivers).
pub const TOLERANCE_SECS: i64 = 300;

fn view(row: EndpointRow, secret: bool) -> WebhookView {
    WebhookView {
        id: row.webhook_endpoint_id,
        url: row.url,
        events: events_of(&row.events),
        description: row.description,
        enabled: row.enabled != 0,
        disabled_reason: row.disabled_reason,
        consecutive_failures: row.consecutive_failures,
        secret: secret.then_some(row.secret),
        created_at: from_ms(row.created_at),
    }
}

fn delivery_view(row: DeliveryRow) -> WebhookDeliveryView {
    WebhookDeliveryView {
        id: row.webhook_delivery_id,
        webhook_id: row.webhook_endpoint_id,
        event: row.event_kind,
        status: row.status,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        last_latency_ms: row.last_latency_ms,
        next_attempt_at: row.next_attempt_at.map(from_ms),
        created_at: from_ms(row.created_at),
        delivered_at: row.delivered_at.map(from_ms),
        payload: row.payload,
    }
}

fn new_secret() -> String {
    super::secrets::random_token("whsec_", 24)
}

fn description(raw: Option<&str>) -> Result<String, ServerError> {
    let d = raw.unwrap_or_default().trim();
    if d.chars().count() > MOST_DESCRIPTION_CHARS {
        return Err(ServerError::validation(
            "description",
            format!("must be at most {MOST_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(d.to_owned())
}

/// The URL as it will be stored, once it is a URL we may send to.
async fn checked_url(state: &AppState, raw: &str) -> Result<String, ServerError> {
    let raw = raw.trim();
    if raw.chars().count() > MOST_URL_CHARS {
        return Err(ServerError::validation(
            "url",
            format!("must be at most {MOST_URL_CHARS} characters"),
        ));
    }
    let url = reqwest::Url::parse(raw)
        .map_err(|e| ServerError::validation("url", format!("is not a URL ({e})")))?;
    check_destination(&url, state.settings.sandbox())
        .await
        .map_err(|why| ServerError::validation("url", why))?;
    Ok(url.to_string())
}

/// Nothing is sent to an endpoint that is turned off.
fn refuse_if_off(row: &EndpointRow) -> Result<(), ServerError> {
    if row.enabled == 0 {
        return Err(ServerError::conflict(
            "this webhook is turned off: turn it on first",
        ));
    }
    Ok(())
}

async fn owned(state: &AppState, user_id: i64, id: i64) -> Result<EndpointRow, ServerError> {
    store::endpoint_owned(&state.db.pool, user_id, id)
        .await?
        .ok_or(ServerError::NotFound("webhook"))
}

pub async fn list(state: &AppState, user_id: i64) -> Result<WebhookList, ServerError> {
    let rows = store::endpoints(&state.db.pool, user_id).await?;
    Ok(WebhookList {
        webhooks: rows.into_iter().map(|r| view(r, false)).collect(),
    })
}

pub async fn get(state: &AppState, user_id: i64, id: i64) -> Result<WebhookView, ServerError> {
    Ok(view(owned(state, user_id, id).await?, false))
}

/// Registers an endpoint; the answer carries its secret (shown again only when rotated).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    new: &NewWebhook,
) -> Result<WebhookView, ServerError> {
    let url = checked_url(state, &new.url).await?;
    let events = parse_events(&new.events).map_err(|m| ServerError::validation("events", m))?;
    let description = description(new.description.as_deref())?;
    let secret = new_secret();
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    if store::count_endpoints(&mut *tx, user_id).await? >= MOST_ENDPOINTS {
        return Err(ServerError::Conflict {
            message: format!(
                "an account may have at most {MOST_ENDPOINTS} webhooks; delete one first"
            ),
            field: Some("url"),
        });
    }
    let id = store::insert_endpoint(
        &mut *tx,
        &store::NewEndpoint {
            user_id,
            url: &url,
            secret: &secret,
            events: &events,
            description: &description,
        },
        now,
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            action: audit::action::WEBHOOK_CREATED,
            target: format!("webhook:{id}"),
            subject: Some(user_id),
            before: None,
            after: Some(json!({"url": shown(&url), "events": events})),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view(owned(state, user_id, id).await?, true))
}

/// Changes what `change` names. Turning an endpoint back on forgets its failures.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    id: i64,
    change: &WebhookChange,
) -> Result<WebhookView, ServerError> {
    let row = owned(state, user_id, id).await?;
    let url = match &change.url {
        Some(url) => Some(checked_url(state, url).await?),
        None => None,
    };
    let events = match &change.events {
        Some(events) => {
            Some(parse_events(events).map_err(|m| ServerError::validation("events", m))?)
        }
        None => None,
    };
    let description = match &change.description {
        Some(d) => Some(description(Some(d))?),
        None => None,
    };
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let changed = store::change_endpoint(
        &mut *tx,
        user_id,
        id,
        &store::EndpointChange {
            url: url.as_deref(),
            events: events.as_deref(),
            description: description.as_deref(),
            enabled: change.enabled,
            secret: None,
        },
        now,
    )
    .await?;
    if !changed {
        return Err(ServerError::NotFound("webhook"));
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            action: audit::action::WEBHOOK_CHANGED,
            target: format!("webhook:{id}"),
            subject: Some(user_id),
            before: Some(
                json!({"url": shown(&row.url), "events": row.events, "enabled": row.enabled != 0}),
            ),
            after: Some(json!({
                "url": url.as_deref().map(shown),
                "events": events,
                "enabled": change.enabled,
            })),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    get(state, user_id, id).await
}

/// A URL as logs, audit entries and messages show it: without its query (often a token).
fn shown(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_owned()
}

pub async fn delete(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    id: i64,
) -> Result<(), ServerError> {
    let row = owned(state, user_id, id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    if !store::delete_endpoint(&mut *tx, user_id, id).await? {
        return Err(ServerError::NotFound("webhook"));
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            action: audit::action::WEBHOOK_DELETED,
            target: format!("webhook:{id}"),
            subject: Some(user_id),
            before: Some(json!({"url": shown(&row.url), "events": row.events})),
            after: None,
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret for the endpoint; deliveries are signed with it from now on.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    id: i64,
) -> Result<WebhookView, ServerError> {
    let secret = new_secret();
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let change = store::EndpointChange {
        url: None,
        events: None,
        description: None,
        enabled: None,
        secret: Some(&secret),
    };
    if !store::change_endpoint(&mut *tx, user_id, id, &change, now).await? {
        return Err(ServerError::NotFound("webhook"));
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            action: audit::action::WEBHOOK_SECRET_ROTATED,
            target: format!("webhook:{id}"),
            subject: Some(user_id),
            before: None,
            after: None,
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    let mut view = view(owned(state, user_id, id).await?, false);
    view.secret = Some(secret);
    Ok(view)
}

/// Queues a `webhook.test` event for the endpoint alone; the delivery job sends it at once.
pub async fn send_test(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<WebhookDeliveryView, ServerError> {
    let row = owned(state, user_id, id).await?;
    refuse_if_off(&row)?;
    let now = state.clock.now_ms();
    let payload = rules::payload(
        &super::secrets::random_token("evt_", 12),
        rules::TEST_EVENT,
        now,
        &json!({"webhook_id": id, "message": "A test event from Namaskah SMS."}).to_string(),
    );
    let delivery = store::enqueue(&state.db.pool, &row, rules::TEST_EVENT, &payload, now).await?;
    delivery_of(state, user_id, delivery).await
}

async fn delivery_of(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<WebhookDeliveryView, ServerError> {
    store::delivery_owned(&state.db.pool, user_id, id)
        .await?
        .map(delivery_view)
        .ok_or(ServerError::NotFound("delivery"))
}

/// The endpoint's deliveries, newest first, `limit` at a time (older ones `before` an id).
pub async fn deliveries(
    state: &AppState,
    user_id: i64,
    id: i64,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<WebhookDeliveryList, ServerError> {
    owned(state, user_id, id).await?;
    let limit = i64::from(limit.unwrap_or(20).clamp(1, 100));
    let rows = store::deliveries(&state.db.pool, id, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let deliveries: Vec<WebhookDeliveryView> = rows
        .into_iter()
        .take(limit as usize)
        .map(delivery_view)
        .collect();
    Ok(WebhookDeliveryList {
        next_before: more.then(|| deliveries.last().map(|d| d.id)).flatten(),
        deliveries,
    })
}

/// Sends a delivery of the endpoint again, as a new delivery with the same body.
pub async fn redeliver(
    state: &AppState,
    user_id: i64,
    id: i64,
    delivery_id: i64,
) -> Result<WebhookDeliveryView, ServerError> {
    let endpoint = owned(state, user_id, id).await?;
    refuse_if_off(&endpoint)?;
    let original = store::delivery_owned(&state.db.pool, user_id, delivery_id)
        .await?
        .filter(|d| d.webhook_endpoint_id == id)
        .ok_or(ServerError::NotFound("delivery"))?;
    let now = state.clock.now_ms();
    let new = store::enqueue(
        &state.db.pool,
        &endpoint,
        &original.event_kind,
        &original.payload,
        now,
    )
    .await?;
    delivery_of(state, user_id, new).await
}

/// Queues an event that is not one of the live stream's (`balance.low`) for the user's
/// endpoints that take it.
pub async fn emit(state: &AppState, user_id: i64, kind: &str, data: serde_json::Value) {
    let now = state.clock.now_ms();
    let payload = rules::payload(
        &super::secrets::random_token("evt_", 12),
        kind,
        now,
        &data.to_string(),
    );
    let queued = async {
        let mut tx = state.db.begin_write().await?;
        store::enqueue_event(&mut tx, user_id, kind, &payload, now).await?;
        tx.commit().await
    };
    if let Err(e) = queued.await {
        tracing::warn!(user_id, kind, error = %e, "could not queue a webhook event");
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs its events.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// When a delivery that has failed `attempts` times is tried next, or `None` to give up.
pub fn next_attempt(created_at: i64, attempts: i64, now: i64) -> Option<i64> {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(20);
    let wait = FIRST_WAIT_MS
        .saturating_mul(1_i64 << doublings)
        .min(LONGEST_WAIT_MS);
    let at = now + wait;
    (at - created_at <= GIVE_UP_AFTER_MS).then_some(at)
}

/// Sends one claimed delivery and records what came of it; turns the endpoint off (and tells
/// its owner) once it has failed for a day.
pub async fn deliver(
    state: &AppState,
    delivery: DeliveryRow,
    endpoint: EndpointRow,
    held_until: i64,
) {
    let started = Instant::now();
    let outcome = if endpoint.enabled == 0 {
        Err("the webhook is turned off".to_owned())
    } else {
        tokio::time::timeout(ATTEMPT_DEADLINE, send(state, &delivery, &endpoint))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", ATTEMPT_DEADLINE.as_secs())))
    };
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let now = state.clock.now_ms();
    let attempts = delivery.attempts + 1;
    let (status, next_attempt_at, code, error) = match &outcome {
        Ok(code) if (200..300).contains(code) => ("delivered", None, Some(i64::from(*code)), None),
        failed => {
            let (code, error) = match failed {
                Ok(code) => (Some(i64::from(*code)), format!("answered {code}")),
                Err(e) => (None, e.clone()),
            };
            let next = (endpoint.enabled != 0)
                .then(|| next_attempt(delivery.created_at, attempts, now))
                .flatten();
            (
                if next.is_some() { "pending" } else { "failed" },
                next,
                code,
                Some(error),
            )
        }
    };
    let attempt = Attempt {
        status_code: code,
        error: error.as_deref(),
        latency_ms,
        status,
        next_attempt_at,
    };
    let recorded = store::record_attempt(&state.db, &delivery, held_until, &attempt, now).await;
    let (failing_since, failures) = match recorded {
        Ok(Some(run)) => run,
        Ok(None) => {
            tracing::warn!(
                delivery_id = delivery.webhook_delivery_id,
                "a webhook attempt outlasted its claim; another pass may send it again"
            );
            return;
        }
        Err(e) => {
            tracing::warn!(delivery_id = delivery.webhook_delivery_id, error = %e, "could not record a webhook delivery; it will be tried again");
            return;
        }
    };
    if failures >= DISABLE_AFTER_FAILURES
        && failing_since.is_some_and(|since| now - since >= DISABLE_AFTER_MS)
    {
        disable(state, &endpoint, now).await;
    }
}

async fn disable(state: &AppState, endpoint: &EndpointRow, now: i64) {
    let reason = "every delivery failed for 24 hours";
    let disabled = async {
        let mut tx = state.db.begin_write().await?;
        let done = store::disable(&mut tx, endpoint.webhook_endpoint_id, reason, now).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done)
    };
    match disabled.await {
        Ok(true) => {
            let message = format!(
                "Your webhook to {} was turned off: every delivery to it failed for 24 hours. Fix the endpoint, then turn it back on on the Webhooks page.",
                shown(&endpoint.url)
            );
            if let Err(e) = notifications::send(
                state,
                endpoint.user_id,
                notifications::kind::WEBHOOK,
                &message,
                None,
            )
            .await
            {
                tracing::warn!(user_id = endpoint.user_id, error = %e, "could not tell of a webhook turned off");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not turn a failing webhook off"),
    }
}

/// One attempt: the endpoint's answer's status, or why there was none.
/// The client deliveries are sent with, one per server: no redirects followed, and no proxy
/// (a proxy would resolve the name again itself), so it connects only to the addresses its
/// resolver checked.
pub fn client(sandbox: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(destination::CheckedResolver {
            sandbox,
        }))
        .user_agent("Namaskah-Webhooks/1")
        .build()
        .expect("the webhook client's settings are valid")
}

/// The resolver's refusal behind a failed request, if that is why it failed.
fn refusal_in(error: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(refused) = e.downcast_ref::<destination::Refused>() {
            return Some(refused.0.clone());
        }
        cause = e.source();
    }
    None
}

async fn send(
    state: &AppState,
    delivery: &DeliveryRow,
    endpoint: &EndpointRow,
) -> Result<u16, String> {
    let url = reqwest::Url::parse(&endpoint.url).map_err(|e| format!("bad URL: {e}"))?;
    // Checked again now: an address in the URL here, a name by the client's resolver.
    check_url(&url, state.settings.sandbox())?;
    // The receiver's clock is the world's: the wall clock, not the sandbox's movable one.
    let t = chrono::Utc::now().timestamp();
    let response = state
        .webhook_client
        .post(url)
        .timeout(TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            signature(&endpoint.secret, t, &delivery.payload),
        )
        .header("Namaskah-Event", &delivery.event_kind)
        .header(
            "Namaskah-Delivery",
            delivery.webhook_delivery_id.to_string(),
        )
        .body(delivery.payload.clone())
        .send()
        .await
        .map_err(|e| {
            if let Some(refused) = refusal_in(&e) {
                refused
            } else if e.is_timeout() {
                format!("no answer within {} s", TIMEOUT.as_secs())
            } else if e.is_connect() {
                "could not connect".to_owned()
            } else {
                "the request failed".to_owned()
            }
        })?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stop_after_a_day() {
        let t0 = 1_000_000;
        assert_eq!(next_attempt(t0, 1, t0), Some(t0 + 30_000));
        assert_eq!(next_attempt(t0, 2, t0 + 30_000), Some(t0 + 90_000));
        assert_eq!(next_attempt(t0, 30, t0), Some(t0 + LONGEST_WAIT_MS));
        assert_eq!(next_attempt(t0, 12, t0 + GIVE_UP_AFTER_MS - 60_000), None);
    }

    #[test]
    fn the_signature_is_an_hmac_of_the_time_and_the_body() {
        // Checked against Python: hmac.new(b"whsec_k", b"1700000000.{}", "sha256").hexdigest()
        assert_eq!(
            signature("whsec_k", 1_700_000_000, "{}"),
            "t=1700000000,v1=8b20524faff2b12e1089e404a8cf60fbe577e5320e899ebff7329ebbcb9ada22"
        );
    }
}
