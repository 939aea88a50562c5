//! Many rows at once (`namaskah seed-demo`): multi-row inserts, each statement as large as
//! the databases' bind limits allow, with explicit ids where the caller numbers the rows.

use super::{Backend, Db};
use sqlx::AnyConnection;

/// One value to bind.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(i64),
    Text(String),
    /// A null in an integer column, and in a text one (PostgreSQL is told the type).
    NullInt,
    NullText,
}

impl From<i64> for Cell {
    fn from(v: i64) -> Cell {
        Cell::Int(v)
    }
}

impl From<&str> for Cell {
    fn from(v: &str) -> Cell {
        Cell::Text(v.to_owned())
    }
}

impl From<String> for Cell {
    fn from(v: String) -> Cell {
        Cell::Text(v)
    }
}

impl From<Option<i64>> for Cell {
    fn from(v: Option<i64>) -> Cell {
        v.map_or(Cell::NullInt, Cell::Int)
    }
}

impl From<Option<String>> for Cell {
    fn from(v: Option<String>) -> Cell {
        v.map_or(Cell::NullText, Cell::Text)
    }
}

/// Binds per statement. sqlx's SQLite driver looks each `$n` up by name among the
/// statement's parameters (time growing with the square of their number), so a few hundred
/// there; PostgreSQL binds by position, up to its limit of 65535.
fn most_binds(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 400,
        Backend::Postgres => 30_000,
    }
}

/// Inserts `rows` (each with one cell per column) into `table`. `ids`: the first column is
/// the table's generated id, given here (PostgreSQL must be told to accept it).
pub async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    ids: bool,
    rows: &[Vec<Cell>],
) -> Result<(), sqlx::Error> {
    let per_statement = (most_binds(backend) / columns.len()).max(1);
    let overriding = if ids && backend == Backend::Postgres {
        " overriding system value"
    } else {
        ""
    };
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!(
            "insert into {table} ({}){overriding} values ",
            columns.join(", ")
        );
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        let mut query = sqlx::query(&sql);
        for row in chunk {
            for cell in row {
                query = match cell {
                    Cell::Int(v) => query.bind(*v),
                    Cell::Text(v) => query.bind(v.clone()),
                    Cell::NullInt => query.bind(None::<i64>),
                    Cell::NullText => query.bind(None::<String>),
                };
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The largest id in `table`'s `id_column` (0 when empty).
pub async fn max_id(db: &Db, table: &str, id_column: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select cast(coalesce(max({id_column}), 0) as bigint) from {table}"
    ))
    .fetch_one(&db.pool)
    .await
}

/// After ids were given by hand: PostgreSQL's identity sequence goes on from the largest.
pub async fn resume_ids(db: &Db, table: &str, id_column: &str) -> Result<(), sqlx::Error> {
    if db.backend == Backend::Postgres {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence('{table}', '{id_column}'), \
             (select coalesce(max({id_column}), 1) from {table}))"
        ))
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}

/// Whether an account with an email ending in `suffix` exists.
pub async fn any_email_ending(db: &Db, suffix: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("select user_id from app_user where email like $1 limit 1")
            .bind(format!("%{suffix}"))
            .fetch_optional(&db.pool)
            .await?;
    Ok(found.is_some())
}

/// Sets the balance of every account whose email ends in `suffix` to the sum of its ledger.
pub async fn settle_balances(db: &Db, suffix: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update app_user set balance_units = coalesce((select sum(l.amount_units) from ledger_entry l \
         where l.user_id = app_user.user_id), 0) where email like $1",
    )
    .bind(format!("%{suffix}"))
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load.
pub async fn analyze(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("analyze").execute(&db.pool).await?;
    Ok(())
}
