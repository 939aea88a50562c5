//! What support and admin do to other people's accounts: find and read them (support and
//! admin), credit or correct their wallet and change their role (admin). Which role may call
//! which is decided by `http::access`; every call here is written to the audit log, reads
//! included, in the transaction of what it does.

use super::audit::{self, action, Actor};
use super::billing;
use crate::api::dto::{
    CreditView, ManualCredit, StaffUserList, StaffUserView, TransactionPage, UserSearch,
};
use crate::domain::{Money, Role, CURRENCY};
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::users::{self, UserRow};
use crate::server::ServerError;
use serde_json::json;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

fn view(row: UserRow) -> Result<StaffUserView, ServerError> {
    let role = Role::parse(&row.role)
        .ok_or_else(|| anyhow::anyhow!("user {} has unknown role {:?}", row.user_id, row.role))?;
    Ok(StaffUserView {
        id: row.user_id,
        email: row.email,
        role,
        balance: Money::from_units(row.balance_units),
        currency: CURRENCY.to_owned(),
        created_at: from_ms(row.created_at),
        tier: row.pricing_tier,
    })
}

fn read_entry<'a>(
    actor: &'a Actor,
    act: &'static str,
    subject: Option<i64>,
    after: serde_json::Value,
    now: i64,
) -> audit::Entry<'a> {
    let target = subject.map_or_else(|| "users".to_owned(), |id| format!("user:{id}"));
    let mut entry = audit::Entry::plain(actor, act, target, subject, now);
    entry.after = Some(after);
    entry
}

pub async fn search(
    state: &AppState,
    actor: &Actor,
    q: &UserSearch,
) -> Result<StaffUserList, ServerError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ServerError::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let fragment = q.q.as_deref().unwrap_or("").trim().to_lowercase();
    let mut tx = state.db.begin_write().await?;
    let rows = users::search(&mut *tx, &fragment, i64::from(limit)).await?;
    let now = state.clock.now_ms();
    audit::record(
        &mut *tx,
        read_entry(
            actor,
            action::STAFF_USER_SEARCH,
            None,
            json!({"q": fragment}),
            now,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(StaffUserList {
        users: rows.into_iter().map(view).collect::<Result<_, _>>()?,
    })
}

pub async fn user(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
) -> Result<StaffUserView, ServerError> {
    let mut tx = state.db.begin_write().await?;
    let row = users::find(&mut *tx, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    audit::record(
        &mut *tx,
        read_entry(
            actor,
            action::STAFF_USER_VIEW,
            Some(user_id),
            json!({}),
            state.clock.now_ms(),
        ),
    )
    .await?;
    tx.commit().await?;
    view(row)
}

pub async fn transactions(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<TransactionPage, ServerError> {
    if users::find(&state.db.pool, user_id).await?.is_none() {
        return Err(ServerError::NotFound("account"));
    }
    let answer = billing::transactions(state, user_id, page, per_page).await?;
    audit::record(
        &state.db.pool,
        read_entry(
            actor,
            action::STAFF_LEDGER_VIEW,
            Some(user_id),
            json!({"page": page.unwrap_or(1)}),
            state.clock.now_ms(),
        ),
    )
    .await?;
    Ok(answer)
}

pub async fn credit(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    body: &ManualCredit,
) -> Result<CreditView, ServerError> {
    let amount: Money = body
        .amount
        .trim()
        .parse()
        .map_err(|e| ServerError::validation("amount", e))?;
    let balance = billing::credit_user(state, actor, user_id, amount, &body.note).await?;
    Ok(CreditView {
        user_id,
        amount,
        balance,
        currency: CURRENCY.to_owned(),
    })
}

/// The console's credit form's amount: `direction` `credit` adds it, `debit` takes it back;
/// the amount itself is written without a sign.
pub fn signed_amount(direction: &str, amount: &str) -> Result<String, ServerError> {
    let amount = amount.trim();
    if amount.starts_with(['-', '+']) {
        return Err(ServerError::validation(
            "amount",
            "write it without a sign; choose credit or debit",
        ));
    }
    match direction {
        "credit" => Ok(amount.to_owned()),
        "debit" => Ok(format!("-{amount}")),
        _ => Err(ServerError::validation(
            "direction",
            "must be credit or debit",
        )),
    }
}

/// Gives `user_id` another role, effective on their next request. An operator cannot change
/// their own (so the last admin cannot demote themselves by mistake).
pub async fn set_role(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    role: &str,
) -> Result<StaffUserView, ServerError> {
    let role = Role::parse(role.trim())
        .ok_or_else(|| ServerError::validation("role", "must be one of user, support, admin"))?;
    if actor.user_id == Some(user_id) {
        return Err(ServerError::Conflict {
            message: "you cannot change your own role; ask another admin".into(),
            field: Some("role"),
        });
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let before = users::find(&mut *tx, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    users::set_role(&mut *tx, user_id, role.as_str(), now).await?;
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::ROLE_CHANGED,
            target: format!("user:{user_id}"),
            subject: Some(user_id),
            before: Some(json!({"role": before.role})),
            after: Some(json!({"role": role.as_str()})),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    // API keys' owners are cached for a second: the new role counts at once.
    state.caches.api_keys.clear();
    tracing::info!(user_id, role = role.as_str(), "role changed");
    view(UserRow {
        role: role.as_str().to_owned(),
        ..before
    })
}

#[cfg(test)]
mod tests {
    use super::signed_amount;

    #[test]
    fn the_credit_forms_direction_gives_the_sign() {
        assert_eq!(signed_amount("credit", " 5 ").unwrap(), "5");
        assert_eq!(signed_amount("debit", "5").unwrap(), "-5");
        let refused = |d, a| match signed_amount(d, a) {
            Err(crate::server::ServerError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused("credit", "-5"), "amount");
        assert_eq!(refused("debit", "+5"), "amount");
        assert_eq!(refused("sideways", "5"), "direction");
    }
}
