//! The account page's sessions and password forms, as server functions. The REST routes in
//! `server::http::account` call the same services.

use super::dto::ActiveSessionList;
use super::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api/fn", endpoint = "list_sessions", input = GetUrl)]
pub async fn list_sessions() -> Result<ActiveSessionList, AppError> {
    use crate::server::{fn_context as cx, services::sessions};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(sessions::list(&state, &user).await?)
    })
    .await
}

/// Ends one session; ending this one signs out.
#[server(prefix = "/api/fn", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::sessions};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        sessions::end(&state, &cx::actor(&user), &user, &id).await?;
        if user.session_id.as_deref() == Some(id.as_str()) {
            cx::end_session(&state);
            leptos_axum::redirect("/login");
        } else {
            cx::notice_if_plain_form_post(&state, &["Session ended.".to_owned()]);
            leptos_axum::redirect("/account#sessions");
        }
        Ok(())
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::server::{fn_context as cx, services::sessions};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let ended = sessions::end_others(&state, &cx::actor(&user), &user).await?;
        cx::notice_if_plain_form_post(&state, &[format!("{ended} other session(s) ended.")]);
        leptos_axum::redirect("/account#sessions");
        Ok(ended)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<u64, AppError> {
    use crate::server::{fn_context as cx, services::accounts};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let ended = accounts::change_password(
            &state,
            &cx::actor(&user),
            &user,
            &current_password,
            &new_password,
        )
        .await?;
        cx::notice_if_plain_form_post(
            &state,
            &[format!("Password changed; {ended} other session(s) ended.")],
        );
        leptos_axum::redirect("/account#password");
        Ok(ended)
    })
    .await
}
