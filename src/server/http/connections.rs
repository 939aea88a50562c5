//! The accept loop: every connection the app serves, and the limits that keep clients who send
//! nothing, or send it slowly, from holding the server.
//!
//! - A connection must send a complete request head within `header_timeout` of opening, and
//!   within `header_timeout` of each answer it was given (an idle keep-alive connection is
//!   closed then). hyper enforces it once given a timer (`axum::serve` gives it none); before
//!   hyper, the peek at the first bytes (`stream_connections`) waits as long at most.
//! - At most `max_connections` are open at once; the next is answered `503` with `Retry-After`
//!   and closed, so a flood of idle sockets cannot use up the process's file descriptors and
//!   leave a real client unanswered.
//! - Connections opening with `GET /api/events` are served beside hyper
//!   (`stream_connections`); the rest by hyper, HTTP/1.1 only (as `axum::serve` did here:
//!   browsers speak HTTP/2 only over TLS, which the proxy in front terminates; and an HTTP/2
//!   connection could be held open with its preface alone, or with pings, past every
//!   timeout above).

use super::stream_connections::{first_request, serve_stream};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How long and how many.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting and waits for
/// the connections hyper serves to finish what they are doing. (Event streams end when the hub
/// closes, which `shutdown` is expected to do.)
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let builder = Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or the like: wait rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tokio::spawn(refuse(socket));
            continue;
        };
        let _ = socket.set_nodelay(true);
        let (router, builder, watcher) = (router.clone(), builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            let _open = permit;
            // Nothing at all within the time: close. (Something, but not a whole head: hyper
            // reads the rest, under the same timeout.)
            let Ok(first) =
                tokio::time::timeout(limits.header_timeout, first_request(&socket)).await
            else {
                return;
            };
            match first {
                Some(first) => serve_stream(socket, first, router, peer).await,
                // Boxed, so that an event stream's task (thousands of them, for hours) does
                // not carry room for a hyper connection it never has.
                None => Box::pin(serve_with_hyper(socket, peer, router, &builder, watcher)).await,
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Serves one connection with hyper until it closes (or the server stops and it is idle).
async fn serve_with_hyper(
    socket: TcpStream,
    peer: std::net::SocketAddr,
    router: Router,
    builder: &http1::Builder,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(request.map(Body::new))
    });
    // No upgrades: the app has no WebSockets.
    let connection = builder.serve_connection(TokioIo::new(socket), service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// The answer past `max_connections`: a plain 503, then the connection is closed.
async fn refuse(mut socket: TcpStream) {
    const BODY: &str = r#"{"error":{"code":"service_unavailable","message":"the server has too many connections open; try again shortly","retry_after":5}}"#;
    tracing::warn!("connection refused: too many open");
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.write_all(answer.as_bytes())).await;
    let _ = socket.shutdown().await;
}

/// The default cap: what the process may open (`RLIMIT_NOFILE`), less room for the database,
/// the provider clients and files.
pub fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given, which lives for the call.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1_024
    };
    soft.saturating_sub(256).max(64)
}
