//! Sign-in backoff, kept in the database so that it holds across instances. Failures are
//! counted per (account, address) pair, per account and per address; past a few free failures
//! each key is held back for a time that doubles with every failure, up to a cap:
//!
//! - the pair (one address guessing one account's password): 5 free, then 1 s, 2 s, … ≤ 15 min;
//! - the account, from everywhere (a guess spread over many addresses): 50 free, ≤ 15 min;
//! - the address, across accounts (one address trying many accounts): 20 free, ≤ 1 h.
//!
//! Nothing is locked for good: an attacker can hold an account back for at most 15 minutes after
//! their last failure, and only from their own address unless they fail 50 times. Attempts
//! refused while held back do not count. A success clears the pair and the account (not the
//! address: signing in to one's own account must not wash an address's failures away).
//! Counts are forgotten a day after the last failure.

use crate::server::http::client::RequestMeta;
use crate::server::state::AppState;
use crate::server::storage::sign_in_throttle as store;
use crate::server::ServerError;

struct Rule {
    free: i64,
    cap_ms: i64,
}

const PAIR: Rule = Rule {
    free: 5,
    cap_ms: 15 * 60_000,
};
const ACCOUNT: Rule = Rule {
    free: 50,
    cap_ms: 15 * 60_000,
};
const ADDRESS: Rule = Rule {
    free: 20,
    cap_ms: 60 * 60_000,
};
const FORGET_AFTER_MS: i64 = 24 * 3_600_000;

fn keys(email: &str, meta: &RequestMeta) -> [String; 3] {
    let email = email.trim().to_lowercase();
    // IPv6 per /64, as the rate limits count: one client holds a whole /64.
    let address = crate::server::http::rate_limits::per_network(meta.ip);
    [
        format!("pair:{email} {address}"),
        format!("account:{email}"),
        format!("address:{address}"),
    ]
}

/// How long a key is held back after its `failures`-th failure.
fn backoff_ms(failures: i64, rule: &Rule) -> i64 {
    if failures < rule.free {
        return 0;
    }
    let doublings = u32::try_from(failures - rule.free)
        .unwrap_or(u32::MAX)
        .min(30);
    (1000_i64 << doublings).min(rule.cap_ms)
}

/// 429 with `Retry-After` while any of the attempt's keys is held back.
pub async fn check(state: &AppState, email: &str, meta: &RequestMeta) -> Result<(), ServerError> {
    let now = state.clock.now_ms();
    let until = store::blocked_until(&state.db.pool, &keys(email, meta)).await?;
    if until <= now {
        return Ok(());
    }
    let retry_after_secs = u64::try_from((until - now + 999) / 1000)
        .unwrap_or(1)
        .max(1);
    Err(ServerError::RateLimited {
        message: format!(
            "too many failed sign-ins; try again {}",
            crate::ui::components::remaining(i64::try_from(retry_after_secs).unwrap_or(i64::MAX))
        ),
        retry_after_secs,
    })
}

/// Counts a failed attempt against each of its keys.
pub async fn failed(state: &AppState, email: &str, meta: &RequestMeta) -> Result<(), ServerError> {
    let now = state.clock.now_ms();
    for (key, rule) in keys(email, meta).iter().zip([PAIR, ACCOUNT, ADDRESS]) {
        let failures =
            store::count_failure(&state.db.pool, key, now, now - FORGET_AFTER_MS).await?;
        let wait = backoff_ms(failures, &rule);
        if wait > 0 {
            store::block(&state.db.pool, key, now + wait).await?;
        }
    }
    Ok(())
}

pub async fn succeeded(
    state: &AppState,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), ServerError> {
    let [pair, account, _] = keys(email, meta);
    store::clear(&state.db.pool, &pair).await?;
    store::clear(&state.db.pool, &account).await?;
    Ok(())
}

/// Forgets what no longer holds anything back.
pub async fn prune(state: &AppState) -> Result<u64, ServerError> {
    let before = state.clock.now_ms() - FORGET_AFTER_MS;
    Ok(store::prune(&state.db.pool, before).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_after_the_free_failures_up_to_its_cap() {
        assert_eq!(backoff_ms(4, &PAIR), 0);
        assert_eq!(backoff_ms(5, &PAIR), 1000);
        assert_eq!(backoff_ms(6, &PAIR), 2000);
        assert_eq!(backoff_ms(10, &PAIR), 32_000);
        assert_eq!(backoff_ms(40, &PAIR), 15 * 60_000);
        assert_eq!(backoff_ms(i64::MAX, &ADDRESS), 60 * 60_000);
        assert_eq!(backoff_ms(49, &ACCOUNT), 0);
    }
}
