//! The `session` table: server-side sign-ins, keyed by the SHA-256 of the cookie token.

use sqlx::{Any, Executor, FromRow};

/// Who a live session belongs to.
#[derive(Debug, Clone, FromRow)]
pub struct SessionOwnerRow {
    pub user_id: i64,
    pub role: String,
    /// 1 when two-factor sign-in is on for the account.
    pub mfa_on: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    session_id: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into session (session_id, user_id, created_at, expires_at) values ($1, $2, $3, $4)",
    )
    .bind(session_id)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_owner<'e>(
    db: impl Executor<'e, Database = Any>,
    session_id: &str,
    now: i64,
) -> Result<Option<SessionOwnerRow>, sqlx::Error> {
    sqlx::query_as(
        "select u.user_id, u.role, \
         (select count(*) from user_mfa m where m.user_id = u.user_id \
          and m.enabled_at is not null) as mfa_on \
         from session s join app_user u on u.user_id = s.user_id \
         where s.session_id = $1 and s.expires_at > $2",
    )
    .bind(session_id)
    .bind(now)
    .fetch_optional(db)
    .await
}

pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    session_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from session where session_id = $1")
        .bind(session_id)
        .execute(db)
        .await?;
    Ok(())
}
