//! The live-update hub: services publish what changed for a user; each browser tab's event
//! stream receives it. Events are stored for a day first, so a stream that reconnects with
//! `Last-Event-ID` resumes without losing one. In-process fan-out here, behind a trait so a
//! PostgreSQL LISTEN/NOTIFY hub can replace it for several instances.

use super::clock::Clock;
use super::storage::{events as store, Backend, Db, Tx};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

pub use crate::api::dto::EventKind;

/// Something that changed for one user.
#[derive(Clone, Debug)]
pub struct Event {
    pub user_id: i64,
    pub kind: EventKind,
    pub data: Value,
}

/// An event as streams see it: with its id (`None` if it could not be stored).
#[derive(Clone, Debug)]
pub struct Published {
    pub id: Option<i64>,
    pub user_id: i64,
    pub kind: String,
    pub data: String,
    /// When it was stored (ms).
    pub created_at: i64,
}

impl Event {
    /// Stores the event inside `tx`, with the change it announces: it is in the store (for
    /// streams that resume) exactly when the change is. Hand the result to
    /// [`EventHub::deliver`] once `tx` has committed.
    pub async fn stage(self, tx: &mut Tx, now: i64) -> Result<Staged, sqlx::Error> {
        let data = self.data.to_string();
        let kind = self.kind.as_str();
        let id = store::insert(&mut **tx, self.user_id, kind, &data, now).await?;
        Ok(Staged(Published {
            id: Some(id),
            user_id: self.user_id,
            kind: kind.to_owned(),
            data,
            created_at: now,
        }))
    }
}

/// An event stored in a transaction, waiting for it to commit before streams see it.
#[must_use = "deliver a staged event once its transaction commits"]
#[derive(Debug)]
pub struct Staged(Published);

#[async_trait]
pub trait EventHub: Send + Sync + fmt::Debug {
    /// Stores the event on its own, then sends it to the streams.
    async fn publish(&self, event: Event);
    /// Sends an event stored with [`Event::stage`] to the streams.
    fn deliver(&self, staged: Staged);
    /// Every event for `user_id` from now on, unless that user already has `most` streams open
    /// on this instance (`None`).
    fn subscribe_at_most(
        &self,
        user_id: i64,
        most: usize,
    ) -> Option<broadcast::Receiver<Arc<Published>>>;
    /// Every event for `user_id` from now on.
    fn subscribe(&self, user_id: i64) -> broadcast::Receiver<Arc<Published>> {
        self.subscribe_at_most(user_id, usize::MAX)
            .expect("no user has usize::MAX streams")
    }
    /// Where a page's live updates start: an event id such that every event at or below it
    /// had committed, with the change it announces, before this call returned. A page whose
    /// data is read after this call shows them all; its stream, opened from this id
    /// (`?last_event_id=`), is replayed everything after it. `None` where event ids are not
    /// in commit order (PostgreSQL sequences), so no id can promise that: the page then
    /// catches up each time its stream opens.
    fn cursor(&self) -> Option<i64>;
    /// Open subscriptions (a closed stream frees its own at once).
    fn subscribers(&self) -> usize;
    /// Ends every open stream as a lost connection would; their clients reconnect and resume.
    /// (The sandbox's control API offers it, to show and test that nothing is lost.)
    fn disconnect_all(&self);
    /// Ends every stream, and any opened from now on, when the server stops: a stream never
    /// ends by itself, so the server would otherwise wait on its connection for ever.
    fn close(&self);
}

/// How many events one user's streams may fall behind by before they are ended (they then
/// reconnect and catch up from the store). A channel's slots are allocated when it opens, so
/// this is memory per watching user: 32 slots are about 1.5 KB.
const PER_USER_BACKLOG: usize = 32;
/// Past this many users' channels, those with no stream left are dropped on the next subscribe.
const SWEEP_ABOVE: usize = 1_024;

/// Stores each event, then fans it out to this instance's streams of that user: one channel
/// per user with a stream open, so an event wakes only its own user's streams, however many
/// other streams are open.
pub struct LocalHub {
    db: Db,
    clock: Clock,
    channels: Mutex<HashMap<i64, broadcast::Sender<Arc<Published>>>>,
    closed: AtomicBool,
    /// The newest event id delivered (so committed), or stored when the hub started.
    delivered: AtomicI64,
}

impl LocalHub {
    /// A hub for `db`, whose newest stored event id is `latest`.
    pub fn new(db: Db, clock: Clock, latest: i64) -> Self {
        LocalHub {
            db,
            clock,
            channels: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
            delivered: AtomicI64::new(latest),
        }
    }

    fn channels(&self) -> MutexGuard<'_, HashMap<i64, broadcast::Sender<Arc<Published>>>> {
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for LocalHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalHub")
            .field("subscribers", &self.subscribers())
            .finish()
    }
}

#[async_trait]
impl EventHub for LocalHub {
    async fn publish(&self, event: Event) {
        let data = event.data.to_string();
        let kind = event.kind.as_str();
        let now = self.clock.now_ms();
        let id = match store::insert(&self.db.pool, event.user_id, kind, &data, now).await {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::error!(error = %e, kind, "could not store an event; streams get it without an id");
                None
            }
        };
        self.deliver(Staged(Published {
            id,
            user_id: event.user_id,
            kind: kind.to_owned(),
            data,
            created_at: now,
        }));
    }

    fn deliver(&self, staged: Staged) {
        if let Some(id) = staged.0.id {
            self.delivered.fetch_max(id, Ordering::SeqCst);
        }
        let user_id = staged.0.user_id;
        let mut channels = self.channels();
        if let Some(tx) = channels.get(&user_id) {
            // No receiver left: that user's last stream closed since; forget the channel.
            if tx.send(Arc::new(staged.0)).is_err() {
                channels.remove(&user_id);
            }
        }
    }

    fn subscribe_at_most(
        &self,
        user_id: i64,
        most: usize,
    ) -> Option<broadcast::Receiver<Arc<Published>>> {
        let mut channels = self.channels();
        if self.closed.load(Ordering::SeqCst) {
            // Its sender is gone at once: the stream ends after its first read.
            return Some(broadcast::channel(1).1);
        }
        if channels.len() > SWEEP_ABOVE {
            channels.retain(|_, tx| tx.receiver_count() > 0);
        }
        let channel = channels
            .entry(user_id)
            .or_insert_with(|| broadcast::channel(PER_USER_BACKLOG).0);
        // Counted and taken under the one lock, so simultaneous opens cannot pass the limit.
        (channel.receiver_count() < most).then(|| channel.subscribe())
    }

    fn cursor(&self) -> Option<i64> {
        // SQLite has one writer at a time, so ids are taken in commit order: every id below a
        // delivered one belongs to a transaction that had ended before it began.
        (self.db.backend == Backend::Sqlite).then(|| self.delivered.load(Ordering::SeqCst))
    }

    fn subscribers(&self) -> usize {
        self.channels()
            .values()
            .map(broadcast::Sender::receiver_count)
            .sum()
    }

    fn disconnect_all(&self) {
        // Dropping the senders ends every receiver once it has read what was sent.
        self.channels().clear();
    }

    fn close(&self) {
        let mut channels = self.channels();
        self.closed.store(true, Ordering::SeqCst);
        // Dropping the senders ends every receiver once it has read what was sent.
        channels.clear();
    }
}
