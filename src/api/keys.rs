//! API keys for developers: create (shown once), list (no secrets), revoke.

use super::dto::{ApiKeyList, CreatedApiKey};
use super::AppError;
use leptos::prelude::*;

/// The cookie that carries a just-created key to the next load of the keys page when the form
/// was posted without JavaScript (the key is never stored in plain text on the server).
pub const NEW_KEY_FLASH: &str = "namaskah_new_key";

#[server(prefix = "/api/fn", endpoint = "list_api_keys")]
pub async fn list_api_keys() -> Result<ApiKeyList, AppError> {
    use crate::server::{fn_context as cx, services::api_keys};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(api_keys::list(&state, user.user_id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<CreatedApiKey, AppError> {
    use crate::server::{fn_context as cx, services::api_keys};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let created = api_keys::create(&state, &cx::actor(&user), user.user_id, &name).await?;
        if cx::is_plain_form_post() {
            cx::set_flash(&state, NEW_KEY_FLASH, &created.key, "/keys");
        }
        Ok(created)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::api_keys};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(api_keys::revoke(&state, &cx::actor(&user), user.user_id, id).await?)
    })
    .await
}

/// A key created by a plain form post, shown once on the page it returns to.
#[server(prefix = "/api/fn", endpoint = "take_new_api_key")]
pub async fn take_new_api_key() -> Result<Option<String>, AppError> {
    use crate::server::fn_context as cx;
    cx::run(async {
        let (state, _) = (cx::state()?, cx::principal()?);
        Ok(cx::take_flash(&state, NEW_KEY_FLASH, "/keys"))
    })
    .await
}
