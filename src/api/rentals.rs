//! Rentals, as server functions for the UI. The REST routes in `server::http::rentals` call
//! the same services.

use super::dto::{
    BulkRequest, BulkResults, Extended, HistoryQuery, MessageList, NewRental, Released, RentalList,
    RentalPage, RentalView,
};
use super::AppError;
use leptos::prelude::*;

/// Rents a number. Paid calls take an `idempotency_key` (or the `Idempotency-Key` header): the
/// same key again gets the first answer and pays nothing more.
#[server(prefix = "/api/fn", endpoint = "create_rental")]
pub async fn create_rental(
    rental: NewRental,
    idempotency_key: Option<String>,
) -> Result<RentalView, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let work = rentals::create(&state, user.user_id, &rental);
        Ok(cx::pay_once(&state, user.user_id, idempotency_key, &rental, work).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "list_active_rentals")]
pub async fn list_active_rentals() -> Result<RentalList, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(RentalList {
            rentals: rentals::active(&state, user.user_id).await?,
        })
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "list_rentals")]
pub async fn list_rentals(query: HistoryQuery) -> Result<RentalPage, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(rentals::history(&state, user.user_id, &query).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "get_rental")]
pub async fn get_rental(id: i64) -> Result<RentalView, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(rentals::get(&state, user.user_id, id).await?)
    })
    .await
}

/// The rental's messages, newest first.
#[server(prefix = "/api/fn", endpoint = "list_rental_messages")]
pub async fn list_rental_messages(id: i64) -> Result<MessageList, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(rentals::messages(&state, user.user_id, id).await?)
    })
    .await
}

/// The owner has seen the rental's messages (its cards' unread counts follow in every tab).
/// A POST, made by the page once it is shown: opening a page never changes anything.
#[server(prefix = "/api/fn", endpoint = "mark_rental_read")]
pub async fn mark_rental_read(id: i64) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(rentals::mark_read(&state, user.user_id, id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "extend_rental")]
pub async fn extend_rental(
    id: i64,
    hours: u32,
    idempotency_key: Option<String>,
) -> Result<Extended, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let work = rentals::extend(&state, user.user_id, id, hours);
        let fingerprint = ("extend", id, hours);
        let extended =
            cx::pay_once(&state, user.user_id, idempotency_key, &fingerprint, work).await?;
        cx::notice_if_plain_form_post(&state, &[extended.summary()]);
        Ok(extended)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "release_rental")]
pub async fn release_rental(id: i64) -> Result<Released, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let released = rentals::release(&state, user.user_id, id).await?;
        cx::notice_if_plain_form_post(&state, &[released.summary()]);
        Ok(released)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "set_rental_auto_renew")]
pub async fn set_rental_auto_renew(id: i64, auto_renew: bool) -> Result<RentalView, AppError> {
    use crate::server::{fn_context as cx, services::rentals};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(rentals::set_auto_renew(&state, user.user_id, id, auto_renew).await?)
    })
    .await
}

/// Rents `count` identical numbers; each succeeds or fails on its own.
#[server(prefix = "/api/fn", endpoint = "create_rentals")]
pub async fn create_rentals(
    rental: NewRental,
    count: u32,
    idempotency_key: Option<String>,
) -> Result<BulkResults, AppError> {
    use crate::server::{fn_context as cx, services::rental_bulk};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let req = super::dto::NewRentals { rental, count };
        let work = rental_bulk::create(&state, user.user_id, &req);
        let results = cx::pay_once(&state, user.user_id, idempotency_key, &req, work).await?;
        cx::notice_if_plain_form_post(&state, &results.lines("Rented"));
        Ok(results)
    })
    .await
}

/// Extends or releases several rentals; each succeeds or fails on its own.
#[server(prefix = "/api/fn", endpoint = "bulk_rentals")]
pub async fn bulk_rentals(
    request: BulkRequest,
    idempotency_key: Option<String>,
) -> Result<BulkResults, AppError> {
    use crate::server::{fn_context as cx, services::rental_bulk};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let work = rental_bulk::apply(&state, user.user_id, &request);
        let results = cx::pay_once(&state, user.user_id, idempotency_key, &request, work).await?;
        cx::notice_if_plain_form_post(&state, &results.lines("Done"));
        Ok(results)
    })
    .await
}
