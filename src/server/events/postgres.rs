//! PostgreSQL's hub, for one instance or many behind a load balancer. An event is stored in
//! its change's transaction without a position. After the commit, the writing instance wakes
//! its sequencer, which gives every committed event its position (one sequencing transaction
//! at a time across the deployment: `storage::events::sequence`) and notifies
//! `namaskah_event`. Every instance listens: on each notification it reads the events after the
//! last position it handed out and gives them to its own streams. So an SMS polled by one
//! instance reaches the streams connected to any other, in commit order, and a stream that
//! resumes on another instance with `Last-Event-ID` gets exactly what it missed.
//!
//! Nothing depends on a notification arriving: each instance also sequences and reads once a
//! second, so an instance that died between a commit and sequencing, or a lost `LISTEN`
//! connection (reconnected at once), delays events by at most that, never loses them.

use super::{store_alone, Event, EventHub, Fanout, Published, Staged};
use crate::server::clock::Clock;
use crate::server::storage::{events as store, Db};
use async_trait::async_trait;
use sqlx::postgres::PgListener;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, Notify};

/// The channel the sequencer notifies.
pub const CHANNEL: &str = "namaskah_event";
/// How often every instance sequences and reads whether or not it was told to.
const CATCH_UP_EVERY: Duration = Duration::from_secs(1);
/// Events read per query while catching up.
const READ_BATCH: i64 = 500;
/// The longest wait for the listening connection (then the table is read meanwhile).
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// What the listening connection calls itself (`pg_stat_activity.application_name`).
pub const LISTENER_NAME: &str = "namaskah-events";

struct Shared {
    fanout: Fanout,
    /// The newest position handed to this instance's streams.
    delivered: AtomicI64,
}

pub struct PgHub {
    db: Db,
    clock: Clock,
    shared: Arc<Shared>,
    /// Wakes this instance's sequencer after a commit that stored events.
    wake: Arc<Notify>,
}

impl PgHub {
    /// Starts the hub's sequencer and listener for `db` (at `url`), whose newest position is
    /// `latest`. They stop when the hub is dropped or closed.
    pub fn start(db: Db, url: String, clock: Clock, latest: i64) -> PgHub {
        let shared = Arc::new(Shared {
            fanout: Fanout::default(),
            delivered: AtomicI64::new(latest),
        });
        let wake = Arc::new(Notify::new());
        tokio::spawn(sequence(db.clone(), Arc::downgrade(&shared), wake.clone()));
        tokio::spawn(listen(db.clone(), url, Arc::downgrade(&shared)));
        PgHub {
            db,
            clock,
            shared,
            wake,
        }
    }
}

impl fmt::Debug for PgHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgHub")
            .field("subscribers", &self.subscribers())
            .field("delivered", &self.shared.delivered.load(Ordering::SeqCst))
            .finish()
    }
}

/// Whether the hub behind `shared` still runs.
fn running(shared: &Weak<Shared>) -> Option<Arc<Shared>> {
    shared.upgrade().filter(|s| !s.fanout.is_closed())
}

/// Gives committed events their positions whenever this instance stored some, and once a
/// second in case another instance stored some and died before it could.
async fn sequence(db: Db, shared: Weak<Shared>, wake: Arc<Notify>) {
    let mut tick = tokio::time::interval(CATCH_UP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tick.tick() => {}
        }
        if running(&shared).is_none() {
            return;
        }
        let sequenced = store::sequence(&db.pool).await;
        if let Ok(Some(newest)) = sequenced {
            tracing::debug!(newest, "live events sequenced");
        }
        if let Err(e) = sequenced {
            tracing::warn!(error = %e, "could not sequence live events; trying again");
            tokio::time::sleep(Duration::from_millis(200)).await;
            wake.notify_one();
        }
    }
}

/// Listens for sequenced events and hands each to this instance's streams, in order; reads
/// the table after every notification, after (re)connecting, and once a second.
async fn listen(db: Db, url: String, shared: Weak<Shared>) {
    let mut tick = tokio::time::interval(CATCH_UP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut listener: Option<PgListener> = None;
    loop {
        let Some(hub) = running(&shared) else {
            return;
        };
        if listener.is_none() {
            match connect(&url).await {
                Ok(l) => listener = Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "could not listen for live events; reading the table meanwhile")
                }
            }
        }
        if let Err(e) = catch_up(&db, &hub).await {
            tracing::warn!(error = %e, "could not read live events; trying again");
        }
        drop(hub);
        match listener.as_mut() {
            Some(l) => tokio::select! {
                got = l.try_recv() => match got {
                    Ok(Some(n)) => tracing::debug!(newest = n.payload(), "live events notified"),
                    // The connection was lost: made again at the top of the loop (within a
                    // bounded wait), and the read there catches up on what was notified meanwhile.
                    Ok(None) => {
                        tracing::warn!("the live events' LISTEN connection was lost; reconnecting");
                        listener = None;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the live events' LISTEN connection failed; connecting again");
                        listener = None;
                    }
                },
                _ = tick.tick() => {}
            },
            None => {
                tick.tick().await;
            }
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let options: sqlx::postgres::PgConnectOptions = url
        .parse::<sqlx::postgres::PgConnectOptions>()?
        .application_name(LISTENER_NAME);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_WAIT)
        .connect_lazy_with(options);
    // Reconnecting is done by the loop above, with its bounded wait.
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Hands this instance's streams every event after the last one handed out.
async fn catch_up(db: &Db, hub: &Shared) -> Result<(), sqlx::Error> {
    loop {
        let after = hub.delivered.load(Ordering::SeqCst);
        let rows = store::after(&db.pool, after, READ_BATCH).await?;
        let full = rows.len() as i64 == READ_BATCH;
        for row in rows {
            tracing::debug!(position = row.position, "live event handed to the streams");
            hub.delivered.fetch_max(row.position, Ordering::SeqCst);
            hub.fanout.send(Published::from(row));
        }
        if !full {
            return Ok(());
        }
    }
}

#[async_trait]
impl EventHub for PgHub {
    async fn publish(&self, event: Event) {
        let data = event.data.to_string();
        match store_alone(&self.db, &event, &data, self.clock.now_ms()).await {
            Some(_) => self.wake.notify_one(),
            // Not stored: this instance's streams get it without a position all the same.
            None => self.shared.fanout.send(Published {
                id: None,
                user_id: event.user_id,
                kind: event.kind.as_str().to_owned(),
                data,
                created_at: self.clock.now_ms(),
            }),
        }
    }

    fn deliver(&self, _staged: Staged) {
        // Committed: the sequencer gives it its position, and every instance its streams.
        self.wake.notify_one();
    }

    fn subscribe_at_most(
        &self,
        user_id: i64,
        most: usize,
    ) -> Option<broadcast::Receiver<Arc<Published>>> {
        self.shared.fanout.subscribe_at_most(user_id, most)
    }

    fn cursor(&self) -> Option<i64> {
        // Positions are given to committed events only, in commit order: every one at or
        // below the newest handed out had committed.
        Some(self.shared.delivered.load(Ordering::SeqCst))
    }

    fn subscribers(&self) -> usize {
        self.shared.fanout.subscribers()
    }

    fn disconnect_all(&self) {
        self.shared.fanout.disconnect_all();
    }

    fn close(&self) {
        self.shared.fanout.close();
        self.wake.notify_one();
    }
}
