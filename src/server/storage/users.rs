//! The `app_user` table.

use sqlx::{Any, Executor, FromRow};

#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub user_id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub balance_units: i64,
    pub created_at: i64,
    /// When the address was confirmed by a mailed link; `None` until then.
    pub email_verified_at: Option<i64>,
    /// The pricing policy's tier they are in.
    pub pricing_tier: String,
}

const COLUMNS: &str = "user_id, email, password_hash, role, balance_units, created_at, \
     email_verified_at, pricing_tier";

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    email: &str,
    password_hash: &str,
    role: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into app_user (email, password_hash, role, created_at, updated_at) \
         values ($1, $2, $3, $4, $4) returning user_id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(role)
    .bind(now)
    .fetch_one(db)
    .await
}

pub async fn find_by_email<'e>(
    db: impl Executor<'e, Database = Any>,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from app_user where email = $1"))
        .bind(email)
        .fetch_optional(db)
        .await
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from app_user where user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(db)
    .await
}

pub async fn balance_units<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select balance_units from app_user where user_id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// Every operator account.
pub async fn admin_ids<'e>(db: impl Executor<'e, Database = Any>) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("select user_id from app_user where role = 'admin' order by user_id")
        .fetch_all(db)
        .await
}

/// Accounts whose email contains `fragment` (every one when it is empty), newest first.
pub async fn search<'e>(
    db: impl Executor<'e, Database = Any>,
    fragment: &str,
    limit: i64,
) -> Result<Vec<UserRow>, sqlx::Error> {
    let escaped = fragment
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    sqlx::query_as(&format!(
        "select {COLUMNS} from app_user where email like $1 escape '\\' \
         order by user_id desc limit $2"
    ))
    .bind(format!("%{escaped}%"))
    .bind(limit)
    .fetch_all(db)
    .await
}

pub async fn set_password_hash<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update app_user set password_hash = $1, updated_at = $2 where user_id = $3")
        .bind(hash)
        .bind(now)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets the role; false when there is no such account.
pub async fn set_role<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    role: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("update app_user set role = $1, updated_at = $2 where user_id = $3")
        .bind(role)
        .bind(now)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Where the user's notifications go besides the app: their email, whether they asked for it,
/// and whether the address is confirmed.
pub async fn notification_email<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Option<NotificationEmail>, sqlx::Error> {
    let row: Option<(String, i64, Option<i64>, i64)> = sqlx::query_as(
        "select email, notify_by_email, email_verified_at, low_balance_threshold from app_user \
         where user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    Ok(
        row.map(|(email, on, verified, threshold)| NotificationEmail {
            email,
            wanted: on != 0,
            confirmed: verified.is_some(),
            low_balance_threshold: threshold,
        }),
    )
}

/// The balance (units) below which the user is told theirs is low; 0: never.
pub async fn low_balance_threshold<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select low_balance_threshold from app_user where user_id = $1")
        .bind(user_id)
        .fetch_optional(db)
        .await
}

pub struct NotificationEmail {
    pub email: String,
    pub wanted: bool,
    pub confirmed: bool,
    /// Below this balance (units) the customer is told; 0: never.
    pub low_balance_threshold: i64,
}

pub async fn set_email_verified<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update app_user set email_verified_at = coalesce(email_verified_at, $1), updated_at = $1 \
         where user_id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_notify_by_email<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    on: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update app_user set notify_by_email = $1, updated_at = $2 where user_id = $3")
        .bind(i64::from(on))
        .bind(now)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_low_balance_threshold<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    units: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update app_user set low_balance_threshold = $1, updated_at = $2 where user_id = $3",
    )
    .bind(units)
    .bind(now)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Locks the user's row until the transaction ends (PostgreSQL; on SQLite a write transaction
/// holds the whole database already). Changes nothing.
pub async fn lock<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update app_user set updated_at = updated_at where user_id = $1")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// The emails of the accounts `ids` (those that exist).
pub async fn emails<'e>(
    db: impl Executor<'e, Database = Any>,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = super::placeholders(1, ids.len());
    let sql = format!("select user_id, email from app_user where user_id in ({list})");
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(db).await
}
