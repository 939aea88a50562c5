//! Accounts: sign-up and sign-in, the session, API keys, the balance and its ledger.

use super::*;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"email": "you@example.com", "password": "a long passphrase of yours"})))]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: i64,
    pub email: String,
}

/// The answer to a sign-up: the same whether or not the address already had an account, so
/// that sign-up does not tell who is a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignUpView {
    pub email: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MeView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub balance: Money,
    pub currency: String,
    /// Whether the address was confirmed by the link mailed at sign-up.
    pub email_verified: bool,
}

/// What every page needs to draw its frame: who is signed in, and whether this is the sandbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionView {
    pub user: Option<MeView>,
    pub sandbox: bool,
    /// The signed-in user's unread notifications (the bell).
    #[serde(default)]
    pub unread_notifications: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiKey {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, enough to recognise it; never the key itself.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer to creating a key: the only time the key itself is ever shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyList {
    pub keys: Vec<ApiKeyView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BalanceView {
    pub balance: Money,
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransactionView {
    pub id: i64,
    /// Positive for money in, negative for money out.
    pub amount: Money,
    pub balance_after: Money,
    pub kind: String,
    pub reference: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransactionPage {
    pub transactions: Vec<TransactionView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// The answer to a sign-in: signed in (`user`), or the password was right and the account's
/// second factor is asked for next (`second_factor_required`, with the `challenge` to send back
/// with the code to `POST /api/auth/login/mfa`; in the browser it is kept in a cookie).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignInView {
    pub user: Option<MeView>,
    pub second_factor_required: bool,
    pub challenge: Option<String>,
}

/// `POST /api/auth/login/mfa`: the challenge from the sign-in, and a code from the
/// authenticator app or a recovery code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecondFactor {
    pub challenge: String,
    pub code: String,
}

/// Two-factor sign-in on the account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MfaStatusView {
    pub enabled: bool,
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
    /// An enrolment waiting for its first code.
    pub pending: Option<MfaSetupView>,
    /// Operators must turn it on before anything else (`REQUIRE_ADMIN_MFA`).
    pub required: bool,
}

/// What an authenticator app needs: scan the QR code (SVG) or type the secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MfaSetupView {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_svg: String,
}

/// Ten one-time recovery codes, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RecoveryCodesView {
    pub recovery_codes: Vec<String>,
}

/// `POST /api/account/mfa/enable`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MfaCode {
    pub code: String,
}

/// Turning two-factor off, or new recovery codes: the password and a current code.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MfaConfirm {
    pub password: String,
    pub code: String,
}

/// One of the customer's sessions (a signed-in browser).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActiveSessionView {
    pub id: String,
    /// "Firefox on Linux".
    pub device: String,
    pub user_agent: String,
    pub ip: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session this request came with.
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActiveSessionList {
    pub sessions: Vec<ActiveSessionView>,
}

/// `POST /api/auth/password-reset`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordResetRequest {
    pub email: String,
}

/// `POST /api/auth/password-reset/confirm`: the token from the mailed link.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    pub token: String,
    pub new_password: String,
}

/// `POST /api/auth/verify-email`: the token from the link mailed to confirm an address.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmailVerification {
    pub token: String,
}

/// `POST /api/account/password`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Something the customer should know: auto-renew turned off and why, an expiry coming, a low
/// balance, a change to their account's security.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationView {
    pub id: i64,
    /// `auto_renew_off`, `expiring`, `low_balance`, `security`, …
    pub kind: String,
    pub message: String,
    pub rental_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// `GET /api/notifications`: newest first; `next_before` asks for the page after this one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
    pub unread: i64,
    pub next_before: Option<i64>,
}

/// Where notifications go besides the app: `email` too, or not. `email_confirmed` is read
/// only: mail goes only to an address confirmed by its link (ignored in a `PUT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationPreferences {
    pub email: bool,
    #[serde(default)]
    pub email_confirmed: bool,
    /// Below this balance, after a purchase, you are told (a notification and the
    /// `balance.low` webhook event); `"0"` never. 1.00 until changed. Left out of a change,
    /// it stays as it is.
    #[serde(default)]
    pub low_balance_threshold: Option<Money>,
}

/// `POST /api/notifications/read`: these (`ids`), or every one (`all`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationsRead {
    #[serde(default)]
    pub ids: Vec<i64>,
    #[serde(default)]
    pub all: bool,
}
