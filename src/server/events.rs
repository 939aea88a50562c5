//! The live-update hub: services publish what changed for a user; the event stream delivers it.
//! In-process here, behind a trait so a PostgreSQL LISTEN/NOTIFY hub can replace it.

use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EventKind {
    #[serde(rename = "rental.updated")]
    RentalUpdated,
    #[serde(rename = "sms.received")]
    SmsReceived,
    #[serde(rename = "verification.updated")]
    VerificationUpdated,
    #[serde(rename = "balance.changed")]
    BalanceChanged,
    #[serde(rename = "rental.expiring")]
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
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub user_id: i64,
    pub kind: EventKind,
    pub data: Value,
}

pub trait EventHub: Send + Sync + fmt::Debug {
    fn publish(&self, event: Event);
    /// Every event from now on (callers filter by user).
    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>>;
}

/// Fans events out to this instance's subscribers.
#[derive(Debug)]
pub struct LocalHub {
    tx: broadcast::Sender<Arc<Event>>,
}

impl Default for LocalHub {
    fn default() -> Self {
        LocalHub {
            tx: broadcast::channel(4096).0,
        }
    }
}

impl EventHub for LocalHub {
    fn publish(&self, event: Event) {
        // No subscriber is not an error: nobody is watching right now.
        let _ = self.tx.send(Arc::new(event));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}
