//! What the browser's live client asks for when its event stream cannot be resumed exactly.

use super::dto::LiveSnapshot;
use super::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The balance, the active rentals, the open verifications and (for `rental_id`) a rental's
/// messages, as they are now.
#[server(prefix = "/api/fn", endpoint = "live_snapshot", input = GetUrl)]
pub async fn get_live_snapshot(rental_id: Option<i64>) -> Result<LiveSnapshot, AppError> {
    use crate::server::{fn_context as cx, services::live};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(live::snapshot(&state, user.user_id, rental_id).await?)
    })
    .await
}
