//! Two-factor sign-in on the account page (`/account/mfa`), as server functions for its
//! forms. The REST routes in `server::http::account` call the same service.

use super::dto::{MfaStatusView, RecoveryCodesView};
use super::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

/// The cookie that carries new recovery codes to the next load of `/account/mfa` only: they
/// are shown once and never stored in plain text.
pub const RECOVERY_CODES_FLASH: &str = "namaskah_recovery_codes";

#[server(prefix = "/api/fn", endpoint = "mfa_status", input = GetUrl)]
pub async fn mfa_status() -> Result<MfaStatusView, AppError> {
    use crate::server::{fn_context as cx, services::mfa};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(mfa::status(&state, user.user_id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "begin_mfa_setup")]
pub async fn begin_mfa_setup() -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::mfa};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        mfa::begin_setup(&state, user.user_id).await?;
        leptos_axum::redirect("/account/mfa");
        Ok(())
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "confirm_mfa")]
pub async fn confirm_mfa(code: String) -> Result<RecoveryCodesView, AppError> {
    use crate::server::{fn_context as cx, services::mfa};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let codes = mfa::enable(&state, &cx::actor(&user), user.user_id, &code).await?;
        // Shown once, by the page the form returns to.
        cx::show_once(
            &state,
            RECOVERY_CODES_FLASH,
            &codes.recovery_codes.join("."),
            "/account/mfa",
        );
        Ok(codes)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "disable_mfa")]
pub async fn disable_mfa(password: String, code: String) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::mfa};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        mfa::disable(&state, &cx::actor(&user), user.user_id, &password, &code).await?;
        leptos_axum::redirect("/account/mfa");
        Ok(())
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes(
    password: String,
    code: String,
) -> Result<RecoveryCodesView, AppError> {
    use crate::server::{fn_context as cx, services::mfa};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let codes = mfa::regenerate_recovery_codes(
            &state,
            &cx::actor(&user),
            user.user_id,
            &password,
            &code,
        )
        .await?;
        // Shown once, by the page the form returns to.
        cx::show_once(
            &state,
            RECOVERY_CODES_FLASH,
            &codes.recovery_codes.join("."),
            "/account/mfa",
        );
        Ok(codes)
    })
    .await
}

/// The recovery codes just made, shown once by the next load of `/account/mfa`.
#[server(prefix = "/api/fn", endpoint = "take_recovery_codes")]
pub async fn take_recovery_codes() -> Result<Vec<String>, AppError> {
    use crate::server::fn_context as cx;
    cx::run(async {
        let state = cx::state()?;
        cx::principal()?;
        Ok(cx::take_flash(&state, RECOVERY_CODES_FLASH, "/account/mfa")
            .map(|codes| codes.split('.').map(str::to_owned).collect())
            .unwrap_or_default())
    })
    .await
}
