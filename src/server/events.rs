//! The live-update hub: services publish what changed for a user; each browser tab's event
//! stream receives it. Events are stored for a day first, so a stream that reconnects with
//! `Last-Event-ID` resumes without losing one. In-process fan-out here, behind a trait so a
//! PostgreSQL LISTEN/NOTIFY hub can replace it for several instances.

use super::clock::Clock;
use super::storage::{events as store, Db, Tx};
use async_trait::async_trait;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    RentalUpdated,
    SmsReceived,
    VerificationUpdated,
    BalanceChanged,
    RentalExpiring,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RentalUpdated => "rental.updated",
            EventKind::SmsReceived => "sms.received",
            EventKind::VerificationUpdated => "verification.updated",
            EventKind::BalanceChanged => "balance.changed",
            EventKind::RentalExpiring => "rental.expiring",
        }
    }
}

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
    /// Every event from now on; callers keep their user's.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Published>>;
    /// Open subscriptions (a closed stream frees its own at once).
    fn subscribers(&self) -> usize;
}

/// Stores each event, then fans it out to this instance's streams.
pub struct LocalHub {
    db: Db,
    clock: Clock,
    tx: broadcast::Sender<Arc<Published>>,
}

impl LocalHub {
    pub fn new(db: Db, clock: Clock) -> Self {
        LocalHub {
            db,
            clock,
            tx: broadcast::channel(4096).0,
        }
    }
}

impl fmt::Debug for LocalHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalHub")
            .field("subscribers", &self.tx.receiver_count())
            .finish()
    }
}

#[async_trait]
impl EventHub for LocalHub {
    async fn publish(&self, event: Event) {
        let data = event.data.to_string();
        let kind = event.kind.as_str();
        let id = match store::insert(
            &self.db.pool,
            event.user_id,
            kind,
            &data,
            self.clock.now_ms(),
        )
        .await
        {
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
        }));
    }

    fn deliver(&self, staged: Staged) {
        // No subscriber is not an error: nobody is watching right now.
        let _ = self.tx.send(Arc::new(staged.0));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.tx.subscribe()
    }

    fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}
