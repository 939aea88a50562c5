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
