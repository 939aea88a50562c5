//! Webhooks in the UI: register an endpoint (its secret shown once), turn it off and on, send a
//! test event, rotate its secret, delete it, and read and redeliver its deliveries. The REST
//! API (`/api/webhooks`) does the same through the same service.

use super::dto::{WebhookDeliveryList, WebhookList, WebhookView};
use super::AppError;
use leptos::prelude::*;

/// The cookie that carries a just-made secret to the next load of the page when the form was
/// posted without JavaScript.
pub const NEW_SECRET_FLASH: &str = "namaskah_new_webhook_secret";
/// Where the webhooks' page is.
pub const PAGE: &str = "/webhooks";

#[server(prefix = "/api/fn", endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<WebhookList, AppError> {
    use crate::server::{fn_context as cx, services::webhooks};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(webhooks::list(&state, user.user_id).await?)
    })
    .await
}

/// Registers an endpoint; one checkbox per event (`sms_received`, …), so the form works
/// without JavaScript.
#[server(prefix = "/api/fn", endpoint = "create_webhook")]
#[allow(clippy::too_many_arguments)]
pub async fn create_webhook(
    url: String,
    description: Option<String>,
    sms_received: Option<String>,
    rental_updated: Option<String>,
    rental_expiring: Option<String>,
    verification_updated: Option<String>,
    balance_low: Option<String>,
) -> Result<WebhookView, AppError> {
    use crate::api::dto::NewWebhook;
    use crate::server::{fn_context as cx, services::webhooks};
    // A form's checkbox is sent (as `on`) only when ticked.
    let events = [
        ("sms.received", &sms_received),
        ("rental.updated", &rental_updated),
        ("rental.expiring", &rental_expiring),
        ("verification.updated", &verification_updated),
        ("balance.low", &balance_low),
    ]
    .into_iter()
    .filter(|(_, on)| on.as_deref().is_some_and(|v| !v.is_empty()))
    .map(|(event, _)| event.to_owned())
    .collect();
    let new = NewWebhook {
        url,
        events,
        description,
    };
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let hook = webhooks::create(&state, &cx::actor(&user), user.user_id, &new).await?;
        if cx::is_plain_form_post() {
            if let Some(secret) = &hook.secret {
                cx::set_flash(&state, NEW_SECRET_FLASH, secret, PAGE);
            }
        }
        Ok(hook)
    })
    .await
}

/// Turns an endpoint on or off.
#[server(prefix = "/api/fn", endpoint = "set_webhook_enabled")]
pub async fn set_webhook_enabled(id: i64, enabled: bool) -> Result<WebhookView, AppError> {
    use crate::api::dto::WebhookChange;
    use crate::server::{fn_context as cx, services::webhooks};
    let change = WebhookChange {
        enabled: Some(enabled),
        ..WebhookChange::default()
    };
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(webhooks::update(&state, &cx::actor(&user), user.user_id, id, &change).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::webhooks};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(webhooks::delete(&state, &cx::actor(&user), user.user_id, id).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(id: i64) -> Result<WebhookView, AppError> {
    use crate::server::{fn_context as cx, services::webhooks};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let hook = webhooks::rotate_secret(&state, &cx::actor(&user), user.user_id, id).await?;
        if cx::is_plain_form_post() {
            if let Some(secret) = &hook.secret {
                cx::set_flash(&state, NEW_SECRET_FLASH, secret, PAGE);
            }
        }
        Ok(hook)
    })
    .await
}

/// A secret made by a plain form post, shown once on the page it returns to.
#[server(prefix = "/api/fn", endpoint = "take_new_webhook_secret")]
pub async fn take_new_webhook_secret() -> Result<Option<String>, AppError> {
    use crate::server::fn_context as cx;
    cx::run(async {
        let (state, _) = (cx::state()?, cx::principal()?);
        Ok(cx::take_flash(&state, NEW_SECRET_FLASH, PAGE))
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "send_webhook_test")]
pub async fn send_webhook_test(id: i64) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::webhooks};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        webhooks::send_test(&state, user.user_id, id).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "list_webhook_deliveries")]
pub async fn list_webhook_deliveries(
    id: i64,
    before: Option<i64>,
) -> Result<(WebhookView, WebhookDeliveryList), AppError> {
    use crate::server::{fn_context as cx, services::webhooks};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let hook = webhooks::get(&state, user.user_id, id).await?;
        let list = webhooks::deliveries(&state, user.user_id, id, before, Some(50)).await?;
        Ok((hook, list))
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "redeliver_webhook")]
pub async fn redeliver_webhook(id: i64, delivery: i64) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::webhooks};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        webhooks::redeliver(&state, user.user_id, id, delivery).await?;
        Ok(())
    })
    .await
}
