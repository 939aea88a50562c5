//! What operators' tooling asks of a running instance: is it ready to serve (`/ready`), its
//! metrics (`/metrics`), with the gauges read from the database when scraped, and the
//! console's system page: the jobs, the pollers' backlog and the open event streams.

use crate::api::dto::{JobView, PollingView, SingletonJobView, SystemView};
use crate::domain::money::SCALE;
use crate::server::clock::from_ms;
use crate::server::metrics;
use crate::server::state::AppState;
use crate::server::storage::{leases, ledger, Backend};
use crate::server::ServerError;
use serde::Serialize;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long a readiness check may wait for the database.
const DATABASE_WAIT: Duration = Duration::from_secs(2);

/// How often the ledger's totals are read again for the metrics (a scan of the whole
/// ledger, far cheaper once a minute than at every scrape).
const LEDGER_EVERY_MS: i64 = 60_000;

/// `GET /ready`: every check, and whether all passed.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Checks,
}

#[derive(Debug, Serialize)]
pub struct Checks {
    pub database: Check,
    pub migrations: Check,
    pub providers: Check,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub ok: bool,
    pub detail: String,
}

impl Check {
    fn new(ok: bool, detail: impl Into<String>) -> Check {
        Check {
            ok,
            detail: detail.into(),
        }
    }
}

/// Whether this instance can serve: the database answers, its schema is the one this build
/// expects (every migration applied), and at least one provider is configured.
pub async fn readiness(state: &AppState) -> Readiness {
    let (database, migrations) =
        match tokio::time::timeout(DATABASE_WAIT, state.db.pending_migrations()).await {
            Ok(Ok(pending)) if pending.is_empty() => {
                (Check::new(true, "reachable"), Check::new(true, "current"))
            }
            Ok(Ok(pending)) => (
                Check::new(true, "reachable"),
                Check::new(
                    false,
                    format!(
                        "not applied: {}",
                        pending
                            .iter()
                            .map(i64::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            ),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: the database failed");
                (
                    Check::new(false, "the database failed"),
                    Check::new(false, "unknown"),
                )
            }
            Err(_) => (
                Check::new(
                    false,
                    format!("no answer within {} s", DATABASE_WAIT.as_secs()),
                ),
                Check::new(false, "unknown"),
            ),
        };
    let names: Vec<&str> = state.router.with_health().map(|(p, _)| p.name()).collect();
    let providers = if names.is_empty() {
        Check::new(false, "none configured")
    } else {
        Check::new(true, names.join(", "))
    };
    Readiness {
        ready: database.ok && migrations.ok && providers.ok,
        checks: Checks {
            database,
            migrations,
            providers,
        },
    }
}

/// The metrics in Prometheus's text format, with the gauges that are read when scraped.
pub async fn scrape(state: &AppState) -> String {
    metrics::event_streams(state.events.subscribers());
    let now = state.clock.now_ms();
    let read_at = &state.metrics.ledger_read_at;
    let last = read_at.load(Ordering::Relaxed);
    if (last == 0 || now - last >= LEDGER_EVERY_MS)
        && read_at
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        match ledger::snapshot(&state.db).await {
            Ok((totals, balances)) => metrics::ledger(&totals, balances, 10_i64.pow(SCALE)),
            Err(e) => {
                read_at.store(last, Ordering::Relaxed);
                tracing::warn!(error = %e, "metrics: could not read the ledger's totals");
            }
        }
    }
    state.metrics.handle.render()
}

/// The orders the pollers watch: (name shown, table, which rows are open).
const POLLED: [(&str, &str, &str); 2] = [
    ("rentals", "rentals", "status = 'active'"),
    (
        "verifications",
        "verification",
        "status in ('waiting', 'received')",
    ),
];

/// `GET /api/admin/system`: what this instance's jobs did, the singleton jobs' leases, the
/// pollers' backlog across the deployment, and the event streams open here.
pub async fn system(state: &AppState) -> Result<SystemView, ServerError> {
    let now = state.clock.now_ms();
    let jobs = state
        .jobs
        .snapshot()
        .into_iter()
        .map(|(name, r)| JobView {
            name: name.to_owned(),
            passes: r.passes,
            failures: r.failures,
            last_at: r.last_at.map(from_ms),
            last_took_ms: u64::try_from(r.last_took.as_millis()).unwrap_or(u64::MAX),
            last_error: r.last_error,
            lag_ms: r.lag_ms,
        })
        .collect();
    let singletons = leases::jobs(&state.db)
        .await?
        .into_iter()
        .map(|(name, lease_until, next_at)| SingletonJobView {
            name,
            running: lease_until > now,
            lease_until: from_ms(lease_until),
            next_at: from_ms(next_at),
        })
        .collect();
    let mut polling = Vec::new();
    for (orders, table, open) in POLLED {
        let (open, overdue, oldest) = leases::backlog(&state.db, table, open, now).await?;
        polling.push(PollingView {
            orders: orders.to_owned(),
            open: u64::try_from(open).unwrap_or_default(),
            overdue: u64::try_from(overdue).unwrap_or_default(),
            oldest_overdue_ms: oldest.map_or(0, |due| (now - due).max(0)),
        });
    }
    Ok(SystemView {
        now: from_ms(now),
        started_at: from_ms(state.started_at),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: match state.db.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .to_owned(),
        sandbox: state.sandbox.is_some(),
        jobs,
        singletons,
        polling,
        event_streams: u64::try_from(state.events.subscribers()).unwrap_or_default(),
    })
}
