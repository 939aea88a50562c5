//! The live parts of the browser's pages, all at once (see `api::live`).

use super::{billing, rentals, verifications};
use crate::api::dto::LiveSnapshot;
use crate::server::state::AppState;
use crate::server::storage::notifications;
use crate::server::ServerError;

pub async fn snapshot(
    state: &AppState,
    user_id: i64,
    rental_id: Option<i64>,
) -> Result<LiveSnapshot, ServerError> {
    let (rental, messages) = match rental_id {
        Some(id) => (
            Some(rentals::get(state, user_id, id).await?),
            Some(rentals::messages(state, user_id, id).await?),
        ),
        None => (None, None),
    };
    Ok(LiveSnapshot {
        balance: billing::balance(state, user_id).await?.balance,
        rentals: rentals::active(state, user_id).await?,
        verifications: verifications::open(state, user_id).await?.verifications,
        rental,
        messages,
        unread_notifications: notifications::unread_count(&state.db.pool, user_id).await?,
    })
}
