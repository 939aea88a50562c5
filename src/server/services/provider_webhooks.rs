//! What providers push to us (`POST /api/webhooks/…`), verified before it is trusted and then
//! applied through the same inbox as polling, so an SMS that comes by push, by poll or by both
//! is stored once. The SMS-Activate protocol signs nothing: the URL given with each rent
//! carries a token only we can make (an HMAC of the provider's name under
//! `PROVIDER_WEBHOOK_SECRET`), and a push to any other URL changes nothing.

use super::rental_lifecycle;
use crate::server::config::SecretString;
use crate::server::providers::sms_activate::wire;
use crate::server::providers::ProviderSms;
use crate::server::state::AppState;
use crate::server::storage::rentals as store;
use crate::server::ServerError;
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &SecretString, provider: &str) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(b"sms-activate:");
    mac.update(provider.as_bytes());
    mac
}

/// Where `provider` (an SMS-Activate one) is to push each rent's SMS, under `base` (the
/// address providers reach us at).
pub fn sms_activate_url(base: &str, secret: &SecretString, provider: &str) -> String {
    let token = hex::encode(mac(secret, provider).finalize().into_bytes());
    format!(
        "{}/api/webhooks/sms-activate/{provider}/{token}",
        base.trim_end_matches('/')
    )
}

/// The rent API's push: `{"rentId": …, "sms": {"phoneFrom", "text", "date"}}`.
#[derive(Debug, Deserialize)]
pub struct RentPush {
    #[serde(rename = "rentId")]
    pub rent_id: Value,
    pub sms: PushedSms,
}

#[derive(Debug, Deserialize)]
pub struct PushedSms {
    #[serde(rename = "phoneFrom", default)]
    pub phone_from: Value,
    pub text: String,
    #[serde(default)]
    pub date: Value,
}

/// Applies a rent push to `provider`'s `url_token`; true if its SMS was new here. Refused,
/// changing nothing, unless the token is the one we gave that provider and the rent is one of
/// our rentals with it.
pub async fn sms_activate_push(
    state: &AppState,
    provider: &str,
    url_token: &str,
    push: RentPush,
) -> Result<bool, ServerError> {
    let Some(secret) = &state.settings.provider_webhook_secret else {
        return Err(ServerError::NotFound("webhook"));
    };
    let genuine = hex::decode(url_token)
        .is_ok_and(|token| mac(secret, provider).verify_slice(&token).is_ok());
    if !genuine || state.router.get(provider).is_err() {
        tracing::warn!(provider, "a provider push with a wrong token was refused");
        return Err(ServerError::Unauthorized(
            "this push is not signed for that provider",
        ));
    }
    let order_id = wire::string(&push.rent_id).unwrap_or_default();
    let row = store::find_by_order(&state.db.pool, provider, &order_id)
        .await?
        .ok_or(ServerError::NotFound("rental"))?;
    let sms = ProviderSms {
        id: None,
        received_at: wire::time(&push.sms.date).unwrap_or_else(Utc::now),
        sender: wire::string(&push.sms.phone_from).unwrap_or_default(),
        text: push.sms.text,
        code: None,
    };
    let new = rental_lifecycle::store_messages(state, &row, vec![sms]).await?;
    Ok(new > 0)
}
