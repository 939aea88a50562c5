//! All SQL lives under here: one module per aggregate, each mapping its own `*Row` structs.
//!
//! One code path serves SQLite and PostgreSQL through sqlx's `Any` driver: portable SQL with
//! `$n` placeholders, integer money (1/10000 units) and integer timestamps (ms since epoch).

pub mod activity;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod bulk;
pub mod email_tokens;
pub mod events;
pub mod favourites;
pub mod history;
pub mod idempotency;
pub mod leases;
pub mod ledger;
pub mod mfa;
pub mod notifications;
pub mod presets;
pub mod pricing;
pub mod providers;
pub mod purchases;
pub mod rentals;
pub mod sessions;
pub mod sign_in_throttle;
pub mod topups;
pub mod users;
pub mod verifications;
pub mod webhooks;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::{Any, AnyPool, Connection, Executor};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool and which database it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

pub type Tx = sqlx::Transaction<'static, Any>;

/// `$first, $first+1, …` for `count` values bound in order (an `in (…)` list).
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a connection going back to the pool may be kept: only outside any transaction. A
/// request abandoned while its transaction was beginning (the client hung up; sqlx 0.8's
/// SQLite `begin_with` has an await between starting the transaction and handing it over)
/// leaves one open that nothing will ever end, and on SQLite it holds the write lock: every
/// write after it would wait, then fail. Such a connection is closed instead, which ends it.
async fn leaves_no_transaction(conn: &mut sqlx::AnyConnection) -> Result<bool, sqlx::Error> {
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A dropped `Transaction` has queued its rollback; let it run first.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "closing a database connection left inside a transaction by an abandoned request"
        );
        return Ok(false);
    }
    Ok(true)
}

impl Db {
    /// Connects to `url`, creating the SQLite file or PostgreSQL database if it does not exist.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        if backend == Backend::Postgres
            && !Any::database_exists(&url)
                .await
                .context("Failed to reach the PostgreSQL server in DATABASE_URL")?
        {
            Any::create_database(&url)
                .await
                .context("Failed to create the database named in DATABASE_URL")?;
        }
        let options =
            AnyConnectOptions::from_str(&url).context("DATABASE_URL is not a valid URL")?;
        let pool = match backend {
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "pragma journal_mode = wal; pragma synchronous = normal; \
                             pragma busy_timeout = 10000; pragma foreign_keys = on;",
                        )
                        .await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        }
        .acquire_timeout(Duration::from_secs(10))
        .after_release(|conn, _| Box::pin(leaves_no_transaction(conn)))
        .connect_with(options)
        .await
        .context("Failed to connect to the database in DATABASE_URL")?;
        Ok(Db { pool, backend })
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrator()
            .run(&self.pool)
            .await
            .context("Failed to apply database migrations")
    }

    /// The migrations this build holds that the database has not applied successfully (empty
    /// when its schema is current). Fails when the database cannot be reached.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, sqlx::Error> {
        // A database never migrated has no table of them yet: every migration is pending.
        let kept = match self.backend {
            Backend::Sqlite => {
                "select count(*) from sqlite_master where type = 'table' and name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "select count(*) from pg_tables where tablename = '_sqlx_migrations' \
                 and schemaname = current_schema()"
            }
        };
        let applied: Vec<i64> = if sqlx::query_scalar::<_, i64>(kept)
            .fetch_one(&self.pool)
            .await?
            == 0
        {
            Vec::new()
        } else {
            sqlx::query_scalar("select version from _sqlx_migrations where success = true")
                .fetch_all(&self.pool)
                .await?
        };
        Ok(self
            .migrator()
            .iter()
            .filter(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version))
            .map(|m| m.version)
            .collect())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock up front
    /// (`begin immediate`), so two writers queue on the busy timeout instead of failing when
    /// one upgrades a read lock.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("begin immediate").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }
}
