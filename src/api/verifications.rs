//! Verifications, as server functions for the UI. `server::http::verifications` serves the
//! same services over REST.

use super::dto::{
    HistoryQuery, NewVerification, VerificationDetail, VerificationList, VerificationPage,
    VerificationView,
};
use super::AppError;
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "create_verification")]
pub async fn create_verification(
    verification: NewVerification,
    idempotency_key: Option<String>,
) -> Result<VerificationView, AppError> {
    use crate::server::{fn_context as cx, services::verifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let work = verifications::create(&state, user.user_id, &verification);
        let v = cx::pay_once(&state, user.user_id, idempotency_key, &verification, work).await?;
        cx::notice_if_plain_form_post(&state, &[v.bought_summary()]);
        Ok(v)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "list_open_verifications")]
pub async fn list_open_verifications() -> Result<VerificationList, AppError> {
    use crate::server::{fn_context as cx, services::verifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(verifications::open(&state, user.user_id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "list_verifications")]
pub async fn list_verifications(query: HistoryQuery) -> Result<VerificationPage, AppError> {
    use crate::server::{fn_context as cx, services::verifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(verifications::history(&state, user.user_id, &query).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "get_verification")]
pub async fn get_verification(id: i64) -> Result<VerificationDetail, AppError> {
    use crate::server::{fn_context as cx, services::verifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(verifications::get(&state, user.user_id, id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "cancel_verification")]
pub async fn cancel_verification(id: i64) -> Result<VerificationView, AppError> {
    use crate::server::{fn_context as cx, services::verifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let v = verifications::cancel(&state, user.user_id, id).await?;
        cx::notice_if_plain_form_post(&state, &[v.closed_summary()]);
        Ok(v)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "finish_verification")]
pub async fn finish_verification(id: i64) -> Result<VerificationView, AppError> {
    use crate::server::{fn_context as cx, services::verifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let v = verifications::finish(&state, user.user_id, id).await?;
        cx::notice_if_plain_form_post(&state, &[v.closed_summary()]);
        Ok(v)
    })
    .await
}

/// "Verify again" on the same number.
#[server(prefix = "/api/fn", endpoint = "reuse_verification")]
pub async fn reuse_verification(
    id: i64,
    idempotency_key: Option<String>,
) -> Result<VerificationView, AppError> {
    use crate::server::{fn_context as cx, services::verifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let work = verifications::reuse(&state, user.user_id, id);
        let fingerprint = ("reuse", id);
        let v = cx::pay_once(&state, user.user_id, idempotency_key, &fingerprint, work).await?;
        cx::notice_if_plain_form_post(&state, &[v.bought_summary()]);
        Ok(v)
    })
    .await
}
