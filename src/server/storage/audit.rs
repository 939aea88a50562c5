//! The `audit_log` table: append-only (triggers refuse updates and deletes on both databases).

use sqlx::{Any, Executor, FromRow};

pub struct NewAuditRow<'a> {
    pub actor_user_id: Option<i64>,
    pub actor_role: Option<&'a str>,
    pub subject_user_id: Option<i64>,
    pub action: &'a str,
    pub target: &'a str,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub request_id: &'a str,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct AuditRow {
    pub audit_id: i64,
    pub actor_user_id: Option<i64>,
    pub actor_role: Option<String>,
    pub subject_user_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
    pub created_at: i64,
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    row: NewAuditRow<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit_log (actor_user_id, actor_role, subject_user_id, action, target, \
         before_json, after_json, ip, user_agent, request_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(row.actor_user_id)
    .bind(row.actor_role)
    .bind(row.subject_user_id)
    .bind(row.action)
    .bind(row.target)
    .bind(row.before_json)
    .bind(row.after_json)
    .bind(row.ip)
    .bind(row.user_agent)
    .bind(row.request_id)
    .bind(row.now)
    .execute(db)
    .await?;
    Ok(())
}

/// Which rows to read: every condition given must hold.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub subject_user_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    /// An action, or a prefix of actions ending in `.` (`auth.`).
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Rows older than this id (the next page of a newest-first listing).
    pub before_id: Option<i64>,
}

/// Newest first, at most `limit`.
pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let mut sql = String::from(
        "select audit_id, actor_user_id, actor_role, subject_user_id, action, target, \
         before_json, after_json, ip, user_agent, request_id, created_at from audit_log where 1 = 1",
    );
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if filter.subject_user_id.is_some() {
        sql.push_str(&format!(" and subject_user_id = {}", next()));
    }
    if filter.actor_user_id.is_some() {
        sql.push_str(&format!(" and actor_user_id = {}", next()));
    }
    let action_prefix = filter.action.as_deref().filter(|a| a.ends_with('.'));
    if filter.action.is_some() {
        if action_prefix.is_some() {
            sql.push_str(&format!(
                " and substr(action, 1, {}) = {}",
                action_prefix.map_or(0, str::len),
                next()
            ));
        } else {
            sql.push_str(&format!(" and action = {}", next()));
        }
    }
    if filter.from_ms.is_some() {
        sql.push_str(&format!(" and created_at >= {}", next()));
    }
    if filter.to_ms.is_some() {
        sql.push_str(&format!(" and created_at < {}", next()));
    }
    if filter.before_id.is_some() {
        sql.push_str(&format!(" and audit_id < {}", next()));
    }
    sql.push_str(&format!(" order by audit_id desc limit {}", next()));
    let mut query = sqlx::query_as::<_, AuditRow>(&sql);
    if let Some(v) = filter.subject_user_id {
        query = query.bind(v);
    }
    if let Some(v) = filter.actor_user_id {
        query = query.bind(v);
    }
    if let Some(v) = &filter.action {
        query = query.bind(v.clone());
    }
    if let Some(v) = filter.from_ms {
        query = query.bind(v);
    }
    if let Some(v) = filter.to_ms {
        query = query.bind(v);
    }
    if let Some(v) = filter.before_id {
        query = query.bind(v);
    }
    query.bind(limit).fetch_all(db).await
}

/// The security events of `subject_user_id`'s own account (sign-ins, keys, role, password,
/// second factor), newest first.
pub async fn security_events<'e>(
    db: impl Executor<'e, Database = Any>,
    subject_user_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "select audit_id, actor_user_id, actor_role, subject_user_id, action, target, \
         before_json, after_json, ip, user_agent, request_id, created_at from audit_log \
         where subject_user_id = $1 and audit_id < $2 \
         and (action like 'auth.%' or action like 'account.%' or action like 'api_key.%' \
              or action like 'role.%' or action like 'password.%' or action like 'mfa.%' \
              or action like 'session.%' or action like 'email.%') \
         order by audit_id desc limit $3",
    )
    .bind(subject_user_id)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db)
    .await
}
