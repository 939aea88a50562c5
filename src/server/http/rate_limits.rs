//! Request rate limits (`RATE_LIMIT_*`): per client address, per account, per API key, and
//! tighter ones for sign-in and sign-up (per address) and for requests that spend money (per
//! account). Each is a GCRA limiter (`governor`) keyed in memory and timed by the app's clock,
//! so sandbox mode and tests can move time on. A refused request gets 429 with `Retry-After`,
//! before any of its work is done; every other answer says how much of the tightest limit that
//! applied is left (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`).

use crate::server::clock::Clock;
use crate::server::config::RateLimits;
use crate::server::services::accounts::Principal;
use crate::server::ServerError;
use axum::http::{HeaderMap, HeaderValue, Method};
use governor::middleware::{StateInformationMiddleware, StateSnapshot};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

/// The app's clock as `governor` reads time: so a test that moves the clock on sees the
/// limits refill.
#[derive(Clone, Debug)]
pub struct AppTime(Clock);

impl governor::clock::Clock for AppTime {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_ms()).unwrap_or_default())
    }
}

type Keyed<K> = RateLimiter<K, DashMapStateStore<K>, AppTime, StateInformationMiddleware>;

/// What is left of the tightest limit that let a request through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headroom {
    /// Requests per minute it allows.
    pub limit: u32,
    /// Requests it allows now.
    pub remaining: u32,
    /// Seconds until it is full again, at most (rounded up to whole requests' worth).
    pub reset_secs: u64,
}

impl Headroom {
    fn of(snapshot: &StateSnapshot) -> Headroom {
        let quota = snapshot.quota();
        let burst = quota.burst_size().get();
        let remaining = snapshot.remaining_burst_capacity();
        let used = u128::from(burst.saturating_sub(remaining));
        let reset_ms = used * quota.replenish_interval().as_millis();
        Headroom {
            limit: burst,
            remaining,
            reset_secs: u64::try_from(reset_ms.div_ceil(1000)).unwrap_or(u64::MAX),
        }
    }

    /// The tighter of two: the one with less left.
    pub fn tightest(a: Option<Headroom>, b: Option<Headroom>) -> Option<Headroom> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.remaining < a.remaining { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// Writes the `RateLimit-*` headers.
    pub fn write(self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_secs));
    }
}

struct Limit<K: Hash + Eq + Clone> {
    limiter: Keyed<K>,
    what: &'static str,
}

pub struct RateLimiters {
    per_ip: Option<Limit<IpAddr>>,
    per_account: Option<Limit<i64>>,
    per_api_key: Option<Limit<i64>>,
    sign_in: Option<Limit<IpAddr>>,
    paid: Option<Limit<i64>>,
    clock: AppTime,
}

impl RateLimiters {
    pub fn new(limits: RateLimits, clock: &Clock) -> RateLimiters {
        let clock = AppTime(clock.clone());
        RateLimiters {
            per_ip: limit(limits.per_ip, &clock, "requests from this address"),
            per_account: limit(limits.per_account, &clock, "requests for this account"),
            per_api_key: limit(limits.per_api_key, &clock, "requests with this API key"),
            sign_in: limit(
                limits.sign_in,
                &clock,
                "sign-ins, sign-ups and mailed links asked from this address",
            ),
            paid: limit(limits.paid, &clock, "purchases for this account"),
            clock,
        }
    }

    /// The limits that apply before the caller is known: every request per address, and
    /// sign-ins per address; what is left of the tightest.
    pub fn check_address(
        &self,
        ip: IpAddr,
        method: &Method,
        path: &str,
    ) -> Result<Option<Headroom>, ServerError> {
        let ip = per_network(ip);
        let mut headroom = None;
        // Providers push from a few addresses, as fast as SMS arrive: their pushes carry a
        // secret each and are not counted per address.
        if !is_provider_push(path) {
            headroom = Headroom::tightest(headroom, self.check(&self.per_ip, &ip)?);
        }
        if is_sign_in(method, path) {
            headroom = Headroom::tightest(headroom, self.check(&self.sign_in, &ip)?);
        }
        Ok(headroom)
    }

    /// The limits of a known caller: per account, per API key, and purchases per account;
    /// what is left of the tightest.
    pub fn check_caller(
        &self,
        caller: &Principal,
        method: &Method,
        path: &str,
    ) -> Result<Option<Headroom>, ServerError> {
        let mut headroom = self.check(&self.per_account, &caller.user_id)?;
        if let Some(key) = caller.api_key_id {
            headroom = Headroom::tightest(headroom, self.check(&self.per_api_key, &key)?);
        }
        if is_paid(method, path) {
            headroom = Headroom::tightest(headroom, self.check_purchase(caller.user_id)?);
        }
        Ok(headroom)
    }

    /// The purchases limit of an account, for a purchase made other than by an `/api` path
    /// (the SMS-Activate protocol's one path).
    pub fn check_purchase(&self, user_id: i64) -> Result<Option<Headroom>, ServerError> {
        self.check(&self.paid, &user_id)
    }

    /// Forgets the keys whose limits have refilled, so that a stream of new addresses does not
    /// grow memory for good; run every minute.
    pub fn prune(&self) {
        fn prune<K: Hash + Eq + Clone>(limit: &Option<Limit<K>>) {
            if let Some(l) = limit {
                l.limiter.retain_recent();
                l.limiter.shrink_to_fit();
            }
        }
        prune(&self.per_ip);
        prune(&self.per_account);
        prune(&self.per_api_key);
        prune(&self.sign_in);
        prune(&self.paid);
    }

    /// How many keys are held, for tests and metrics.
    pub fn keys_held(&self) -> usize {
        fn len<K: Hash + Eq + Clone>(limit: &Option<Limit<K>>) -> usize {
            limit.as_ref().map_or(0, |l| l.limiter.len())
        }
        len(&self.per_ip)
            + len(&self.per_account)
            + len(&self.per_api_key)
            + len(&self.sign_in)
            + len(&self.paid)
    }

    fn check<K: Hash + Eq + Clone>(
        &self,
        limit: &Option<Limit<K>>,
        key: &K,
    ) -> Result<Option<Headroom>, ServerError> {
        let Some(limit) = limit else { return Ok(None) };
        let snapshot = limit.limiter.check_key(key).map_err(|not_until| {
            use governor::clock::Clock as _;
            let wait = not_until.wait_time_from(self.clock.now());
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let retry_after_secs = retry_after_secs.max(1);
            ServerError::RateLimited {
                message: format!(
                    "too many {}; try again {}",
                    limit.what,
                    crate::ui::components::remaining(
                        i64::try_from(retry_after_secs).unwrap_or(i64::MAX)
                    )
                ),
                retry_after_secs,
            }
        })?;
        Ok(Some(Headroom::of(&snapshot)))
    }
}

fn limit<K: Hash + Eq + Clone>(
    per_minute: u32,
    clock: &AppTime,
    what: &'static str,
) -> Option<Limit<K>> {
    let quota = Quota::per_minute(NonZeroU32::new(per_minute)?);
    Some(Limit {
        limiter: RateLimiter::<K, _, _, StateInformationMiddleware>::new(
            quota,
            DashMapStateStore::default(),
            clock.clone(),
        ),
        what,
    })
}

/// IPv6 clients are counted per /64: one customer line gets a whole /64, and counting each
/// address would let one client take as many limits as it likes.
pub fn per_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::from(u64::MAX)))),
        },
    }
}

/// Sign-in, sign-up, password resets and confirming addresses (each of which tries a secret or
/// sends mail), by the REST API or the pages' server functions.
fn is_sign_in(method: &Method, path: &str) -> bool {
    method == Method::POST
        && matches!(
            path,
            "/api/auth/login"
                | "/api/auth/login/mfa"
                | "/api/auth/register"
                | "/api/auth/password-reset"
                | "/api/auth/password-reset/confirm"
                | "/api/auth/verify-email"
                | "/api/account/email/verification"
                | "/api/fn/sign_in"
                | "/api/fn/sign_in_code"
                | "/api/fn/sign_up"
                | "/api/fn/request_password_reset"
                | "/api/fn/reset_password"
                | "/api/fn/verify_email"
                | "/api/fn/send_email_verification"
        )
}

/// A provider's push to us (not a customer's own webhooks, which are counted).
fn is_provider_push(path: &str) -> bool {
    path == "/api/webhooks/textverified" || path.starts_with("/api/webhooks/sms-activate/")
}

/// Requests that spend the customer's money.
fn is_paid(method: &Method, path: &str) -> bool {
    if method != Method::POST {
        return false;
    }
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    matches!(
        segments.as_slice(),
        ["api", "rentals", "create" | "bulk-create" | "bulk"]
            | ["api", "rentals", _, "extend" | "reactivate"]
            | ["api", "verifications"]
            | ["api", "verifications", _, "reuse"]
            | ["api", "presets", _, "start"]
            | [
                "api",
                "fn",
                "create_rental"
                    | "create_rentals"
                    | "extend_rental"
                    | "bulk_rentals"
                    | "create_verification"
                    | "reuse_verification"
                    | "start_preset"
            ]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(user_id: i64, api_key_id: Option<i64>) -> Principal {
        Principal {
            user_id,
            role: crate::domain::Role::User,
            session_id: None,
            api_key_id,
            must_set_up_mfa: false,
        }
    }

    fn limits(paid: u32) -> RateLimits {
        RateLimits {
            paid,
            ..RateLimits::OFF
        }
    }

    #[test]
    fn the_paths_that_spend_money_are_the_paid_ones() {
        for path in [
            "/api/rentals/create",
            "/api/rentals/bulk-create",
            "/api/rentals/7/extend",
            "/api/rentals/7/reactivate",
            "/api/verifications",
            "/api/verifications/3/reuse",
            "/api/presets/2/start",
            "/api/fn/create_rental",
            "/api/fn/extend_rental",
        ] {
            assert!(is_paid(&Method::POST, path), "{path}");
        }
        for path in [
            "/api/rentals/7/release",
            "/api/verifications/3/cancel",
            "/api/rentals/active",
            "/api/fn/release_rental",
        ] {
            assert!(!is_paid(&Method::POST, path), "{path}");
        }
        assert!(!is_paid(&Method::GET, "/api/verifications"));
    }

    #[test]
    fn a_refusal_says_when_to_come_back_and_time_refills_the_limit() {
        let clock = Clock::default();
        let limiters = RateLimiters::new(limits(2), &clock);
        let me = caller(1, None);
        let post = Method::POST;
        assert!(limiters
            .check_caller(&me, &post, "/api/rentals/create")
            .is_ok());
        assert!(limiters
            .check_caller(&me, &post, "/api/rentals/create")
            .is_ok());
        let Err(ServerError::RateLimited {
            retry_after_secs, ..
        }) = limiters.check_caller(&me, &post, "/api/rentals/create")
        else {
            panic!("the third purchase in a minute is refused");
        };
        assert!((1..=30).contains(&retry_after_secs), "{retry_after_secs}");
        // Another customer, and reads, are not held back.
        assert!(limiters
            .check_caller(&caller(2, None), &post, "/api/rentals/create")
            .is_ok());
        assert!(limiters
            .check_caller(&me, &Method::GET, "/api/rentals/active")
            .is_ok());
        clock.advance_ms(i64::try_from(retry_after_secs).unwrap() * 1000);
        assert!(limiters
            .check_caller(&me, &post, "/api/rentals/create")
            .is_ok());
    }

    #[test]
    fn the_headroom_is_the_tightest_limit_left() {
        let clock = Clock::default();
        let limiters = RateLimiters::new(
            RateLimits {
                per_account: 60,
                paid: 3,
                ..RateLimits::OFF
            },
            &clock,
        );
        let me = caller(1, None);
        let read = limiters
            .check_caller(&me, &Method::GET, "/api/rentals/active")
            .unwrap()
            .unwrap();
        assert_eq!((read.limit, read.remaining, read.reset_secs), (60, 59, 1));
        let buy = limiters
            .check_caller(&me, &Method::POST, "/api/rentals/create")
            .unwrap()
            .unwrap();
        assert_eq!((buy.limit, buy.remaining, buy.reset_secs), (3, 2, 20));
        clock.advance_ms(20_000);
        let buy = limiters
            .check_caller(&me, &Method::POST, "/api/rentals/create")
            .unwrap()
            .unwrap();
        assert_eq!((buy.limit, buy.remaining), (3, 2));
        assert!(RateLimiters::new(RateLimits::OFF, &clock)
            .check_caller(&me, &Method::GET, "/api/rentals/active")
            .unwrap()
            .is_none());
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(per_network(a), per_network(b));
        assert_ne!(per_network(a), per_network(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(per_network(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn pruning_forgets_refilled_addresses() {
        let clock = Clock::default();
        let limiters = RateLimiters::new(
            RateLimits {
                per_ip: 10,
                ..RateLimits::OFF
            },
            &clock,
        );
        for i in 0..100u8 {
            let ip = IpAddr::from([198, 51, 100, i]);
            limiters.check_address(ip, &Method::GET, "/").unwrap();
        }
        assert_eq!(limiters.keys_held(), 100);
        clock.advance_ms(60_000);
        limiters.prune();
        assert_eq!(limiters.keys_held(), 0);
    }
}
