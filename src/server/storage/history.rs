//! History filters shared by rentals and verifications: one WHERE clause built from the
//! filters that are set, with placeholders in order, so no parameter is ever bound as an
//! untyped NULL (which PostgreSQL cannot type).

use sqlx::any::AnyRow;
use sqlx::{Any, FromRow};

/// Filters for a history page; every field optional.
#[derive(Debug, Default, Clone)]
pub struct HistoryFilter {
    pub status: Option<String>,
    pub service: Option<String>,
    pub country: Option<String>,
    pub provider: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Matched, case-insensitively, as a substring (see each table's search clause).
    pub search: Option<String>,
}

/// Where one table keeps what the filters look at.
pub struct Columns {
    /// `from rentals r`, say.
    pub from: &'static str,
    pub owner: &'static str,
    pub status: &'static str,
    pub service: &'static str,
    pub country: &'static str,
    pub provider: &'static str,
    pub created: &'static str,
    /// A condition with `?` wherever the search pattern goes (`lower(x) like ? escape '\'`).
    pub search: &'static str,
    /// `r.created_at desc, r.id desc`, say.
    pub order: &'static str,
}

enum Arg {
    Text(String),
    Number(i64),
}

/// A page of rows of type `R`, selected as `select_list` under the filters, and the total:
/// of `owner`'s rows, or (for operators) of everyone's.
pub async fn page<R>(
    db: &sqlx::AnyPool,
    cols: &Columns,
    select_list: &str,
    owner: Option<i64>,
    f: &HistoryFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<R>, i64), sqlx::Error>
where
    R: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    let mut push = |clause: String, arg: Arg, clauses: &mut Vec<String>| {
        let n = args.len() + 1;
        clauses.push(clause.replace('?', &format!("${n}")));
        args.push(arg);
    };
    if let Some(owner) = owner {
        push(
            format!("{} = ?", cols.owner),
            Arg::Number(owner),
            &mut clauses,
        );
    }
    for (column, value) in [
        (cols.status, &f.status),
        (cols.service, &f.service),
        (cols.country, &f.country),
        (cols.provider, &f.provider),
    ] {
        if let Some(v) = value {
            push(format!("{column} = ?"), Arg::Text(v.clone()), &mut clauses);
        }
    }
    if let Some(q) = &f.search {
        let pattern = format!(
            "%{}%",
            q.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        push(
            format!("({})", cols.search),
            Arg::Text(pattern),
            &mut clauses,
        );
    }
    if let Some(from) = f.from {
        push(
            format!("{} >= ?", cols.created),
            Arg::Number(from),
            &mut clauses,
        );
    }
    if let Some(to) = f.to {
        push(
            format!("{} < ?", cols.created),
            Arg::Number(to),
            &mut clauses,
        );
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("where {}", clauses.join(" and "))
    };
    let next = args.len() + 1;
    let page_sql = format!(
        "select {select_list} {} {filter} order by {} limit ${next} offset ${}",
        cols.from,
        cols.order,
        next + 1
    );
    let count_sql = format!("select count(*) {} {filter}", cols.from);
    let mut page = sqlx::query_as::<Any, R>(&page_sql);
    let mut count = sqlx::query_scalar::<Any, i64>(&count_sql);
    for a in &args {
        match a {
            Arg::Text(t) => {
                page = page.bind(t.clone());
                count = count.bind(t.clone());
            }
            Arg::Number(n) => {
                page = page.bind(*n);
                count = count.bind(*n);
            }
        }
    }
    let rows = page.bind(limit).bind(offset).fetch_all(db).await?;
    let total = count.fetch_one(db).await?;
    Ok((rows, total))
}
