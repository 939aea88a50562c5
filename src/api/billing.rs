//! The wallet: balance and the ledger of every change to it.

use super::dto::{Receipt, Statement, TopupView, TransactionPage, Wallet};
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

/// The wallet page's data: top-up options, the latest top-ups, and `topup` (the one the
/// customer came back from paying) if it is theirs.
#[server(prefix = "/api/fn", endpoint = "get_wallet")]
pub async fn get_wallet(topup: Option<i64>) -> Result<Wallet, AppError> {
    use crate::server::{fn_context as cx, services::statements, services::topups};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let returned = match topup {
            Some(id) => topups::get(&state, user.user_id, id).await.ok(),
            None => None,
        };
        Ok(Wallet {
            options: topups::options(&state),
            topups: topups::list(&state, user.user_id, Some(1), Some(10))
                .await?
                .topups,
            returned,
            months: statements::recent_months(&state, 3),
        })
    })
    .await
}

/// Starts a top-up of `amount` and sends the browser to the payment provider's page (a
/// redirect, with or without JavaScript).
#[server(prefix = "/api/fn", endpoint = "start_topup")]
pub async fn start_topup(amount: String) -> Result<TopupView, AppError> {
    use crate::domain::Money;
    use crate::server::{fn_context as cx, services::topups, ServerError};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let amount: Money = amount
            .trim()
            .parse()
            .map_err(|_| ServerError::validation("amount", "is not an amount, e.g. 20.00"))?;
        let origin = cx::site_origin(&state);
        let topup = topups::start(&state, user.user_id, amount, &origin).await?;
        if topup.checkout_url.is_some() {
            leptos_axum::redirect(&format!("/billing/topups/{}/pay", topup.id));
        }
        Ok(topup)
    })
    .await
}

/// The receipt for one of the customer's paid top-ups.
#[server(prefix = "/api/fn", endpoint = "get_receipt")]
pub async fn get_receipt(id: i64) -> Result<Receipt, AppError> {
    use crate::server::{fn_context as cx, services::statements};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(statements::receipt(&state, user.user_id, id).await?)
    })
    .await
}

/// The customer's statement for `month` (`YYYY-MM`).
#[server(prefix = "/api/fn", endpoint = "get_statement")]
pub async fn get_statement(month: String) -> Result<Statement, AppError> {
    use crate::server::{fn_context as cx, services::statements};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(statements::statement(&state, user.user_id, &month).await?)
    })
    .await
}
