//! Two-factor sign-in (TOTP, RFC 6238): enrolment with a QR code and a first code, ten
//! one-time recovery codes (stored as SHA-256 digests, shown once), the second step of a
//! sign-in, and turning it off (password and a code). A code is accepted once: its time step
//! is recorded and no earlier or equal step is taken again, so a code seen over a shoulder or
//! replayed within its 30 seconds is refused.

use super::accounts;
use super::audit::{self, action, Actor};
use super::notifications;
use super::secrets;
use crate::api::dto::{MfaSetupView, MfaStatusView, RecoveryCodesView};
use crate::domain::Role;
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::{mfa, users};
use crate::server::ServerError;
use rand::RngCore;
use totp_rs::{Builder, Secret, Totp};

/// The name authenticator apps show.
pub const ISSUER: &str = "Namaskah";
const RECOVERY_CODES: usize = 10;
const CHALLENGE_TTL_MS: i64 = 5 * 60_000;
const CHALLENGE_ATTEMPTS: i64 = 5;

fn totp(secret_base32: &str, account: &str) -> Result<Totp, ServerError> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|e| anyhow::anyhow!("stored TOTP secret does not decode: {e:?}"))?;
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| anyhow::anyhow!("TOTP parameters refused: {e:?}").into())
}

/// The QR code of `url`, as an SVG an `<img>`-less page can inline.
pub fn qr_svg(url: &str) -> Result<String, ServerError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(|e| anyhow::anyhow!("QR code: {e}"))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

fn setup_view(secret: &str, email: &str) -> Result<MfaSetupView, ServerError> {
    let url = totp(secret, email)?
        .to_url()
        .map_err(|e| anyhow::anyhow!("otpauth URL: {e:?}"))?;
    Ok(MfaSetupView {
        secret: secret.to_owned(),
        qr_svg: qr_svg(&url)?,
        otpauth_url: url,
    })
}

async fn email_of(state: &AppState, user_id: i64) -> Result<users::UserRow, ServerError> {
    users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::Unauthorized("this account no longer exists"))
}

/// Whether an admin must still turn two-factor on before doing anything else.
pub fn required(state: &AppState, role: Role) -> bool {
    role == Role::Admin && state.settings.require_admin_mfa
}

pub async fn status(state: &AppState, user_id: i64) -> Result<MfaStatusView, ServerError> {
    let user = email_of(state, user_id).await?;
    let row = mfa::find(&state.db.pool, user_id).await?;
    let role = Role::parse(&user.role).unwrap_or(Role::User);
    Ok(match row {
        Some(row) if row.enabled_at.is_some() => MfaStatusView {
            enabled: true,
            enabled_at: row.enabled_at.map(from_ms),
            recovery_codes_left: mfa::recovery_codes_left(&state.db.pool, user_id).await?,
            pending: None,
            required: required(state, role),
        },
        pending => MfaStatusView {
            enabled: false,
            enabled_at: None,
            recovery_codes_left: 0,
            pending: pending
                .map(|p| setup_view(&p.secret, &user.email))
                .transpose()?,
            required: required(state, role),
        },
    })
}

/// A new secret, waiting for its first code. 409 when two-factor is already on.
pub async fn begin_setup(state: &AppState, user_id: i64) -> Result<MfaSetupView, ServerError> {
    let user = email_of(state, user_id).await?;
    let mut raw = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let secret = Secret::from(raw).to_base32();
    if !mfa::start(&state.db.pool, user_id, &secret, state.clock.now_ms()).await? {
        return Err(ServerError::conflict(
            "two-factor sign-in is already on; turn it off first to set it up again",
        ));
    }
    setup_view(&secret, &user.email)
}

/// Confirms the enrolment with a first code: two-factor is on, and the recovery codes are
/// handed out, once.
pub async fn enable(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    code: &str,
) -> Result<RecoveryCodesView, ServerError> {
    let user = email_of(state, user_id).await?;
    let row = mfa::find(&state.db.pool, user_id).await?;
    let Some(row) = row.filter(|r| r.enabled_at.is_none()) else {
        return Err(ServerError::conflict(
            "there is no enrolment waiting for a code: start the set-up first",
        ));
    };
    let step = totp_step(state, &row.secret, &user.email, code)?
        .ok_or_else(|| ServerError::validation("code", "is not the code the app shows now"))?;
    let now = state.clock.now_ms();
    let (codes, hashes) = recovery_codes();
    let mut tx = state.db.begin_write().await?;
    if !mfa::enable(&mut *tx, user_id, &row.secret, now).await? {
        return Err(ServerError::conflict(
            "two-factor sign-in is already on, or was set up again meanwhile: scan the new code",
        ));
    }
    mfa::use_step(&mut *tx, user_id, step).await?;
    mfa::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    audit::record(&mut *tx, entry(actor, action::MFA_ENABLED, user_id, now)).await?;
    tx.commit().await?;
    tracing::info!(user_id, "two-factor sign-in turned on");
    notifications::security(
        state,
        user_id,
        "Two-factor sign-in was turned on for your account.",
    )
    .await;
    Ok(RecoveryCodesView {
        recovery_codes: codes,
    })
}

/// Turns two-factor off: needs the password and a current code (or a recovery code).
pub async fn disable(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    password: &str,
    code: &str,
) -> Result<(), ServerError> {
    accounts::check_password(state, user_id, password, actor).await?;
    check_code(state, user_id, code).await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    mfa::remove(&mut tx, user_id).await?;
    audit::record(&mut *tx, entry(actor, action::MFA_DISABLED, user_id, now)).await?;
    tx.commit().await?;
    tracing::info!(user_id, "two-factor sign-in turned off");
    notifications::security(
        state,
        user_id,
        "Two-factor sign-in was turned off for your account. If this was not you, change your password now.",
    )
    .await;
    Ok(())
}

/// Ten new recovery codes in place of the old ones: the password and a current code.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    password: &str,
    code: &str,
) -> Result<RecoveryCodesView, ServerError> {
    accounts::check_password(state, user_id, password, actor).await?;
    check_code(state, user_id, code).await?;
    let now = state.clock.now_ms();
    let (codes, hashes) = recovery_codes();
    let mut tx = state.db.begin_write().await?;
    mfa::replace_recovery_codes(&mut tx, user_id, &hashes).await?;
    audit::record(
        &mut *tx,
        entry(actor, action::MFA_RECOVERY_CODES, user_id, now),
    )
    .await?;
    tx.commit().await?;
    Ok(RecoveryCodesView {
        recovery_codes: codes,
    })
}

fn entry<'a>(actor: &'a Actor, act: &'static str, user_id: i64, now: i64) -> audit::Entry<'a> {
    audit::Entry::plain(actor, act, format!("user:{user_id}"), Some(user_id), now)
}

pub async fn is_enabled(state: &AppState, user_id: i64) -> Result<bool, ServerError> {
    Ok(mfa::find(&state.db.pool, user_id)
        .await?
        .is_some_and(|r| r.enabled_at.is_some()))
}

/// The second step of a sign-in: a token for the client to send back with the code.
pub async fn challenge(state: &AppState, user_id: i64) -> Result<String, ServerError> {
    let token = secrets::random_token("", 32);
    let now = state.clock.now_ms();
    mfa::prune_challenges(&state.db.pool, now).await?;
    mfa::insert_challenge(
        &state.db.pool,
        &secrets::digest(&token),
        user_id,
        now + CHALLENGE_TTL_MS,
    )
    .await?;
    Ok(token)
}

/// Whose challenge `token` is, if it is live, counting this attempt.
pub async fn attempt(state: &AppState, token: &str) -> Result<i64, ServerError> {
    mfa::attempt_challenge(
        &state.db.pool,
        &secrets::digest(token),
        state.clock.now_ms(),
        CHALLENGE_ATTEMPTS,
    )
    .await?
    .ok_or(ServerError::Unauthorized(
        "this sign-in has expired or had too many wrong codes: sign in again",
    ))
}

pub async fn end_challenge(state: &AppState, token: &str) -> Result<(), ServerError> {
    Ok(mfa::delete_challenge(&state.db.pool, &secrets::digest(token)).await?)
}

/// How a second factor was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Factor {
    Totp,
    RecoveryCode,
}

/// Checks a code from the authenticator app (six digits) or a recovery code, and spends it:
/// a TOTP code's time step, or the recovery code itself. 422 at `code` otherwise.
pub async fn check_code(state: &AppState, user_id: i64, code: &str) -> Result<Factor, ServerError> {
    let user = email_of(state, user_id).await?;
    let row = mfa::find(&state.db.pool, user_id)
        .await?
        .filter(|r| r.enabled_at.is_some())
        .ok_or_else(|| ServerError::conflict("two-factor sign-in is not on for this account"))?;
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let step = totp_step(state, &row.secret, &user.email, &digits)?
            .ok_or_else(|| ServerError::validation("code", "is not the code the app shows now"))?;
        if !mfa::use_step(&state.db.pool, user_id, step).await? {
            return Err(ServerError::validation(
                "code",
                "was already used: wait for the app to show the next one",
            ));
        }
        return Ok(Factor::Totp);
    }
    let normalized = normalize_recovery_code(code);
    if !mfa::use_recovery_code(
        &state.db.pool,
        user_id,
        &secrets::digest(&normalized),
        state.clock.now_ms(),
    )
    .await?
    {
        return Err(ServerError::validation(
            "code",
            "is neither the code the app shows now nor an unused recovery code",
        ));
    }
    Ok(Factor::RecoveryCode)
}

/// The time step `code` is valid for now (one step of skew either way), by the app's clock.
fn totp_step(
    state: &AppState,
    secret: &str,
    email: &str,
    code: &str,
) -> Result<Option<i64>, ServerError> {
    let now_secs = u64::try_from(state.clock.now_ms() / 1000).unwrap_or_default();
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(totp(secret, email)?
        .check(&digits, now_secs)
        .and_then(|step| i64::try_from(step).ok()))
}

/// The code a recovery code is, as stored: lower case, without spaces or dashes.
fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Ten codes like `k3m9x-q7t2p` (50 random bits each), and their digests.
fn recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            let shown = format!("{}-{}", &chars[..5], &chars[5..]);
            (shown, secrets::digest(&chars))
        })
        .unzip()
}

/// A code for `secret_base32` at `unix_secs`: for tests that play the authenticator app.
pub fn code_at(secret_base32: &str, unix_secs: u64) -> Result<String, ServerError> {
    Ok(totp(secret_base32, "test")?.generate(unix_secs).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_and_stored_as_digests() {
        let (codes, hashes) = recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        for (code, hash) in codes.iter().zip(&hashes) {
            assert_eq!(code.len(), 11);
            assert_eq!(&secrets::digest(&normalize_recovery_code(code)), hash);
            assert_eq!(
                normalize_recovery_code(&code.to_uppercase().replace('-', " ")),
                normalize_recovery_code(code)
            );
        }
    }

    #[test]
    fn the_rfc_6238_vector_checks() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); ours are 6: 287082.
        let secret = Secret::from(*b"12345678901234567890").to_base32();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
    }

    #[test]
    fn a_qr_code_is_an_svg() {
        let svg = qr_svg("otpauth://totp/Namaskah:ann%40example.com?secret=ABC").unwrap();
        assert!(
            svg.starts_with("<?xml") || svg.starts_with("<svg"),
            "{}",
            &svg[..40]
        );
        assert!(svg.contains("</svg>"));
    }
}
