//! Accounts: registration, sign-in with server-side sessions, and who the caller is.

use super::audit::{self, action, Actor};
use super::email_verification;
use super::mfa;
use super::secrets;
use super::sign_in_throttle;
use crate::api::dto::{MeView, SignUpView, UserView};
use crate::domain::{Email, Money, Password, Role, CURRENCY};
use crate::server::error::OnConstraint;
use crate::server::http::client::RequestMeta;
use crate::server::state::AppState;
use crate::server::storage::{sessions, users};
use crate::server::ServerError;

/// The authenticated caller of a request, put in the request's extensions by the auth layer.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub role: Role,
    /// The session's id when signed in by cookie; `None` for API keys.
    pub session_id: Option<String>,
    /// The API key's id when signed in with one.
    pub api_key_id: Option<i64>,
    /// An admin signed in without two-factor sign-in where it is required
    /// (`REQUIRE_ADMIN_MFA`): they may do nothing but turn it on.
    pub must_set_up_mfa: bool,
}

/// A new sign-in: the token goes in the cookie, its digest in the database.
pub struct NewSession {
    pub token: String,
    pub max_age_secs: i64,
}

/// What every sign-up is told, new address or not.
pub const SIGN_UP_MESSAGE: &str = "If this address had no account, it has one now: sign in with \
     the password you chose. An address that already had an account keeps its own password.";

/// A customer's sign-up. It answers the same whether or not the address already has an
/// account, after the same work (the password is hashed either way), so it cannot be used to
/// find out who is a customer; an existing account is left as it was, and its owner is told by
/// mail that someone tried. A new account is mailed the link that confirms its address. Both
/// mails go after the answer.
pub async fn register(
    state: &AppState,
    email: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<SignUpView, ServerError> {
    let actor = Actor::anonymous(meta);
    match create_user(state, &actor, email, password, Role::User).await {
        Ok(user) => {
            let owned = state.clone();
            state.after_answer("send the confirmation link", async move {
                email_verification::send_link(&owned, user.id, &user.email).await
            });
        }
        Err(ServerError::Conflict {
            field: Some("email"),
            ..
        }) => {
            tracing::info!("sign-up for an address that already has an account");
            if let Ok(email) = Email::parse(email) {
                let owned = state.clone();
                state.after_answer("tell the owner of a sign-up", async move {
                    email_verification::tell_owner_of_sign_up(&owned, &email).await
                });
            }
        }
        Err(e) => return Err(e),
    }
    Ok(SignUpView {
        email: Email::parse(email)
            .map(|e| e.to_string())
            .unwrap_or_default(),
        message: SIGN_UP_MESSAGE.to_owned(),
    })
}

#[tracing::instrument(skip_all, fields(role = role.as_str()))]
pub async fn create_user(
    state: &AppState,
    actor: &Actor,
    email: &str,
    password: &str,
    role: Role,
) -> Result<UserView, ServerError> {
    let email = Email::parse(email).map_err(|e| ServerError::validation("email", e))?;
    let password = Password::parse(password).map_err(|e| ServerError::validation("password", e))?;
    require_strong(&password, &email)?;
    let hash = state
        .passwords
        .slot()
        .await?
        .hash(password.expose().to_owned())
        .await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let id = users::insert(&mut *tx, email.as_ref(), &hash, role.as_str(), now)
        .await
        .on_unique_violation(|| ServerError::Conflict {
            message: "an account with this email already exists".into(),
            field: Some("email"),
        })?;
    if actor.is_cli() {
        // An operator typed the address: there is nobody to mail a link to confirm it.
        users::set_email_verified(&mut *tx, id, now).await?;
    }
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::ACCOUNT_CREATED,
            target: format!("user:{id}"),
            subject: Some(id),
            before: None,
            after: Some(serde_json::json!({"email": email.as_ref(), "role": role.as_str()})),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = id, "account created");
    Ok(UserView {
        id,
        email: email.to_string(),
    })
}

/// The least zxcvbn score a new password must reach: 3 is "safely unguessable", about 10^8
/// guesses for an attacker who knows the common passwords, words and patterns.
const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// Refuses a password that is the email itself or easy to guess, saying why.
fn require_strong(password: &Password, email: &Email) -> Result<(), ServerError> {
    let pw = password.expose();
    let address = email.as_ref();
    let local = address.split('@').next().unwrap_or(address);
    let bare = pw.trim().to_lowercase();
    if bare == address || bare == local {
        return Err(ServerError::validation(
            "password",
            "cannot be your email address",
        ));
    }
    let estimate = zxcvbn::zxcvbn(pw, &[address, local, "namaskah"]);
    if estimate.score() >= MIN_PASSWORD_SCORE {
        return Ok(());
    }
    let mut why = String::from("is too easy to guess");
    if let Some(feedback) = estimate.feedback() {
        if let Some(warning) = feedback.warning() {
            why.push_str(&format!(
                ": {}",
                warning.to_string().trim_end_matches('.').to_lowercase()
            ));
        }
        if let Some(suggestion) = feedback.suggestions().first() {
            why.push_str(&format!(". {suggestion}"));
        }
    }
    if !why.ends_with('.') {
        why.push('.');
    }
    Err(ServerError::validation("password", why))
}

/// Checks the credentials and opens a session. Unknown email and wrong password get the same
/// answer after the same amount of work.
///
/// Failures count towards the sign-in backoff (`sign_in_throttle`): while it holds the attempt
/// back, the answer is 429 with `Retry-After` and the password is not even checked. Successes
/// and failures alike are written to the audit log.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<SignIn, ServerError> {
    if email.trim().is_empty() {
        return Err(ServerError::validation("email", "is required"));
    }
    if password.is_empty() {
        return Err(ServerError::validation("password", "is required"));
    }
    let normalized = email.trim().to_lowercase();
    if let Err(held_back) = sign_in_throttle::check(state, &normalized, meta).await {
        let user = users::find_by_email(&state.db.pool, &normalized).await?;
        let subject = user.map(|u| u.user_id);
        refused(state, meta, action::SIGN_IN_THROTTLED, &normalized, subject).await?;
        return Err(held_back);
    }
    let slot = state.passwords.slot().await?;
    let user = users::find_by_email(&state.db.pool, &normalized).await?;
    let ok = slot
        .verify(
            password.to_owned(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let user = match user {
        Some(user) if ok => user,
        _ => {
            sign_in_throttle::failed(state, &normalized, meta).await?;
            let subject = user.map(|u| u.user_id);
            refused(state, meta, action::SIGN_IN_FAILED, &normalized, subject).await?;
            return Err(ServerError::Unauthorized("wrong email or password"));
        }
    };
    if mfa::is_enabled(state, user.user_id).await? {
        // The backoff is cleared once the code is right too, not now: each challenge would
        // otherwise bring five more guesses at the code.
        return Ok(SignIn::SecondFactor {
            challenge: mfa::challenge(state, user.user_id).await?,
        });
    }
    sign_in_throttle::succeeded(state, &normalized, meta).await?;
    let (me, session) = open_session(state, user, meta, None).await?;
    Ok(SignIn::Done(me, session))
}

/// Writes down a refused sign-in (by an anonymous caller: it is not known who tried).
async fn refused(
    state: &AppState,
    meta: &RequestMeta,
    act: &'static str,
    email: &str,
    subject: Option<i64>,
) -> Result<(), ServerError> {
    let actor = Actor::anonymous(meta);
    let entry = audit::Entry::plain(
        &actor,
        act,
        format!("email:{email}"),
        subject,
        state.clock.now_ms(),
    );
    audit::record(&state.db.pool, entry).await
}

/// Where a sign-in stands after the password.
pub enum SignIn {
    Done(MeView, NewSession),
    /// The account has two-factor sign-in: the code comes next, with this challenge.
    SecondFactor {
        challenge: String,
    },
}

/// The second step of a sign-in: the challenge from the first and a code from the
/// authenticator app or a recovery code. Five wrong codes end the challenge; each counts
/// towards the sign-in backoff too.
pub async fn login_second_factor(
    state: &AppState,
    challenge: &str,
    code: &str,
    meta: &RequestMeta,
) -> Result<(MeView, NewSession), ServerError> {
    if code.trim().is_empty() {
        return Err(ServerError::validation("code", "is required"));
    }
    let user_id = mfa::attempt(state, challenge).await?;
    let user = users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::Unauthorized("this account no longer exists"))?;
    sign_in_throttle::check(state, &user.email, meta).await?;
    let factor = match mfa::check_code(state, user_id, code).await {
        Ok(factor) => factor,
        Err(wrong) => {
            sign_in_throttle::failed(state, &user.email, meta).await?;
            let act = action::SIGN_IN_SECOND_FACTOR_FAILED;
            refused(state, meta, act, &user.email, Some(user_id)).await?;
            return Err(wrong);
        }
    };
    mfa::end_challenge(state, challenge).await?;
    sign_in_throttle::succeeded(state, &user.email, meta).await?;
    open_session(state, user, meta, Some(factor)).await
}

/// Checks the signed-in user's password again (for changes to their security): 422 at
/// `password` when it is wrong. Wrong answers count towards the sign-in backoff like failed
/// sign-ins (a stolen session is no way to guess the password either), and while it holds,
/// the answer is 429.
pub async fn check_password(
    state: &AppState,
    user_id: i64,
    password: &str,
    actor: &Actor,
) -> Result<(), ServerError> {
    if password.is_empty() {
        return Err(ServerError::validation("password", "is required"));
    }
    let user = users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::Unauthorized("this account no longer exists"))?;
    let meta = actor.meta.clone().unwrap_or_else(RequestMeta::unknown);
    sign_in_throttle::check(state, &user.email, &meta).await?;
    let email = user.email.clone();
    let ok = state
        .passwords
        .slot()
        .await?
        .verify(password.to_owned(), Some(user.password_hash))
        .await?;
    if ok {
        Ok(())
    } else {
        sign_in_throttle::failed(state, &email, &meta).await?;
        Err(ServerError::validation(
            "password",
            "is not this account's password",
        ))
    }
}

/// A new session for `user`, and its audit entry, in one transaction.
async fn open_session(
    state: &AppState,
    user: users::UserRow,
    meta: &RequestMeta,
    factor: Option<mfa::Factor>,
) -> Result<(MeView, NewSession), ServerError> {
    let now = state.clock.now_ms();
    let token = secrets::random_token("", 32);
    let ttl_ms = i64::from(state.settings.session_ttl_hours) * 3_600_000;
    let role = Role::parse(&user.role).unwrap_or(Role::User);
    let mut tx = state.db.begin_write().await?;
    let ip = meta.ip.to_string();
    sessions::insert(
        &mut *tx,
        sessions::NewSession {
            session_id: &secrets::digest(&token),
            user_id: user.user_id,
            now,
            expires_at: now + ttl_ms,
            ip: &ip,
            user_agent: &meta.user_agent,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::SIGN_IN,
            target: format!("user:{}", user.user_id),
            subject: Some(user.user_id),
            before: None,
            after: factor.map(|f| {
                serde_json::json!({"second_factor": match f {
                    mfa::Factor::Totp => "totp",
                    mfa::Factor::RecoveryCode => "recovery_code",
                }})
            }),
            now,
            actor: &Actor::user(user.user_id, role, meta),
        },
    )
    .await?;
    tx.commit().await?;
    let me = me_from_row(user)?;
    Ok((
        me,
        NewSession {
            token,
            max_age_secs: ttl_ms / 1000,
        },
    ))
}

pub async fn logout(state: &AppState, session_id: &str) -> Result<(), ServerError> {
    sessions::delete(&state.db.pool, session_id).await?;
    Ok(())
}

/// How stale a session's `last_seen_at` may get before a request refreshes it (a write a
/// minute at most, not one per request).
const SESSION_TOUCH_EVERY_MS: i64 = 60_000;

/// Changes the signed-in user's password: the current one first, a new one as strong as at
/// sign-up; every other session of the account ends (the one making the change stays).
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    caller: &Principal,
    current: &str,
    new: &str,
) -> Result<u64, ServerError> {
    check_password(state, caller.user_id, current, actor)
        .await
        .map_err(as_field("current_password"))?;
    if current == new {
        return Err(ServerError::validation(
            "new_password",
            "is the password you have now",
        ));
    }
    let hash = new_password_hash(state, caller.user_id, new, "new_password").await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    users::set_password_hash(&mut *tx, caller.user_id, &hash, now).await?;
    password_changed(&mut tx, caller.user_id, now).await?;
    let ended =
        sessions::delete_others(&mut *tx, caller.user_id, caller.session_id.as_deref()).await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::PASSWORD_CHANGED,
            target: format!("user:{}", caller.user_id),
            subject: Some(caller.user_id),
            before: None,
            after: Some(serde_json::json!({"sessions_ended": ended})),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = caller.user_id, ended, "password changed");
    super::notifications::security(
        state,
        caller.user_id,
        "Your password was changed and your other sessions were signed out.",
    )
    .await;
    Ok(ended)
}

/// What a new password makes useless, on its transaction: reset links already mailed, and
/// sign-ins waiting for their code.
pub async fn password_changed(
    tx: &mut crate::server::storage::Tx,
    user_id: i64,
    now: i64,
) -> Result<(), ServerError> {
    let reset = super::email_links::RESET.purpose;
    crate::server::storage::email_tokens::spend_all(&mut **tx, user_id, reset, now).await?;
    crate::server::storage::mfa::delete_challenges_of(&mut **tx, user_id).await?;
    Ok(())
}

/// The hash of a new password for `user_id`, once it passes the same rules as at sign-up
/// (refusals name `field`).
pub async fn new_password_hash(
    state: &AppState,
    user_id: i64,
    new: &str,
    field: &'static str,
) -> Result<String, ServerError> {
    let user = users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::Unauthorized("this account no longer exists"))?;
    let email = Email::parse(&user.email).map_err(|e| anyhow::anyhow!("stored email: {e}"))?;
    let password = Password::parse(new).map_err(|e| ServerError::validation(field, e))?;
    require_strong(&password, &email).map_err(as_field(field))?;
    state
        .passwords
        .slot()
        .await?
        .hash(password.expose().to_owned())
        .await
}

/// The same refusal, about another field (a password check reused for `current_password`).
fn as_field(field: &'static str) -> impl Fn(ServerError) -> ServerError {
    move |e| match e {
        ServerError::Validation {
            field: was,
            message,
        } => ServerError::validation(
            field,
            message
                .strip_prefix(was.as_ref())
                .map_or(message.as_str(), str::trim_start),
        ),
        other => other,
    }
}

/// Resolves a session cookie's token to its owner, if the session is live.
pub async fn authenticate_session(
    state: &AppState,
    token: &str,
) -> Result<Option<Principal>, ServerError> {
    let session_id = secrets::digest(token);
    let now = state.clock.now_ms();
    let owner = sessions::find_owner(&state.db.pool, &session_id, now).await?;
    if owner
        .as_ref()
        .is_some_and(|o| now - o.last_seen_at > SESSION_TOUCH_EVERY_MS)
    {
        sessions::touch(&state.db.pool, &session_id, now).await?;
    }
    Ok(owner.map(|o| {
        let role = Role::parse(&o.role).unwrap_or(Role::User);
        Principal {
            user_id: o.user_id,
            role,
            session_id: Some(session_id),
            api_key_id: None,
            must_set_up_mfa: mfa::required(state, role) && o.mfa_on == 0,
        }
    }))
}

pub async fn me(state: &AppState, user_id: i64) -> Result<MeView, ServerError> {
    let user = users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::Unauthorized("this account no longer exists"))?;
    me_from_row(user)
}

fn me_from_row(user: users::UserRow) -> Result<MeView, ServerError> {
    let role = Role::parse(&user.role)
        .ok_or_else(|| anyhow::anyhow!("user {} has unknown role {:?}", user.user_id, user.role))?;
    Ok(MeView {
        id: user.user_id,
        email: user.email,
        role,
        balance: Money::from_units(user.balance_units),
        currency: CURRENCY.to_owned(),
        email_verified: user.email_verified_at.is_some(),
    })
}
