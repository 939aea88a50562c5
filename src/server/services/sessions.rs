//! A customer's sessions: where each was opened, with what, when it was last used; ending one,
//! or every other.

use super::accounts::Principal;
use super::audit::{self, action, Actor};
use crate::api::dto::{ActiveSessionList, ActiveSessionView};
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::sessions;
use crate::server::ServerError;

pub async fn list(state: &AppState, caller: &Principal) -> Result<ActiveSessionList, ServerError> {
    let rows = sessions::list_live(&state.db.pool, caller.user_id, state.clock.now_ms()).await?;
    Ok(ActiveSessionList {
        sessions: rows
            .into_iter()
            .map(|r| ActiveSessionView {
                current: caller.session_id.as_deref() == Some(r.session_id.as_str()),
                device: device(&r.user_agent),
                id: r.session_id,
                created_at: from_ms(r.created_at),
                last_seen_at: from_ms(r.last_seen_at),
                ip: r.ip,
                user_agent: r.user_agent,
            })
            .collect(),
    })
}

/// Ends one of the caller's sessions (their current one too: that signs them out).
pub async fn end(
    state: &AppState,
    actor: &Actor,
    caller: &Principal,
    session_id: &str,
) -> Result<(), ServerError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    if !sessions::delete_owned(&mut *tx, caller.user_id, session_id).await? {
        return Err(ServerError::NotFound("session"));
    }
    audit::record(
        &mut *tx,
        entry(actor, action::SESSION_ENDED, caller, None, now),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the caller but the one this request came with; returns how many.
pub async fn end_others(
    state: &AppState,
    actor: &Actor,
    caller: &Principal,
) -> Result<u64, ServerError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let ended =
        sessions::delete_others(&mut *tx, caller.user_id, caller.session_id.as_deref()).await?;
    audit::record(
        &mut *tx,
        entry(actor, action::SESSIONS_ENDED, caller, Some(ended), now),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

fn entry<'a>(
    actor: &'a Actor,
    act: &'static str,
    caller: &Principal,
    ended: Option<u64>,
    now: i64,
) -> audit::Entry<'a> {
    let mut entry = audit::Entry::plain(
        actor,
        act,
        format!("user:{}", caller.user_id),
        Some(caller.user_id),
        now,
    );
    entry.after = ended.map(|n| serde_json::json!({"sessions_ended": n}));
    entry
}

/// "Firefox on Linux" from a user agent, for a person to recognise the device; the whole
/// string is shown beside it.
pub fn device(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
        ("python-requests", "Python"),
        ("reqwest", "a Rust program"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) if ua.is_empty() => "Unknown device".to_owned(),
        (None, None) => "Other".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn devices_are_named_as_people_know_them() {
        assert_eq!(
            device("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"),
            "Chrome on Linux"
        );
        assert_eq!(
            device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"),
            "Safari on iPhone"
        );
        assert_eq!(device("curl/8.5.0"), "curl");
        assert_eq!(device(""), "Unknown device");
    }
}
