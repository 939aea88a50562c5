//! Connections that open with `GET /api/events` are served here rather than by hyper.
//!
//! An event stream holds its connection for hours while sending a few hundred bytes a minute.
//! Through hyper, every such connection keeps an 8 KB read buffer and an 8 KB write buffer for
//! its whole life (hyper 1.x allocates both per HTTP/1 connection, and servers cannot shrink
//! them), which is most of a stream's memory. So the listener looks at the first request of
//! each new connection: a plain `GET /api/events` goes through the same router (every layer:
//! authentication, security headers) as any request, and its response is then written
//! straight to the socket, frame by frame, with `Connection: close`. Every other connection,
//! and any request this does not fully understand, is handed to hyper untouched
//! (`connections` holds the accept loop that decides).

use super::events::PATH as EVENTS_PATH;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderName, HeaderValue, Method, Request, Version};
use axum::Router;
use futures_util::StreamExt;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// A first request longer than this (or not complete in the first read) goes to hyper.
const HEAD_LIMIT: usize = 4_096;
const MAX_HEADERS: usize = 32;

/// The parsed first request of a connection, if it is one this module serves.
pub struct EventsRequest {
    request: Request<Body>,
    head_len: usize,
}

/// Peeks at what the client sent first (without consuming it, so hyper can still read it all):
/// a complete HTTP/1.1 `GET /api/events` head with no body, or `None`.
pub async fn first_request(socket: &TcpStream) -> Option<EventsRequest> {
    let mut buf = vec![0u8; HEAD_LIMIT];
    let n = socket.peek(&mut buf).await.ok()?;
    parse(&buf[..n])
}

fn parse(bytes: &[u8]) -> Option<EventsRequest> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head_len) = parsed.parse(bytes).ok()? else {
        return None;
    };
    let path = parsed.path?;
    let on_path = path == EVENTS_PATH
        || path
            .strip_prefix(EVENTS_PATH)
            .is_some_and(|rest| rest.starts_with('?'));
    if parsed.method != Some("GET") || parsed.version != Some(1) || !on_path {
        return None;
    }
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .version(Version::HTTP_11);
    for h in parsed.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        // A body, an upgrade or a connection option is hyper's business.
        if name == header::CONTENT_LENGTH
            || name == header::TRANSFER_ENCODING
            || name == header::UPGRADE
            || name == header::EXPECT
        {
            return None;
        }
        request = request.header(name, HeaderValue::from_bytes(h.value).ok()?);
    }
    Some(EventsRequest {
        request: request.body(Body::empty()).ok()?,
        head_len,
    })
}

/// Runs the request through the router and writes the response to the socket as its frames
/// come, until the body ends or the client goes away.
pub async fn serve_stream(
    mut socket: TcpStream,
    mut first: EventsRequest,
    router: Router,
    peer: SocketAddr,
) {
    first.request.extensions_mut().insert(ConnectInfo(peer));
    // Consume the head that was only peeked at.
    let mut head = vec![0u8; first.head_len];
    if socket.read_exact(&mut head).await.is_err() {
        return;
    }
    drop(head);
    let Ok(response) = router.oneshot(first.request).await;
    let (parts, body) = response.into_parts();
    if socket.write_all(&response_head(&parts)).await.is_err() {
        return;
    }
    let mut frames = body.into_data_stream();
    let (mut from_client, mut to_client) = socket.split();
    let mut probe = [0u8; 16];
    loop {
        let frame = tokio::select! {
            // The client sends nothing more: a read ends only when it closes the connection.
            read = from_client.read(&mut probe) => match read {
                Ok(n) if n > 0 => continue,
                _ => return,
            },
            frame = frames.next() => frame,
        };
        let Some(Ok(data)) = frame else { return };
        if to_client.write_all(&data).await.is_err() {
            return;
        }
    }
}

/// The status line and headers, with `Connection: close` (the body runs until the connection
/// closes, so it needs neither a length nor chunking).
fn response_head(parts: &axum::http::response::Parts) -> Vec<u8> {
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(b"HTTP/1.1 ");
    head.extend_from_slice(parts.status.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(parts.status.canonical_reason().unwrap_or("").as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in &parts.headers {
        if name == header::CONNECTION || name == header::TRANSFER_ENCODING {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"date: ");
    head.extend_from_slice(httpdate::fmt_http_date(std::time::SystemTime::now()).as_bytes());
    head.extend_from_slice(b"\r\nconnection: close\r\n\r\n");
    head
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn served(head: &str) -> bool {
        parse(head.as_bytes()).is_some()
    }

    #[test]
    fn only_a_complete_bodiless_http11_get_of_the_events_path_is_served_here() {
        assert!(served("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(served(
            "GET /api/events?last_event_id=7 HTTP/1.1\r\nHost: x\r\n\r\n"
        ));
        // Everything else is hyper's.
        assert!(!served("GET /api/events HTTP/1.1\r\nHost: x\r\n")); // incomplete
        assert!(!served("GET /api/eventsx HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!served("GET /api/events/1 HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!served("GET /rentals HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!served("POST /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!served("HEAD /api/events HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!served("GET /api/events HTTP/1.0\r\nHost: x\r\n\r\n"));
        for header in [
            "Content-Length: 0",
            "Transfer-Encoding: chunked",
            "Upgrade: websocket",
            "Expect: 100-continue",
        ] {
            assert!(
                !served(&format!("GET /api/events HTTP/1.1\r\n{header}\r\n\r\n")),
                "{header}"
            );
        }
    }

    #[test]
    fn the_request_keeps_its_headers_and_the_head_length_is_exact() {
        let head =
            "GET /api/events HTTP/1.1\r\nAuthorization: Bearer k\r\nLast-Event-ID: 42\r\n\r\n";
        let parsed = parse(format!("{head}next bytes").as_bytes()).unwrap();
        assert_eq!(parsed.head_len, head.len());
        assert_eq!(parsed.request.headers()["authorization"], "Bearer k");
        assert_eq!(parsed.request.headers()["last-event-id"], "42");
        assert_eq!(parsed.request.uri().path(), "/api/events");
    }
}
