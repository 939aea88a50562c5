//! API keys: long random tokens shown once, stored as SHA-256 digests, revocable.

use super::accounts::Principal;
use super::audit::{self, action, Actor};
use super::secrets;
use crate::api::dto::{ApiKeyList, ApiKeyView, CreatedApiKey};
use crate::domain::Role;
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::api_keys;
use crate::server::ServerError;

pub const KEY_PREFIX: &str = "nmk_";
const SHOWN_PREFIX_LEN: usize = 12;
const NAME_MAX_CHARS: usize = 64;
/// How stale `last_used_at` may get before a request refreshes it (keeps writes off the hot path).
const TOUCH_EVERY_MS: i64 = 60_000;

/// Creates a key for `user_id`, audited as done by `actor`.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    name: &str,
) -> Result<CreatedApiKey, ServerError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServerError::validation("name", "is required"));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(ServerError::validation(
            "name",
            format!("must be at most {NAME_MAX_CHARS} characters"),
        ));
    }
    let key = secrets::random_token(KEY_PREFIX, 24);
    let prefix = key[..SHOWN_PREFIX_LEN].to_owned();
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let id = api_keys::insert(
        &mut *tx,
        user_id,
        name,
        &prefix,
        &secrets::digest(&key),
        now,
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::API_KEY_CREATED,
            target: format!("api_key:{id}"),
            subject: Some(user_id),
            before: None,
            after: Some(serde_json::json!({"name": name, "prefix": prefix})),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id, api_key_id = id, "api key created");
    super::notifications::security(
        state,
        user_id,
        &format!("A new API key, \u{201c}{name}\u{201d}, was created for your account."),
    )
    .await;
    Ok(CreatedApiKey {
        id,
        name: name.to_owned(),
        prefix,
        key,
        created_at: from_ms(now),
    })
}

pub async fn list(state: &AppState, user_id: i64) -> Result<ApiKeyList, ServerError> {
    let rows = api_keys::list_live(&state.db.pool, user_id).await?;
    Ok(ApiKeyList {
        keys: rows
            .into_iter()
            .map(|r| ApiKeyView {
                id: r.api_key_id,
                name: r.name,
                prefix: r.prefix,
                created_at: from_ms(r.created_at),
                last_used_at: r.last_used_at.map(from_ms),
            })
            .collect(),
    })
}

/// Revokes one of the caller's keys. Another user's key, or one already revoked, is "not found".
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    api_key_id: i64,
) -> Result<(), ServerError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    if api_keys::revoke(&mut *tx, user_id, api_key_id, now).await? {
        audit::record(
            &mut *tx,
            audit::Entry {
                action: action::API_KEY_REVOKED,
                target: format!("api_key:{api_key_id}"),
                subject: Some(user_id),
                before: None,
                after: None,
                now,
                actor,
            },
        )
        .await?;
        tx.commit().await?;
        state.caches.api_keys.clear();
        tracing::info!(user_id, api_key_id, "api key revoked");
        Ok(())
    } else {
        Err(ServerError::NotFound("API key"))
    }
}

/// Resolves a bearer token to its owner, if it is a live key.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Option<Principal>, ServerError> {
    if !token.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let digest = secrets::digest(token);
    let load = async {
        let Some(owner) = api_keys::find_owner(&state.db.pool, &digest).await? else {
            return Ok::<_, ServerError>(None);
        };
        let now = state.clock.now_ms();
        if owner.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY_MS) {
            api_keys::touch(&state.db.pool, owner.api_key_id, now).await?;
        }
        Ok(Some(Principal {
            user_id: owner.user_id,
            role: Role::parse(&owner.role).unwrap_or(Role::User),
            session_id: None,
            api_key_id: Some(owner.api_key_id),
            must_set_up_mfa: false,
        }))
    };
    // Looked up at most once a second per key; a revocation clears the cache at once.
    let principal = state
        .caches
        .api_keys
        .get_or_load(digest.clone(), load)
        .await?;
    Ok((*principal).clone())
}
