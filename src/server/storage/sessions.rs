//! The `session` table: server-side sign-ins, keyed by the SHA-256 of the cookie token.

use sqlx::{Any, Executor, FromRow};

/// Who a live session belongs to.
#[derive(Debug, Clone, FromRow)]
pub struct SessionOwnerRow {
    pub user_id: i64,
    pub role: String,
    /// 1 when two-factor sign-in is on for the account.
    pub mfa_on: i64,
    pub last_seen_at: i64,
}

/// A live session as its owner sees it.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub session_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub user_agent: String,
}

pub struct NewSession<'a> {
    pub session_id: &'a str,
    pub user_id: i64,
    pub now: i64,
    pub expires_at: i64,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    s: NewSession<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into session (session_id, user_id, created_at, expires_at, ip, user_agent, \
         last_seen_at) values ($1, $2, $3, $4, $5, $6, $3)",
    )
    .bind(s.session_id)
    .bind(s.user_id)
    .bind(s.now)
    .bind(s.expires_at)
    .bind(s.ip)
    .bind(s.user_agent)
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
          and m.enabled_at is not null) as mfa_on, s.last_seen_at \
         from session s join app_user u on u.user_id = s.user_id \
         where s.session_id = $1 and s.expires_at > $2",
    )
    .bind(session_id)
    .bind(now)
    .fetch_optional(db)
    .await
}

pub async fn touch<'e>(
    db: impl Executor<'e, Database = Any>,
    session_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update session set last_seen_at = $2 where session_id = $1")
        .bind(session_id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// The user's live sessions, the most recently used first.
pub async fn list_live<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    now: i64,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "select session_id, created_at, last_seen_at, ip, user_agent from session \
         where user_id = $1 and expires_at > $2 order by last_seen_at desc, created_at desc",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db)
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

/// Ends one of `user_id`'s sessions: false when it is not theirs (or already over).
pub async fn delete_owned<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    session_id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from session where session_id = $1 and user_id = $2")
        .bind(session_id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of `user_id` but `keep` (every one when `keep` is `None`); returns how
/// many ended.
pub async fn delete_others<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from session where user_id = $1 and session_id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
