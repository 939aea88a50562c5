//! Idempotent paid requests: the first request with an `Idempotency-Key` runs; a retry with
//! the same key gets the first answer; a duplicate that arrives while the first still runs gets
//! 409. A request that fails before anything is paid forgets its key, so it can be retried.

use super::secrets::digest;
use crate::server::state::AppState;
use crate::server::storage::idempotency;
use crate::server::ServerError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

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
    match work.await {
        Ok(value) => {
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
