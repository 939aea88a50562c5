//! The operators' console as server functions: accounts (find, read, their ledger, credit or
//! debit), every account's rentals and verifications with refunds of them, and the system's
//! state. The REST routes under `/api/admin/` call the same services.

use super::dto::{
    CreditView, HistoryQuery, OperatorRefundView, StaffRentalPage, StaffUserList, StaffUserView,
    StaffVerificationPage, SystemView, TransactionPage,
};
use super::AppError;
use leptos::prelude::*;

// Who may call each is in `http::access`. A page renders its server functions in-process,
// past that check: each checks the caller's role again (`fn_context::staff`, `admin`).

#[server(prefix = "/api/fn", endpoint = "staff_users")]
pub async fn staff_users(q: Option<String>) -> Result<StaffUserList, AppError> {
    use crate::api::dto::UserSearch;
    use crate::server::{fn_context as cx, services::staff};
    cx::run(async {
        let caller = cx::staff()?;
        let search = UserSearch { q, limit: None };
        Ok(staff::search(&cx::state()?, &cx::actor(&caller), &search).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "staff_user")]
pub async fn staff_user(id: i64) -> Result<StaffUserView, AppError> {
    use crate::server::{fn_context as cx, services::staff};
    cx::run(async {
        let caller = cx::staff()?;
        Ok(staff::user(&cx::state()?, &cx::actor(&caller), id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "staff_transactions")]
pub async fn staff_transactions(id: i64, page: Option<u32>) -> Result<TransactionPage, AppError> {
    use crate::server::{fn_context as cx, services::staff};
    cx::run(async {
        let caller = cx::staff()?;
        let state = cx::state()?;
        Ok(staff::transactions(&state, &cx::actor(&caller), id, page, None).await?)
    })
    .await
}

/// Credits (or, `direction` = `debit`, takes back) `amount` on account `id`, with the reason.
#[server(prefix = "/api/fn", endpoint = "staff_credit")]
pub async fn staff_credit(
    id: i64,
    direction: String,
    amount: String,
    note: String,
) -> Result<CreditView, AppError> {
    use crate::api::dto::ManualCredit;
    use crate::server::{fn_context as cx, services::staff};
    cx::run(async {
        let caller = cx::admin()?;
        let state = cx::state()?;
        let body = ManualCredit {
            amount: staff::signed_amount(&direction, &amount)?,
            note,
        };
        let done = staff::credit(&state, &cx::actor(&caller), id, &body).await?;
        cx::notice_if_plain_form_post(&state, &[done.summary()]);
        Ok(done)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "staff_rentals")]
pub async fn staff_rentals(
    query: HistoryQuery,
    user: Option<String>,
) -> Result<StaffRentalPage, AppError> {
    use crate::server::{fn_context as cx, services::staff_orders};
    cx::run(async {
        let caller = cx::staff()?;
        let state = cx::state()?;
        let owner = staff_orders::owner(user.as_deref())?;
        Ok(staff_orders::rentals(&state, &cx::actor(&caller), &query, owner).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "staff_verifications")]
pub async fn staff_verifications(
    query: HistoryQuery,
    user: Option<String>,
) -> Result<StaffVerificationPage, AppError> {
    use crate::server::{fn_context as cx, services::staff_orders};
    cx::run(async {
        let caller = cx::staff()?;
        let state = cx::state()?;
        let owner = staff_orders::owner(user.as_deref())?;
        Ok(staff_orders::verifications(&state, &cx::actor(&caller), &query, owner).await?)
    })
    .await
}

/// Refunds `amount` (all that is left when empty) of the `order` (`rental` or `verification`)
/// `id`, for `reason`.
#[server(prefix = "/api/fn", endpoint = "staff_refund")]
pub async fn staff_refund(
    order: String,
    id: i64,
    amount: Option<String>,
    reason: String,
) -> Result<OperatorRefundView, AppError> {
    use crate::api::dto::OperatorRefund;
    use crate::server::services::staff_orders::{self, Order};
    use crate::server::{fn_context as cx, ServerError};
    cx::run(async {
        let caller = cx::admin()?;
        let state = cx::state()?;
        let order = match order.as_str() {
            "rental" => Order::Rental,
            "verification" => Order::Verification,
            _ => {
                return Err(
                    ServerError::validation("order", "must be rental or verification").into(),
                )
            }
        };
        let body = OperatorRefund { amount, reason };
        let done = staff_orders::refund(&state, &cx::actor(&caller), order, id, &body).await?;
        cx::notice_if_plain_form_post(&state, &[done.summary()]);
        Ok(done)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "staff_system")]
pub async fn staff_system() -> Result<SystemView, AppError> {
    use crate::server::{fn_context as cx, services::operations};
    cx::run(async {
        cx::staff()?;
        Ok(operations::system(&cx::state()?).await?)
    })
    .await
}
