//! The database when requests are abandoned: a client that hangs up mid-request (a closed tab,
//! a timeout, a load generator stopping) drops the request's future wherever it was. No
//! connection may go back to the pool still inside a transaction: on SQLite that transaction
//! holds the write lock, and every write after it would wait, then fail.

use crate::helpers::spawn_app;
use sqlx::Connection;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_abandoned_while_it_begins_leaves_the_database_usable() {
    let app = spawn_app().await;
    let db = &app.state.db;
    // Abandon writes at every point on their way in: after 1 to 4 polls, a few microseconds
    // apart (the connection's worker thread answers in between).
    for i in 0..2_000u64 {
        {
            let mut begin = std::pin::pin!(db.begin_write());
            for _ in 0..=(i % 4) {
                if futures_util::poll!(begin.as_mut()).is_ready() {
                    break;
                }
                std::thread::sleep(Duration::from_micros(i / 4 % 8));
            }
        }
        // The connection goes back to the pool meanwhile.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // No connection in the pool is left inside a transaction…
    let mut pooled = Vec::new();
    for _ in 0..db.pool.options().get_max_connections() {
        let conn = db.pool.acquire().await.expect("a pooled connection");
        assert!(
            !conn.is_in_transaction(),
            "a pooled connection was left inside a transaction"
        );
        pooled.push(conn);
    }
    drop(pooled);
    // …so writes begin at once, and commit.
    for _ in 0..32 {
        let tx = tokio::time::timeout(Duration::from_secs(2), db.begin_write())
            .await
            .expect("a write waited on a transaction nobody will end")
            .expect("a pooled connection was left inside a transaction");
        tx.commit().await.expect("commit");
    }
}

/// `DATABASE_URL` may ask for TLS (`sslmode=require`, `verify-full` with `sslrootcert=`), as a
/// managed PostgreSQL does: the pool's connections are then encrypted. (PostgreSQL only; the
/// test server has Debian's self-signed certificate, so `require`: encrypted, not verified; a
/// server without TLS skips it.)
#[tokio::test]
async fn postgres_connections_use_tls_when_the_url_asks() {
    let (url, _dir) = crate::helpers::test_database_url();
    if !url.starts_with("postgres") {
        return;
    }
    let plain = namaskah::server::storage::Db::connect(&url).await.unwrap();
    let offered: String = sqlx::query_scalar("show ssl")
        .fetch_one(&plain.pool)
        .await
        .unwrap();
    if offered != "on" {
        eprintln!("skipped: this PostgreSQL server does not offer TLS (ssl = off)");
        return;
    }
    let db = namaskah::server::storage::Db::connect(&format!("{url}?sslmode=require"))
        .await
        .expect("connects with TLS");
    let encrypted: bool =
        sqlx::query_scalar("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(encrypted, "the connection is encrypted");
}

/// The migration that lets a balance go below zero (a refund or dispute of a spent top-up)
/// keeps every balance, ledger row and the rows that hang off an account, on a database that
/// already has them; the balance may then be negative, and foreign keys still hold.
#[tokio::test]
async fn balances_survive_the_migration_that_lets_them_go_below_zero() {
    const SIGNED: i64 = 20261211000001;
    let (url, _dir) = crate::helpers::test_database_url();
    let all = if url.starts_with("postgres") {
        sqlx::migrate!("migrations/postgres")
    } else {
        sqlx::migrate!("migrations/sqlite")
    };
    let older = sqlx::migrate::Migrator {
        migrations: all
            .migrations
            .iter()
            .filter(|m| m.version < SIGNED)
            .cloned()
            .collect(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    let db = namaskah::server::storage::Db::connect(&url).await.unwrap();
    older.run(&db.pool).await.unwrap();
    let user_id: i64 = sqlx::query_scalar(
        "insert into app_user (email, password_hash, balance_units, created_at, updated_at) \
         values ('kept@example.com', 'x', 125000, 1, 1) returning user_id",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into ledger_entry (user_id, amount_units, balance_after_units, kind, reference, \
         note, created_at) values ($1, 125000, 125000, 'credit', 'kept:1', 'kept', 1)",
    )
    .bind(user_id)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into session (session_id, user_id, created_at, expires_at) values ('s1', $1, 1, 2)",
    )
    .bind(user_id)
    .execute(&db.pool)
    .await
    .unwrap();
    // Before it, a negative balance is refused by the schema itself.
    assert!(
        sqlx::query("update app_user set balance_units = -1 where user_id = $1")
            .bind(user_id)
            .execute(&db.pool)
            .await
            .is_err()
    );

    db.migrate().await.unwrap();
    let kept: (i64, String, i64) = sqlx::query_as(
        "select u.balance_units, u.email, l.balance_after_units from app_user u \
         join ledger_entry l on l.user_id = u.user_id where u.user_id = $1",
    )
    .bind(user_id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(kept, (125000, "kept@example.com".to_owned(), 125000));
    let sessions: i64 = sqlx::query_scalar("select count(*) from session where user_id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 1, "nothing hanging off the account was lost");
    sqlx::query("update app_user set balance_units = -5000 where user_id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await
        .expect("a negative balance is allowed now");
    sqlx::query(
        "insert into ledger_entry (user_id, amount_units, balance_after_units, kind, created_at) \
         values ($1, -130000, -5000, 'topup_refund', 2)",
    )
    .bind(user_id)
    .execute(&db.pool)
    .await
    .expect("and a ledger row below zero");
    // Foreign keys still hold: no ledger row for an account that does not exist.
    assert!(sqlx::query(
        "insert into ledger_entry (user_id, amount_units, balance_after_units, kind, created_at) \
             values (999999, 1, 1, 'credit', 3)",
    )
    .execute(&db.pool)
    .await
    .is_err());
    if !url.starts_with("postgres") {
        let check: String = sqlx::query_scalar("pragma integrity_check")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
}
