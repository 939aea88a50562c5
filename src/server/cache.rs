//! Short-lived read caches for the hottest reads (a customer's active rentals, a rental's
//! messages). Every change that can alter an entry invalidates it, and a generation counter
//! keeps a read that raced a change from storing what it read before the change; entries
//! also expire after a second, which bounds staleness should an invalidation ever be missed
//! (or come from another instance).

use crate::server::services::accounts::Principal;
use crate::server::storage::rentals::{MessageRow, RentalRow};
use bytes::Bytes;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an entry may be served without being read again.
const TTL: Duration = Duration::from_secs(1);
/// Past this many entries, expired ones are swept on the next insert.
const SWEEP_ABOVE: usize = 10_000;

struct Slot<V> {
    generation: u64,
    value: Option<(Instant, Arc<V>)>,
}

/// The caches the services share.
#[derive(Default)]
pub struct Caches {
    /// A customer's active rentals, by user id.
    pub active_rentals: RowCache<i64, ActiveRentals>,
    /// A rental's owner and messages, by rental id.
    pub rental_messages: RowCache<i64, (i64, Vec<MessageRow>)>,
    /// API keys' owners (or that there is none), by key digest; cleared on every revocation.
    pub api_keys: RowCache<String, Option<Principal>>,
    /// The API reference page's data: built from the document once, as nothing it is built
    /// from (the document, the public origin, sandbox mode) changes while the server runs.
    pub api_reference: std::sync::OnceLock<crate::api::dto::ApiReference>,
}

/// A customer's active rental rows, and their latest JSON rendering: rendered once per second
/// at most, since what a rendering shows besides the rows (time left, refund) moves with the
/// clock second by second. Invalidating the rows drops the rendering with them.
pub struct ActiveRentals {
    pub rows: Vec<RentalRow>,
    rendered: Mutex<Option<(i64, Bytes)>>,
}

impl ActiveRentals {
    pub fn new(rows: Vec<RentalRow>) -> Self {
        ActiveRentals {
            rows,
            rendered: Mutex::new(None),
        }
    }

    /// The rendering for clock second `second`: the kept one if it is for that second, else
    /// `render`'s (kept for the next reader).
    pub fn rendered<E>(
        &self,
        second: i64,
        render: impl FnOnce(&[RentalRow]) -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        let kept = |slot: &Option<(i64, Bytes)>| {
            slot.as_ref()
                .filter(|(at, _)| *at == second)
                .map(|(_, body)| body.clone())
        };
        if let Some(body) = kept(&self.lock()) {
            return Ok(body);
        }
        let body = render(&self.rows)?;
        *self.lock() = Some((second, body.clone()));
        Ok(body)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(i64, Bytes)>> {
        self.rendered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub struct RowCache<K, V> {
    slots: Mutex<HashMap<K, Slot<V>>>,
}

impl<K: Eq + Hash + Clone, V> Default for RowCache<K, V> {
    fn default() -> Self {
        RowCache {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V> RowCache<K, V> {
    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<K, Slot<V>>> {
        self.slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached value, or `load`'s (stored unless the key changed while it ran).
    pub async fn get_or_load<E, F>(&self, key: K, load: F) -> Result<Arc<V>, E>
    where
        F: std::future::Future<Output = Result<V, E>>,
    {
        let generation = {
            let slots = self.slots();
            match slots.get(&key) {
                Some(Slot {
                    value: Some((at, value)),
                    ..
                }) if at.elapsed() < TTL => return Ok(value.clone()),
                Some(slot) => slot.generation,
                None => 0,
            }
        };
        let value = Arc::new(load.await?);
        let mut slots = self.slots();
        if slots.len() > SWEEP_ABOVE {
            slots.retain(|_, s| s.value.as_ref().is_some_and(|(at, _)| at.elapsed() < TTL));
        }
        let slot = slots.entry(key).or_insert(Slot {
            generation,
            value: None,
        });
        if slot.generation == generation {
            slot.value = Some((Instant::now(), value.clone()));
        }
        Ok(value)
    }

    /// Forgets every entry; loads already under way for a key seen before will not store.
    pub fn clear(&self) {
        for slot in self.slots().values_mut() {
            slot.generation += 1;
            slot.value = None;
        }
    }

    /// Forgets `key`'s entry; a load already under way will not store its result.
    pub fn invalidate(&self, key: K) {
        let mut slots = self.slots();
        let slot = slots.entry(key).or_insert(Slot {
            generation: 0,
            value: None,
        });
        slot.generation += 1;
        slot.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_from_cache_until_invalidated_and_drops_a_racing_load() {
        let cache: RowCache<i64, u32> = RowCache::default();
        let v = cache
            .get_or_load(1, async { Ok::<_, ()>(1) })
            .await
            .unwrap();
        assert_eq!(*v, 1);
        let v = cache
            .get_or_load(1, async { Ok::<_, ()>(2) })
            .await
            .unwrap();
        assert_eq!(*v, 1, "cached");
        cache.invalidate(1);
        // A load that started before an invalidation does not get stored.
        let racing = cache.get_or_load(1, async {
            cache.invalidate(1);
            Ok::<_, ()>(3)
        });
        assert_eq!(*racing.await.unwrap(), 3);
        let v = cache
            .get_or_load(1, async { Ok::<_, ()>(4) })
            .await
            .unwrap();
        assert_eq!(*v, 4, "the racing value was not kept");
    }
}
