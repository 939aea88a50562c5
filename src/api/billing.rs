//! The wallet: balance and the ledger of every change to it.

use super::dto::TransactionPage;
use super::AppError;
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "list_transactions")]
pub async fn list_transactions(
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<TransactionPage, AppError> {
    use crate::server::{fn_context as cx, services::billing};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(billing::transactions(&state, user.user_id, page, per_page).await?)
    })
    .await
}
