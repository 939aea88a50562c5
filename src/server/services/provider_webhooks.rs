//! What providers push to us (`POST /api/webhooks/…`), verified before it is trusted and then
//! applied through the same inbox as polling, so an SMS that comes by push, by poll or by both
//! is stored once. TextVerified signs each push (`X-Webhook-Signature: HMAC-SHA512=<base64>`
//! of the raw body, under `TEXTVERIFIED_WEBHOOK_SECRET`). The SMS-Activate protocol signs
//! nothing: the URL given with each rent carries a token only we can make (an HMAC of the
//! provider's name under `PROVIDER_WEBHOOK_SECRET`), and a push to any other URL changes
//! nothing.

use super::{rental_lifecycle, verifications};
use crate::server::config::SecretString;
use crate::server::providers::lenient;
use crate::server::providers::textverified;
use crate::server::providers::ProviderSms;
use crate::server::state::AppState;
use crate::server::storage::rentals as store;
use crate::server::storage::verifications as verification_store;
use crate::server::ServerError;
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Sha256, Sha512};

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
    let order_id = lenient::string(&push.rent_id).unwrap_or_default();
    let row = store::find_by_order(&state.db.pool, provider, &order_id)
        .await?
        .ok_or(ServerError::NotFound("rental"))?;
    let sms = ProviderSms {
        id: None,
        received_at: lenient::time(&push.sms.date).unwrap_or_else(Utc::now),
        sender: lenient::string(&push.sms.phone_from).unwrap_or_default(),
        text: push.sms.text,
        code: None,
    };
    let new = rental_lifecycle::store_messages(state, &row, vec![sms]).await?;
    Ok(new > 0)
}

/// Whether `header` (`HMAC-SHA512=<base64>`) signs `body` under `secret`, compared in
/// constant time.
pub fn textverified_signed(secret: &SecretString, header: Option<&str>, body: &[u8]) -> bool {
    use base64::Engine;
    let Some(signature) = header
        .and_then(|h| h.trim().strip_prefix("HMAC-SHA512="))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
    else {
        return false;
    };
    let mut mac =
        Hmac::<Sha512>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// What became of a TextVerified push.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// An SMS new here.
    Stored,
    /// An SMS already here (by poll, or an earlier delivery of the push).
    Known,
    /// An event this app does not act on.
    Ignored,
}

/// Applies a TextVerified push: refused, changing nothing, unless `signature` signs `body`
/// under `TEXTVERIFIED_WEBHOOK_SECRET`; an SMS to a reservation that is none of ours is
/// `NotFound`.
pub async fn textverified_push(
    state: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Pushed, ServerError> {
    let Some(secret) = &state.settings.textverified_webhook_secret else {
        return Err(ServerError::NotFound("webhook"));
    };
    if !textverified_signed(secret, signature, body) {
        tracing::warn!("a TextVerified push with a wrong signature was refused");
        return Err(ServerError::Unauthorized("this push is not signed"));
    }
    let envelope: Value = serde_json::from_slice(body)
        .map_err(|_| ServerError::validation("body", "is not a JSON event"))?;
    if envelope["event"] != "v2.sms.received" {
        return Ok(Pushed::Ignored);
    }
    // The schema says `data`, the prose `Data`.
    let data = envelope.get("data").or_else(|| envelope.get("Data"));
    let data = data.ok_or_else(|| ServerError::validation("data", "is missing"))?;
    let reservation = data
        .get("reservationId")
        .and_then(lenient::string)
        .unwrap_or_default();
    let sms = ProviderSms {
        id: None,
        received_at: data
            .get("createdAt")
            .and_then(lenient::time)
            .unwrap_or_else(Utc::now),
        sender: data
            .get("from")
            .and_then(lenient::string)
            .unwrap_or_default(),
        text: data
            .get("smsContent")
            .and_then(lenient::string)
            .unwrap_or_default(),
        code: data
            .get("parsedCode")
            .and_then(lenient::string)
            .filter(|c| !c.is_empty()),
    };
    let pool = &state.db.pool;
    let new =
        if let Some(row) = store::find_by_order(pool, textverified::NAME, &reservation).await? {
            rental_lifecycle::store_messages(state, &row, vec![sms]).await?
        } else if let Some(row) =
            verification_store::find_by_order(pool, textverified::NAME, &reservation).await?
        {
            verifications::store_messages(state, &row, vec![sms]).await?
        } else {
            return Err(ServerError::NotFound("reservation"));
        };
    Ok(if new > 0 {
        Pushed::Stored
    } else {
        Pushed::Known
    })
}
