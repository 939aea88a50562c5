//! Idempotent paid requests: the first request with an `Idempotency-Key` runs; a retry with
//! the same key gets the first answer; a duplicate that arrives while the first still runs gets
//! 409. A request that fails before anything is paid forgets its key, so it can be retried.
//!
//! Crash safety: each paid *step* of a keyed request (a purchase, an extension, one item of a
//! bulk request) has a key of its own, derived from the request's, and its answer is saved in
//! the same transaction as what it paid for. A request that dies half-way leaves its own key
//! without an answer; the reconciliation job forgets such a key, and the retry runs again, its
//! finished steps answering from their saved answers instead of paying twice.

use super::secrets::digest;
use crate::server::failpoints::failpoint;
use crate::server::state::AppState;
use crate::server::storage::idempotency;
use crate::server::ServerError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::AnyConnection;
use std::future::Future;

/// The key a request (or one of its steps) runs under.
#[derive(Clone, Debug)]
struct Scope {
    user_id: i64,
    key: String,
    /// A step's key (derived, answered with the step's own value) rather than the request's.
    step: bool,
}

tokio::task_local! {
    static SCOPE: Scope;
}

pub const HEADER: &str = "Idempotency-Key";

/// The request's `Idempotency-Key`, if it sent one (an unreadable one never matches).
pub fn key_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(HEADER).map(|v| v.to_str().unwrap_or("\u{0}"))
}
const MAX_KEY_LEN: usize = 255;

/// The answer to an idempotent request: freshly made, or the first request's, replayed.
pub enum Replayable<T> {
    Fresh(T),
    Replay { status: u16, body: String },
}

/// Runs `work` at most once per (user, key). `request` is what was asked: a retry that asks
/// for something else with the same key is refused.
pub async fn run<T, R, F>(
    state: &AppState,
    user_id: i64,
    key: Option<&str>,
    request: &R,
    status: u16,
    work: F,
) -> Result<Replayable<T>, ServerError>
where
    T: Serialize,
    R: Serialize,
    F: Future<Output = Result<T, ServerError>>,
{
    let Some(key) = key else {
        return work.await.map(Replayable::Fresh);
    };
    let key = key.trim();
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
        return Err(ServerError::validation(
            HEADER,
            format!("must be 1 to {MAX_KEY_LEN} printable characters"),
        ));
    }
    let hash = digest(&serde_json::to_string(request).map_err(anyhow::Error::from)?);
    let pool = &state.db.pool;
    if !idempotency::try_start(pool, user_id, key, &hash, state.clock.now_ms()).await? {
        let Some(row) = idempotency::find(pool, user_id, key).await? else {
            return Err(ServerError::conflict(
                "a request with this Idempotency-Key is being processed; retry shortly",
            ));
        };
        if row.request_hash != hash {
            return Err(ServerError::validation(
                HEADER,
                "was already used for a different request",
            ));
        }
        return match (row.response_status, row.response_body) {
            (Some(status), Some(body)) => Ok(Replayable::Replay {
                status: u16::try_from(status).unwrap_or(200),
                body,
            }),
            _ => Err(ServerError::conflict(
                "a request with this Idempotency-Key is still being processed",
            )),
        };
    }
    failpoint("idempotency.after_start");
    let scope = Scope {
        user_id,
        key: key.to_owned(),
        step: key.starts_with(STEP_PREFIX),
    };
    match SCOPE.scope(scope, work).await {
        Ok(value) => {
            failpoint("idempotency.before_save");
            let body = serde_json::to_string(&value).map_err(anyhow::Error::from)?;
            idempotency::save_response(pool, user_id, key, i32::from(status), &body).await?;
            Ok(Replayable::Fresh(value))
        }
        Err(e) => {
            idempotency::forget(pool, user_id, key).await?;
            Err(e)
        }
    }
}

const STEP_PREFIX: &str = "step:";

/// Runs one paid step of the current request (`label` names it uniquely within the request):
/// once per request key, its answer replayed when the request is retried. Outside a keyed
/// request it simply runs.
///
/// The step's work goes on the heap at once: steps nest (a bulk item holds a purchase), and
/// nested futures held by value would add up to more stack than a worker thread has.
pub fn step<'a, T, R, F>(
    state: &'a AppState,
    label: &'a str,
    request: &'a R,
    work: F,
) -> impl Future<Output = Result<T, ServerError>> + 'a
where
    T: Serialize + DeserializeOwned + 'a,
    R: Serialize,
    F: Future<Output = Result<T, ServerError>> + 'a,
{
    let work = Box::pin(work);
    async move {
        let Ok(parent) = SCOPE.try_with(Scope::clone) else {
            return work.await;
        };
        let key = format!(
            "{STEP_PREFIX}{}",
            digest(&format!("{}\n{label}", parent.key))
        );
        once(state, parent.user_id, Some(&key), request, work).await
    }
}

/// The current step's key (for a purchase to be settled with), if the request has one.
pub fn current_step_key() -> Option<String> {
    SCOPE
        .try_with(|s| s.step.then(|| s.key.clone()))
        .ok()
        .flatten()
}

/// Saves the current step's answer on the transaction that commits what it paid for, so that
/// the answer and the payment survive a crash together (or neither does).
pub async fn save_in<T: Serialize>(conn: &mut AnyConnection, value: &T) -> Result<(), ServerError> {
    let Some(scope) = SCOPE.try_with(Scope::clone).ok().filter(|s| s.step) else {
        return Ok(());
    };
    save_for(conn, scope.user_id, &scope.key, value).await
}

/// Saves `value` as the answer for `key` (a step's), on the caller's transaction.
pub async fn save_for<T: Serialize>(
    conn: &mut AnyConnection,
    user_id: i64,
    key: &str,
    value: &T,
) -> Result<(), ServerError> {
    let body = serde_json::to_string(value).map_err(anyhow::Error::from)?;
    idempotency::save_response(conn, user_id, key, 200, &body).await?;
    Ok(())
}

/// [`run`] for callers that want the value either way (server functions): a replayed answer
/// is read back into `T`.
pub async fn once<T, R, F>(
    state: &AppState,
    user_id: i64,
    key: Option<&str>,
    request: &R,
    work: F,
) -> Result<T, ServerError>
where
    T: Serialize + DeserializeOwned,
    R: Serialize,
    F: Future<Output = Result<T, ServerError>>,
{
    match run(state, user_id, key, request, 200, work).await? {
        Replayable::Fresh(value) => Ok(value),
        Replayable::Replay { body, .. } => serde_json::from_str(&body).map_err(|e| {
            anyhow::anyhow!("a saved idempotent answer does not read back: {e}").into()
        }),
    }
}
