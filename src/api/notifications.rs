//! The notifications page's calls, as server functions. The REST routes in
//! `server::http::notifications` call the same service.

use super::dto::{NotificationList, NotificationPreferences};
use super::AppError;
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "list_notifications")]
pub async fn list_notifications(
    before: Option<i64>,
) -> Result<(NotificationList, NotificationPreferences), AppError> {
    use crate::server::{fn_context as cx, services::notifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok((
            notifications::list(&state, user.user_id, before, None).await?,
            notifications::preferences(&state, user.user_id).await?,
        ))
    })
    .await
}

/// Whether notifications also go by email (`on` is the checkbox: present means yes).
#[server(prefix = "/api/fn", endpoint = "set_notification_email")]
pub async fn set_notification_email(on: Option<String>) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::notifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let wanted = NotificationPreferences {
            email: on.is_some(),
            email_confirmed: false,
            low_balance_threshold: None,
        };
        let now = notifications::set_preferences(&state, user.user_id, wanted).await?;
        let notice = match (now.email, now.email_confirmed) {
            (true, true) => "Notifications will also come by email.",
            (true, false) => {
                "Notifications will also come by email once your address is confirmed (see your account page)."
            }
            (false, _) => "Notifications stay in the app.",
        };
        cx::notice_if_plain_form_post(&state, &[notice.to_owned()]);
        leptos_axum::redirect("/notifications");
        Ok(())
    })
    .await
}

/// Marks one notification read (`id`), or every one (no `id`).
#[server(prefix = "/api/fn", endpoint = "mark_notifications_read")]
pub async fn mark_notifications_read(id: Option<i64>) -> Result<i64, AppError> {
    use crate::server::{fn_context as cx, services::notifications};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let which = super::dto::NotificationsRead {
            ids: id.into_iter().collect(),
            all: id.is_none(),
        };
        let unread = notifications::mark_read(&state, user.user_id, &which).await?;
        leptos_axum::redirect("/notifications");
        Ok(unread)
    })
    .await
}

/// Below what balance the customer is told, after a purchase (`0`: never).
#[server(prefix = "/api/fn", endpoint = "set_low_balance_threshold")]
pub async fn set_low_balance_threshold(threshold: String) -> Result<(), AppError> {
    use crate::domain::Money;
    use crate::server::{fn_context as cx, services::notifications, ServerError};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let threshold: Money = threshold.trim().parse().map_err(|_| {
            ServerError::validation("low_balance_threshold", "is not an amount, e.g. 5.00")
        })?;
        let now = notifications::set_low_balance_threshold(&state, user.user_id, threshold).await?;
        let notice = match now.low_balance_threshold {
            Some(t) if t.is_positive() => {
                format!(
                    "You will be told when your balance falls below {}.",
                    t.display()
                )
            }
            _ => "You will not be told about a low balance.".to_owned(),
        };
        cx::notice_if_plain_form_post(&state, &[notice]);
        leptos_axum::redirect("/notifications");
        Ok(())
    })
    .await
}
