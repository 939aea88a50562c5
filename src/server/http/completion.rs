//! Changes are carried out whole. When a client hangs up (a closed tab, a timeout, a dropped
//! connection) the server drops its request's future wherever it is. For a request that
//! changes something, that could stop a purchase between taking the money and recording the
//! number, or between a provider's refusal and giving the money back. So each request that may
//! change something (any method but GET, HEAD, OPTIONS and TRACE) runs as a task of its own,
//! which goes on to its end whether or not anyone still waits for the answer, and which a
//! stopping server waits for. Reads and live streams stay on their connection and end with it.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

pub async fn run_to_completion(
    State(changes): State<TaskTracker>,
    req: Request,
    next: Next,
) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    match changes.spawn(next.run(req).in_current_span()).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(%method, %path, error = %e, "a request's task failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
