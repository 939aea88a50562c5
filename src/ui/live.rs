//! The tab's live state: the balance, the rentals and their messages, the verifications, each
//! in a signal that the islands render from. The server's events (`/api/events`) carry the
//! data that changed and are applied here ([`Store::apply`]); nothing is fetched to show them.
//!
//! In the browser there is one store per tab, shared by every island of every page it shows
//! (islands are siblings, so context cannot carry it). While the server renders, each island
//! gets a store of its own, seeded from its props: requests share threads there.
//!
//! Seeding from props wins while a page is being put in place, unless the store holds a newer
//! view already (each rental and verification carries a revision): the props are as new as
//! the server's render, and the events that arrived while the page was on its way are applied
//! again after it (see `islands::live`), in order, so the newest state is the one left. An
//! island that hydrates later, when the customer comes to it, only fills gaps: what the store
//! learnt since its page was drawn is newer. No view ever replaces a newer one of the same
//! thing, whichever way it came (an event, an action's answer, a page, a snapshot). Either way an island hydrates over exactly what
//! the server drew ([`follow_drawn`]) and then follows the store.

use crate::api::dto::{
    BalanceChanged, EventKind, LiveSnapshot, MessageView, PresetView, RentalView, SmsReceived,
    UnreadNotifications, VerificationView,
};
use crate::domain::rental::RentalStatus;
use crate::domain::Money;
use leptos::prelude::*;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One tab's live state (cheap to clone: clones share it).
#[derive(Clone, Default)]
pub struct Store(Arc<Inner>);

#[derive(Default)]
struct Inner {
    balance: ArcRwSignal<Option<Money>>,
    /// Unread notifications: the bell's count.
    unread: ArcRwSignal<Option<i64>>,
    rentals: Signals<RentalView>,
    /// The active rentals' ids, soonest to end first, once a page has listed them.
    board: ArcRwSignal<Vec<i64>>,
    /// A rental's messages, newest first, for the rentals whose list a page has shown.
    messages: Signals<Vec<MessageView>>,
    verifications: Signals<VerificationView>,
    /// The open verifications' ids, newest first.
    open: ArcRwSignal<Vec<i64>>,
    /// The saved presets, oldest first, once a page has listed them.
    presets: ArcRwSignal<Vec<PresetView>>,
}

thread_local! {
    static TAB: Store = Store::default();
    /// Whether a page is being put in place (its islands seed the store); see the module doc.
    static PLACING: Cell<bool> = const { Cell::new(true) };
}

/// A page is being put in place (`true`: the first load, or a page change under way), or is
/// in place (`false`: islands hydrating from now on came later than their page).
pub fn placing_page(on: bool) {
    PLACING.with(|p| p.set(on));
}

fn placing() -> bool {
    PLACING.with(Cell::get)
}

/// A signal of the island's own that follows `shared` (a signal of the store) while the island
/// lives. Islands render from this, never from the store's signals themselves: Leptos keeps a
/// hydrated island's view and its render effects for ever, so a view subscribed to the store
/// would still run after a page change took it away; this one stops following when the
/// island's owner is cleaned up (`islands::lifetime`), and its dead view with it.
pub fn follow<T: Clone + PartialEq + Send + Sync + 'static>(shared: ArcRwSignal<T>) -> RwSignal<T> {
    follow_drawn(shared.get_untracked(), shared)
}

/// [`follow`] for an island that may hydrate after its page was drawn: it starts from what the
/// server drew (`drawn`, its props), so hydration finds exactly that, and moves to what the
/// store holds a tick later.
pub fn follow_drawn<T: Clone + PartialEq + Send + Sync + 'static>(
    drawn: T,
    shared: ArcRwSignal<T>,
) -> RwSignal<T> {
    let local = RwSignal::new(drawn);
    // The effect's first run comes a tick after this returns, and takes whatever the shared
    // signal holds by then: events applied in between (those replayed right after a page
    // change hydrates its islands) are not lost, as they were with a watcher that skipped it.
    Effect::new(move |_| {
        let value = shared.get();
        if local.with_untracked(|l| *l != value) {
            local.set(value);
        }
    });
    local
}

/// The browser's one store; on the server, a fresh one for the island being rendered.
pub fn store() -> Store {
    if cfg!(target_arch = "wasm32") {
        TAB.with(Store::clone)
    } else {
        Store::default()
    }
}

/// The signals of one kind, by id.
type Signals<T> = Mutex<HashMap<i64, ArcRwSignal<T>>>;

fn locked<T>(map: &Signals<T>) -> std::sync::MutexGuard<'_, HashMap<i64, ArcRwSignal<T>>> {
    map.lock().unwrap_or_else(|e| e.into_inner())
}

fn find<T: Send + Sync + 'static>(map: &Signals<T>, id: i64) -> Option<ArcRwSignal<T>> {
    locked(map).get(&id).cloned()
}

/// What the store keeps one of per id, and can tell an older view of from a newer one.
trait Versioned {
    /// Whether `self` was taken before `other`: views of one thing can arrive out of order (an
    /// action's answer after the live event of a later change, a page drawn before an event
    /// the tab already applied), and an older one must not replace a newer.
    fn older_than(&self, other: &Self) -> bool;
}

impl Versioned for RentalView {
    fn older_than(&self, other: &Self) -> bool {
        self.revision < other.revision || self.message_count < other.message_count
    }
}

impl Versioned for VerificationView {
    fn older_than(&self, other: &Self) -> bool {
        self.revision < other.revision || self.message_count < other.message_count
    }
}

/// A rental's messages: none is ever taken away, so a shorter list is an older one.
impl Versioned for Vec<MessageView> {
    fn older_than(&self, other: &Self) -> bool {
        self.len() < other.len()
    }
}

/// `id`'s signal in `map`, holding `value` from now unless it holds a newer view already.
fn entry<T: Versioned + Send + Sync + 'static>(
    map: &Signals<T>,
    id: i64,
    value: T,
) -> ArcRwSignal<T> {
    // The lock is let go before the signal changes: what the change runs may read the map.
    match find(map, id) {
        Some(signal) => {
            if !signal.with_untracked(|held| value.older_than(held)) {
                signal.set(value);
            }
            signal
        }
        None => {
            let signal = ArcRwSignal::new(value);
            locked(map).insert(id, signal.clone());
            signal
        }
    }
}

/// `id`'s signal in `map`, seeded from an island's props: holding `value` from now while a
/// page is being put in place (unless what it holds is newer), or only if the store had
/// nothing for `id` (see the module doc).
fn seed<T: Versioned + Send + Sync + 'static>(
    map: &Signals<T>,
    id: i64,
    value: T,
) -> ArcRwSignal<T> {
    match find(map, id) {
        Some(signal) if !placing() => signal,
        _ => entry(map, id, value),
    }
}

/// Seeds `map` with every item of `seed` and `list` with their ids, in order. Lists are seeded
/// only by islands that hydrate with their page, and by snapshots: both are the newest there is.
fn seed_list<T: Versioned + Send + Sync + 'static>(
    map: &Signals<T>,
    list: &ArcRwSignal<Vec<i64>>,
    seed: Vec<T>,
    id: fn(&T) -> i64,
) -> ArcRwSignal<Vec<i64>> {
    let ids = seed.iter().map(id).collect();
    for item in seed {
        entry(map, id(&item), item);
    }
    list.set(ids);
    list.clone()
}

impl Store {
    /// The balance's signal, seeded with `drawn` (see [`seed`]).
    pub fn balance(&self, drawn: Option<Money>) -> ArcRwSignal<Option<Money>> {
        if drawn.is_some() && (placing() || self.0.balance.with_untracked(Option::is_none)) {
            self.0.balance.set(drawn);
        }
        self.0.balance.clone()
    }

    /// The unread notifications' count, once an event or a snapshot has told it (the page
    /// drew it before that).
    pub fn unread(&self) -> ArcRwSignal<Option<i64>> {
        self.0.unread.clone()
    }

    /// The rental's signal, seeded with `drawn` (see [`seed`]).
    pub fn rental(&self, drawn: RentalView) -> ArcRwSignal<RentalView> {
        seed(&self.0.rentals, drawn.id, drawn)
    }

    /// The signal of a rental already seeded or received.
    pub fn rental_by_id(&self, id: i64) -> Option<ArcRwSignal<RentalView>> {
        find(&self.0.rentals, id)
    }

    /// The active rentals' ids, holding `seed` (the whole active list) from now.
    pub fn board(&self, seed: Vec<RentalView>) -> ArcRwSignal<Vec<i64>> {
        seed_list(&self.0.rentals, &self.0.board, seed, |r| r.id)
    }

    /// A rental's messages, seeded with `drawn` (see [`seed`]).
    pub fn messages(
        &self,
        rental_id: i64,
        drawn: Vec<MessageView>,
    ) -> ArcRwSignal<Vec<MessageView>> {
        seed(&self.0.messages, rental_id, drawn)
    }

    /// The verification's signal, seeded with `drawn` (see [`seed`]).
    pub fn verification(&self, drawn: VerificationView) -> ArcRwSignal<VerificationView> {
        seed(&self.0.verifications, drawn.id, drawn)
    }

    pub fn verification_by_id(&self, id: i64) -> Option<ArcRwSignal<VerificationView>> {
        find(&self.0.verifications, id)
    }

    /// The open verifications' ids, holding `seed` (every open one) from now.
    pub fn open_verifications(&self, seed: Vec<VerificationView>) -> ArcRwSignal<Vec<i64>> {
        seed_list(&self.0.verifications, &self.0.open, seed, |v| v.id)
    }

    /// The open verifications' ids, as some page last listed them (and events since).
    pub fn open_ids(&self) -> ArcRwSignal<Vec<i64>> {
        self.0.open.clone()
    }

    /// Applies one event from the stream (`kind` is its SSE name, `data` its JSON). Events
    /// carry whole views, so applying one twice, or an older one before a newer, leaves the
    /// newer state once the newer is applied. `None` for data it cannot read.
    pub fn apply(&self, kind: &str, data: &str) -> Option<Applied> {
        let mut applied = Applied::default();
        match kind {
            k if k == EventKind::RentalUpdated.as_str()
                || k == EventKind::RentalExpiring.as_str() =>
            {
                let rental: RentalView = serde_json::from_str(data).ok()?;
                applied.server_clock(rental.expires_at, rental.seconds_remaining);
                self.put_rental(rental);
            }
            k if k == EventKind::SmsReceived.as_str() => {
                let e: SmsReceived = serde_json::from_str(data).ok()?;
                if let Some(list) = find(&self.0.messages, e.rental_id) {
                    list.update(|l| insert_message(l, e.message));
                }
                applied.server_clock(e.rental.expires_at, e.rental.seconds_remaining);
                self.put_rental(e.rental);
            }
            k if k == EventKind::VerificationUpdated.as_str() => {
                let v: VerificationView = serde_json::from_str(data).ok()?;
                applied.server_clock(v.expires_at, v.seconds_remaining);
                self.put_verification(v);
            }
            k if k == EventKind::BalanceChanged.as_str() => {
                let b: BalanceChanged = serde_json::from_str(data).ok()?;
                self.0.balance.set(Some(b.balance));
            }
            k if k == EventKind::NotificationCreated.as_str() => {
                self.0.unread.set(Some(UnreadNotifications::read(data)?));
            }
            // News that changes no view.
            _ => {}
        }
        Some(applied)
    }

    /// Replaces everything with a snapshot taken after the events it follows (with the rental
    /// `rental_id` and its messages, if it asked for them). Rentals no longer active leave the
    /// board.
    pub fn apply_snapshot(&self, snapshot: LiveSnapshot, rental_id: Option<i64>) {
        self.0.balance.set(Some(snapshot.balance));
        self.0.unread.set(Some(snapshot.unread_notifications));
        self.board(snapshot.rentals);
        self.open_verifications(snapshot.verifications);
        if let Some(rental) = snapshot.rental {
            entry(&self.0.rentals, rental.id, rental);
        }
        if let (Some(id), Some(list)) = (rental_id, snapshot.messages) {
            entry(&self.0.messages, id, list.messages);
        }
    }

    /// The presets, holding `seed` (every one) from now.
    pub fn presets(&self, seed: Vec<PresetView>) -> ArcRwSignal<Vec<PresetView>> {
        self.0.presets.set(seed);
        self.0.presets.clone()
    }

    /// A preset just saved (or saved again under its name).
    pub fn put_preset(&self, preset: PresetView) {
        self.0
            .presets
            .update(|list| match list.iter_mut().find(|p| p.id == preset.id) {
                Some(p) => *p = preset,
                None => list.push(preset),
            });
    }

    pub fn remove_preset(&self, id: i64) {
        self.0.presets.update(|list| list.retain(|p| p.id != id));
    }

    /// A rental as it is now (from an event or an action's answer): active ones are on the
    /// board, in order of their end; others leave it.
    pub fn put_rental(&self, rental: RentalView) {
        let active = rental.status == RentalStatus::Active;
        let (id, ends) = (rental.id, (rental.expires_at, rental.id));
        entry(&self.0.rentals, id, rental);
        self.0.board.update(|ids| {
            let here = ids.iter().position(|i| *i == id);
            match (here, active) {
                (Some(at), false) => {
                    ids.remove(at);
                }
                (None, true) => {
                    let at = ids
                        .iter()
                        .position(|other| {
                            self.rental_by_id(*other)
                                .is_some_and(|r| r.with_untracked(|r| (r.expires_at, r.id)) > ends)
                        })
                        .unwrap_or(ids.len());
                    ids.insert(at, id);
                }
                _ => {}
            }
        });
    }

    /// A verification bought elsewhere joins the open ones; one that ended stays where it is
    /// shown, with how it ended (finished, cancelled, timed out and refunded), until the page
    /// is loaded again.
    pub fn put_verification(&self, v: VerificationView) {
        let (id, open) = (v.id, !v.status.is_terminal());
        entry(&self.0.verifications, id, v);
        if open && !self.0.open.with_untracked(|ids| ids.contains(&id)) {
            self.0.open.update(|ids| {
                let at = ids
                    .iter()
                    .position(|other| *other < id)
                    .unwrap_or(ids.len());
                ids.insert(at, id);
            });
        }
    }
}

/// What an event told besides the views it changed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Applied {
    /// The server's clock when it wrote the event, in ms since the epoch (to the second), where
    /// the event says: countdowns count by it.
    pub server_clock_ms: Option<i64>,
}

impl Applied {
    /// A view that was still counting down says what the time was: its end less its time left.
    fn server_clock(&mut self, ends: chrono::DateTime<chrono::Utc>, seconds_left: i64) {
        if seconds_left > 0 {
            self.server_clock_ms = Some(ends.timestamp_millis() - seconds_left * 1000);
        }
    }
}

/// Puts `message` in `list` (newest first) unless it is there already.
fn insert_message(list: &mut Vec<MessageView>, message: MessageView) {
    if list.iter().any(|m| m.id == message.id) {
        return;
    }
    let key = |m: &MessageView| (m.received_at, m.id);
    let at = list
        .iter()
        .position(|m| key(m) < key(&message))
        .unwrap_or(list.len());
    list.insert(at, message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::verification::VerificationStatus;
    use chrono::{DateTime, Duration, Utc};
    use rust_decimal::Decimal;
    use serde_json::json;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(hours)
    }

    fn rental(id: i64, ends_in_hours: i64, status: RentalStatus) -> RentalView {
        RentalView {
            id,
            phone_number: format!("+4470000000{id}"),
            service_name: "telegram".into(),
            country_code: "GB".into(),
            status,
            cost: Money::from_units(10_000),
            duration_hours: 24,
            expires_at: at(ends_in_hours),
            created_at: at(0),
            provider: "5sim".into(),
            operator: None,
            auto_renew: false,
            keepable_until: at(48),
            released_at: None,
            seconds_remaining: ends_in_hours * 3600,
            message_count: 0,
            unread_count: 0,
            last_code: None,
            extension_per_hour: Decimal::ONE,
            refund_if_released: Money::ZERO,
            revision: 0,
        }
    }

    fn message(id: i64, minute: i64) -> MessageView {
        MessageView {
            id,
            sender: "Telegram".into(),
            text: format!("Code {id}"),
            code: Some(id.to_string()),
            received_at: at(0) + Duration::minutes(minute),
        }
    }

    fn verification(id: i64, status: VerificationStatus) -> VerificationView {
        VerificationView {
            id,
            phone_number: "+447000000001".into(),
            service_name: "whatsapp".into(),
            country_code: "GB".into(),
            operator: None,
            provider: "5sim".into(),
            status,
            cost: Money::from_units(5_000),
            refunded: false,
            code: None,
            created_at: at(0),
            expires_at: at(1),
            finished_at: None,
            seconds_remaining: 600,
            message_count: 0,
            reused_from: None,
            revision: 0,
        }
    }

    #[test]
    fn a_new_sms_shows_in_the_list_once_and_on_the_card() {
        let store = Store::default();
        let card = store.rental(rental(1, 5, RentalStatus::Active));
        let list = store.messages(1, vec![message(10, 1)]);
        let mut summary = rental(1, 5, RentalStatus::Active);
        summary.message_count = 2;
        summary.unread_count = 1;
        summary.last_code = Some("11".into());
        let event = json!({ "rental_id": 1, "message": message(11, 2), "rental": summary });
        for _ in 0..2 {
            let applied = store.apply("sms.received", &event.to_string()).unwrap();
            // The card was counting down 5 hours from its end: that was the server's time.
            assert_eq!(applied.server_clock_ms, Some(at(0).timestamp_millis()));
        }
        let ids: Vec<i64> = list.get_untracked().iter().map(|m| m.id).collect();
        assert_eq!(ids, [11, 10], "newest first, and only once");
        let card = card.get_untracked();
        assert_eq!((card.message_count, card.unread_count), (2, 1));
        assert_eq!(card.last_code.as_deref(), Some("11"));
    }

    #[test]
    fn an_older_message_replayed_late_goes_below_the_newer() {
        let mut list = vec![message(3, 30), message(1, 10)];
        insert_message(&mut list, message(2, 20));
        let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
        assert_eq!(ids, [3, 2, 1]);
    }

    #[test]
    fn the_board_follows_releases_and_new_rentals_in_order_of_ending() {
        let store = Store::default();
        let board = store.board(vec![
            rental(1, 2, RentalStatus::Active),
            rental(2, 10, RentalStatus::Active),
        ]);
        let json = |r: RentalView| serde_json::to_string(&r).unwrap();
        store.apply("rental.updated", &json(rental(3, 5, RentalStatus::Active)));
        assert_eq!(board.get_untracked(), [1, 3, 2]);
        store.apply(
            "rental.updated",
            &json(rental(1, 2, RentalStatus::Released)),
        );
        assert_eq!(board.get_untracked(), [3, 2]);
        assert_eq!(
            store.rental_by_id(1).unwrap().get_untracked().status,
            RentalStatus::Released,
            "the rental's own page shows how it ended"
        );
        // The same event again changes nothing.
        store.apply(
            "rental.updated",
            &json(rental(1, 2, RentalStatus::Released)),
        );
        assert_eq!(board.get_untracked(), [3, 2]);
    }

    #[test]
    fn islands_hydrating_after_their_page_do_not_undo_the_events_since() {
        let store = Store::default();
        // The page is put in place: its islands' props are the newest there is.
        store.rental(rental(1, 5, RentalStatus::Active));
        store.balance(Some(Money::from_units(50_000)));
        placing_page(false);
        let json = |v: VerificationView| serde_json::to_string(&v).unwrap();
        store.apply(
            "verification.updated",
            &json(verification(7, VerificationStatus::Finished)),
        );
        store.apply(
            "rental.updated",
            &serde_json::to_string(&rental(1, 2, RentalStatus::Released)).unwrap(),
        );
        store.apply(
            "balance.changed",
            &json!({ "balance": "7.0000" }).to_string(),
        );
        // Islands hydrated later (a history table, a rental's actions, the rent form), with
        // what the server drew before those events: they only fill gaps.
        store.verification(verification(7, VerificationStatus::Waiting));
        store.verification(verification(8, VerificationStatus::Cancelled));
        let status = |id| store.verification_by_id(id).unwrap().get_untracked().status;
        assert_eq!(status(7), VerificationStatus::Finished);
        assert_eq!(status(8), VerificationStatus::Cancelled);
        let shown = store.rental(rental(1, 5, RentalStatus::Active));
        assert_eq!(shown.get_untracked().status, RentalStatus::Released);
        let balance = store.balance(Some(Money::from_units(50_000)));
        assert_eq!(balance.get_untracked(), Some(Money::from_units(70_000)));
        // The next page change seeds again.
        placing_page(true);
        let shown = store.rental(rental(1, 9, RentalStatus::Active));
        assert_eq!(shown.get_untracked().status, RentalStatus::Active);
    }

    #[test]
    fn open_verifications_gain_new_ones_first_and_keep_ended_ones_in_place() {
        let store = Store::default();
        let open = store.open_verifications(vec![verification(5, VerificationStatus::Waiting)]);
        let json = |v: VerificationView| serde_json::to_string(&v).unwrap();
        store.apply(
            "verification.updated",
            &json(verification(6, VerificationStatus::Waiting)),
        );
        assert_eq!(open.get_untracked(), [6, 5]);
        let mut got = verification(5, VerificationStatus::Received);
        got.code = Some("4242".into());
        store.apply("verification.updated", &json(got));
        assert_eq!(
            store
                .verification_by_id(5)
                .unwrap()
                .get_untracked()
                .code
                .as_deref(),
            Some("4242")
        );
        store.apply(
            "verification.updated",
            &json(verification(5, VerificationStatus::Finished)),
        );
        assert_eq!(open.get_untracked(), [6, 5], "shown with how it ended");
        assert_eq!(
            store.verification_by_id(5).unwrap().get_untracked().status,
            VerificationStatus::Finished
        );
    }

    #[test]
    fn an_answer_that_comes_after_the_event_of_a_later_change_is_not_shown() {
        let store = Store::default();
        let open = store.open_verifications(Vec::new());
        // The purchase's event, then the timeout's, then the purchase's own late answer.
        let mut bought = verification(9, VerificationStatus::Waiting);
        bought.revision = 0;
        let mut timed_out = verification(9, VerificationStatus::TimedOut);
        timed_out.revision = 1;
        timed_out.refunded = true;
        let json = |v: &VerificationView| serde_json::to_string(v).unwrap();
        store.apply("verification.updated", &json(&bought));
        store.apply("verification.updated", &json(&timed_out));
        store.put_verification(bought);
        let shown = store.verification_by_id(9).unwrap().get_untracked();
        assert_eq!(shown.status, VerificationStatus::TimedOut);
        assert!(shown.refunded);
        assert_eq!(open.get_untracked(), [9]);

        // A rental's extension answered after the event of an SMS that came later.
        let card = store.rental(rental(1, 5, RentalStatus::Active));
        let mut extended = rental(1, 10, RentalStatus::Active);
        extended.revision = 1;
        let mut with_sms = extended.clone();
        with_sms.revision = 2;
        with_sms.message_count = 1;
        with_sms.last_code = Some("5150".into());
        store.put_rental(with_sms);
        store.put_rental(extended);
        assert_eq!(card.get_untracked().last_code.as_deref(), Some("5150"));
        // A view with the same revision is as new, and may say more (the time left).
        let mut later = card.get_untracked();
        later.seconds_remaining -= 60;
        store.put_rental(later.clone());
        assert_eq!(card.get_untracked(), later);
    }

    #[test]
    fn the_balance_follows_its_event_and_bad_data_changes_nothing() {
        let store = Store::default();
        let balance = store.balance(Some(Money::from_units(50_000)));
        assert!(store
            .apply("balance.changed", r#"{"balance":"3.2500"}"#)
            .is_some());
        assert_eq!(balance.get_untracked(), Some(Money::from_units(32_500)));
        assert!(store
            .apply("balance.changed", r#"{"balance":"lots"}"#)
            .is_none());
        assert!(store.apply("rental.updated", "<html>").is_none());
        assert_eq!(balance.get_untracked(), Some(Money::from_units(32_500)));
        assert!(
            store.apply("news.unknown", "{}").is_some(),
            "news with no view"
        );
        let unread = store.unread();
        assert!(store
            .apply("notification.created", r#"{"unread":3}"#)
            .is_some());
        assert_eq!(
            unread.get_untracked(),
            Some(3),
            "the bell follows its event"
        );
        assert!(store.apply("notification.created", "{}").is_none());
        assert!(store
            .apply("notification.created", r#"{"unread":-1}"#)
            .is_none());
        assert_eq!(unread.get_untracked(), Some(3));
        // What the server writes is what the client reads.
        let written = serde_json::to_string(&UnreadNotifications { unread: 12 }).unwrap();
        assert_eq!(UnreadNotifications::read(&written), Some(12));
    }

    #[test]
    fn a_snapshot_takes_the_place_of_missed_events() {
        let store = Store::default();
        let board = store.board(vec![
            rental(1, 2, RentalStatus::Active),
            rental(2, 3, RentalStatus::Active),
        ]);
        let list = store.messages(2, Vec::new());
        let mut two = rental(2, 3, RentalStatus::Active);
        two.message_count = 1;
        store.apply_snapshot(
            LiveSnapshot {
                balance: Money::from_units(1),
                rentals: vec![two.clone()],
                verifications: Vec::new(),
                rental: Some(two),
                messages: Some(crate::api::dto::MessageList {
                    messages: vec![message(7, 1)],
                }),
                unread_notifications: 2,
            },
            Some(2),
        );
        assert_eq!(board.get_untracked(), [2]);
        assert_eq!(list.get_untracked().len(), 1);
        assert_eq!(
            store.rental_by_id(2).unwrap().get_untracked().message_count,
            1
        );
    }
}
