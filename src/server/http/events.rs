//! `GET /api/events`: one Server-Sent Events stream per browser tab, for the signed-in user.
//! Event ids let a reconnecting client resume (`Last-Event-ID`) without losing an SMS; keep-alive
//! comments hold the connection open; a closed connection drops its subscription at once. A
//! resume the server cannot replay exactly starts with a `resync` event instead.

use super::error::ApiResult;
use super::extract::{ApiQuery, AuthUser};
use crate::api::RESYNC_EVENT;
use crate::server::events::{EventKind, Published};
use crate::server::metrics;
use crate::server::state::AppState;
use crate::server::storage::events as store;
use crate::server::ServerError;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How many stored events a reconnecting stream catches up on at most.
const BACKLOG_LIMIT: i64 = 1_000;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The stream's path (also matched by `stream_connections`, which serves it beside hyper).
pub const PATH: &str = crate::api::EVENTS_PATH;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_events))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// The id of the last event received, to resume after it: for clients that cannot set the
    /// `Last-Event-ID` header (a browser's `EventSource` sends the header itself when it
    /// reconnects). The header wins when both are sent.
    last_event_id: Option<i64>,
}

/// `Last-Event-ID`, the standard header of a reconnecting event stream.
#[derive(utoipa::IntoParams)]
#[into_params(names("Last-Event-ID"), parameter_in = Header)]
#[allow(dead_code)] // documents the header `stream_events` reads
struct LastEventId(
    /// The id of the last event received: the stream resumes after it, replaying what was
    /// missed (events are kept for a day).
    Option<i64>,
);

fn to_sse(e: &Published) -> SseEvent {
    let event = SseEvent::default()
        .event(e.kind.clone())
        .data(e.data.clone());
    match e.id {
        Some(id) => event.id(id.to_string()),
        None => event,
    }
}

/// Live updates, as server-sent events
///
/// A `text/event-stream` that stays open and carries what changes on the account as it
/// happens. Each event's `event:` line is its name, its `data:` line a JSON object, and its
/// `id:` line its position, to resume from.
///
/// `rental.updated`: a rental changed (bought, extended, released, renewed, expired, its
/// messages read); `data` is the rental (`RentalView`).
///
/// `rental.expiring`: a rental ends soon; `data` is the rental (`RentalView`).
///
/// `sms.received`: an SMS arrived on a rental; `data` is `SmsReceived`, the message and the
/// rental.
///
/// `verification.updated`: a verification changed (bought, code received, finished,
/// cancelled, timed out); `data` is the verification (`VerificationView`).
///
/// `balance.changed`: `data` is `{"balance": "…"}` (`BalanceChanged`).
///
/// `notification.created`: `data` is `{"unread": n}`, how many notifications are unread.
///
/// `resync`: `data` is `{}`. What was missed since `Last-Event-ID` cannot be replayed (too
/// much, or too old): read the current state afresh rather than rely on the events.
///
/// The stream opens with a `connected` comment and sends a `keep-alive` comment every 15
/// seconds. To resume after a dropped connection, reconnect with the last `id:` received as
/// the `Last-Event-ID` header (or the `last_event_id` query parameter): the events missed
/// since (at most 1,000, kept for a day) come first, then live ones; a gap that cannot be
/// replayed starts with `resync` instead. A client too slow to keep up has its stream ended,
/// and resumes the same way. An account may have only a few streams open at once: past that,
/// 429, until one is closed.
#[utoipa::path(
    get,
    path = PATH,
    operation_id = "stream_events",
    params(LastEventId, EventsQuery),
    responses((
        status = 200,
        description = "The event stream, open until the client closes it",
        content_type = "text/event-stream",
        body = String,
        example = json!("event: balance.changed\ndata: {\"balance\":\"12.5000\"}\nid: 4182\n\n")
    ))
)]
async fn stream_events(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.last_event_id);
    // Subscribe before reading the backlog, so nothing published in between is missed.
    let most = state.settings.event_streams_per_user;
    let rx = state
        .events
        .subscribe_at_most(p.user_id, most)
        .ok_or_else(|| {
            tracing::warn!(user_id = p.user_id, most, "event stream refused: too many open");
            ServerError::RateLimited {
                message: format!(
                    "you already have {most} live update streams open; close a tab or window and try again"
                ),
                retry_after_secs: 10,
            }
        })?;
    let mut backlog: Vec<Published> = match last_seen {
        Some(after) => store::since(&state.db.pool, p.user_id, after, BACKLOG_LIMIT)
            .await?
            .into_iter()
            .map(Published::from)
            .collect(),
        None => Vec::new(),
    };
    // What cannot be replayed exactly (more than the backlog holds, or events pruned since the
    // client's last one) is not replayed at all: the client is told to take a fresh snapshot.
    // (A position past the newest one stored is from before a restore of the database: the
    // positions given since are not the ones the client saw.)
    let gap = match last_seen {
        Some(_) if backlog.len() as i64 >= BACKLOG_LIMIT => true,
        Some(after) => {
            let (oldest, newest) = store::positions(&state.db.pool).await?;
            oldest > after + 1 || newest < after
        }
        None => false,
    };
    if gap {
        backlog.clear();
    }
    let after = if gap {
        0
    } else {
        backlog.last().and_then(|e| e.id).or(last_seen).unwrap_or(0)
    };
    let live = stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(e) if e.id.is_none_or(|id| id > after) => return Some((e, rx)),
                Ok(_) => continue,
                // Too slow to keep up: end the stream; the client reconnects with its last id
                // and catches up from the store.
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return None,
            }
        }
    });
    let clock = state.clock.clone();
    let hello = SseEvent::default().comment("connected");
    let resync = gap.then(|| SseEvent::default().event(RESYNC_EVENT).data("{}"));
    // Live SMS are timed from being stored to being written here (a replayed backlog is
    // catching up, not latency).
    let live = live.map(move |e: Arc<Published>| {
        if e.kind == EventKind::SmsReceived.as_str() {
            metrics::sms_delivered(clock.now_ms() - e.created_at);
        }
        to_sse(&e)
    });
    let events = stream::once(async move { hello })
        .chain(stream::iter(resync))
        .chain(stream::iter(backlog.into_iter().map(|e| to_sse(&e))))
        .chain(live)
        .map(Ok);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}
