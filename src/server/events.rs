//! The live-update hub: services publish what changed for a user; each browser tab's event
//! stream receives it. Events are stored for a day first, so a stream that reconnects with
//! `Last-Event-ID` resumes without losing one. Streams know events by their position, which
//! follows commit order on both databases (`storage::events`), so a resume from a position
//! misses nothing, on whichever instance it lands.
//!
//! Two hubs: [`LocalHub`] for SQLite (one instance; an event is handed to the streams as its
//! transaction commits) and [`postgres::PgHub`] for PostgreSQL, where every instance hands its
//! own streams every committed event, told by `LISTEN/NOTIFY` and read from the table.

pub mod postgres;

use super::clock::Clock;
use super::storage::{events as store, Db, Tx};
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

/// An event as streams see it: with its position (`None` if it could not be stored, or is
/// not sequenced yet).
#[derive(Clone, Debug)]
pub struct Published {
    pub id: Option<i64>,
    pub user_id: i64,
    pub kind: String,
    pub data: String,
    /// When it was stored (ms).
    pub created_at: i64,
}

impl From<store::EventRow> for Published {
    fn from(r: store::EventRow) -> Self {
        Published {
            id: Some(r.position),
            user_id: r.user_id,
            kind: r.kind,
            data: r.data,
            created_at: r.created_at,
        }
    }
}

impl Event {
    /// Stores the event inside `tx`, with the change it announces: it is in the store (for
    /// streams that resume) exactly when the change is. Hand the result to
    /// [`EventHub::deliver`] once `tx` has committed.
    pub async fn stage(self, tx: &mut Tx, now: i64) -> Result<Staged, sqlx::Error> {
        let data = self.data.to_string();
        let kind = self.kind.as_str();
        let id = store::insert(tx, self.user_id, kind, &data, now).await?;
        Ok(Staged(Published {
            id,
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
    /// Where a page's live updates start: a position such that every event at or below it
    /// had committed, with the change it announces, before this call returned. A page whose
    /// data is read after this call shows them all; its stream, opened from this position
    /// (`?last_event_id=`), is replayed everything after it.
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

/// This instance's streams: one channel per user with a stream open, so an event wakes only
/// its own user's streams, however many other streams are open.
#[derive(Default)]
pub struct Fanout {
    channels: Mutex<HashMap<i64, broadcast::Sender<Arc<Published>>>>,
    closed: AtomicBool,
}

impl Fanout {
    fn channels(&self) -> MutexGuard<'_, HashMap<i64, broadcast::Sender<Arc<Published>>>> {
        self.channels
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands `event` to its user's streams here, if they have any.
    pub fn send(&self, event: Published) {
        let user_id = event.user_id;
        let mut channels = self.channels();
        if let Some(tx) = channels.get(&user_id) {
            // No receiver left: that user's last stream closed since; forget the channel.
            if tx.send(Arc::new(event)).is_err() {
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
        channels.clear();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// SQLite's hub: each event is stored with its position (one writer at a time: positions are
/// taken in commit order) and handed to this instance's streams as its transaction commits.
pub struct LocalHub {
    db: Db,
    clock: Clock,
    fanout: Fanout,
    /// The newest position delivered (so committed), or stored when the hub started.
    delivered: AtomicI64,
}

impl LocalHub {
    /// A hub for `db`, whose newest stored position is `latest`.
    pub fn new(db: Db, clock: Clock, latest: i64) -> Self {
        LocalHub {
            db,
            clock,
            fanout: Fanout::default(),
            delivered: AtomicI64::new(latest),
        }
    }
}

impl fmt::Debug for LocalHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalHub")
            .field("subscribers", &self.subscribers())
            .finish()
    }
}

/// Stores `event` on its own (in a transaction of its own: on SQLite its position is set by a
/// second statement, which no other writer may come between); its position, where the
/// database gives one at once.
async fn store_alone(db: &Db, event: &Event, data: &str, now: i64) -> Option<Option<i64>> {
    let stored = async {
        let mut tx = db.begin_write().await?;
        let id = store::insert(&mut tx, event.user_id, event.kind.as_str(), data, now).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    };
    match stored.await {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::error!(error = %e, kind = event.kind.as_str(), "could not store an event");
            None
        }
    }
}

#[async_trait]
impl EventHub for LocalHub {
    async fn publish(&self, event: Event) {
        let data = event.data.to_string();
        let now = self.clock.now_ms();
        // Not stored: the streams get it without a position all the same.
        let id = store_alone(&self.db, &event, &data, now).await.flatten();
        self.deliver(Staged(Published {
            id,
            user_id: event.user_id,
            kind: event.kind.as_str().to_owned(),
            data,
            created_at: now,
        }));
    }

    fn deliver(&self, staged: Staged) {
        if let Some(id) = staged.0.id {
            self.delivered.fetch_max(id, Ordering::SeqCst);
        }
        self.fanout.send(staged.0);
    }

    fn subscribe_at_most(
        &self,
        user_id: i64,
        most: usize,
    ) -> Option<broadcast::Receiver<Arc<Published>>> {
        self.fanout.subscribe_at_most(user_id, most)
    }

    fn cursor(&self) -> Option<i64> {
        // Every position below a delivered one belongs to a transaction that had ended before
        // it began.
        Some(self.delivered.load(Ordering::SeqCst))
    }

    fn subscribers(&self) -> usize {
        self.fanout.subscribers()
    }

    fn disconnect_all(&self) {
        self.fanout.disconnect_all();
    }

    fn close(&self) {
        self.fanout.close();
    }
}
