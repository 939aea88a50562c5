//! The live stream's events and the snapshot that stands in for missed ones.

use super::*;

/// The data of an `sms.received` event: the new message, and the rental's summary with it
/// (its message and unread counts and last code changed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SmsReceived {
    pub rental_id: i64,
    pub message: MessageView,
    pub rental: RentalView,
}

/// The data of a `balance.changed` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BalanceChanged {
    pub balance: Money,
}

/// The data of a `notification.created` event: how many of the user's notifications are unread
/// now (the bell's count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UnreadNotifications {
    pub unread: i64,
}

impl UnreadNotifications {
    /// The count from the event's data as the server writes it (`{"unread":3}`), read without
    /// a JSON deserializer of its own: the browser's client is kept small.
    pub fn read(data: &str) -> Option<i64> {
        data.trim()
            .strip_prefix("{\"unread\":")?
            .strip_suffix('}')?
            .trim()
            .parse()
            .ok()
            .filter(|n: &i64| *n >= 0)
    }
}

/// Everything the live parts of a page show, at once: what the browser asks for when its
/// event stream cannot be resumed exactly (a gap the server cannot replay).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LiveSnapshot {
    pub balance: Money,
    /// Active rentals, soonest to end first.
    pub rentals: Vec<RentalView>,
    /// Verifications still waiting for a code or to be finished.
    pub verifications: Vec<VerificationView>,
    /// The rental asked for (any status), and its messages, newest first.
    pub rental: Option<RentalView>,
    pub messages: Option<MessageList>,
    /// Unread notifications (the bell's count).
    #[serde(default)]
    pub unread_notifications: i64,
}

/// What an event on the live stream (`/api/events`) says changed; its name is the SSE event name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    RentalUpdated,
    SmsReceived,
    VerificationUpdated,
    BalanceChanged,
    RentalExpiring,
    NotificationCreated,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::RentalUpdated,
        EventKind::SmsReceived,
        EventKind::VerificationUpdated,
        EventKind::BalanceChanged,
        EventKind::RentalExpiring,
        EventKind::NotificationCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RentalUpdated => "rental.updated",
            EventKind::SmsReceived => "sms.received",
            EventKind::VerificationUpdated => "verification.updated",
            EventKind::BalanceChanged => "balance.changed",
            EventKind::RentalExpiring => "rental.expiring",
            EventKind::NotificationCreated => "notification.created",
        }
    }
}
