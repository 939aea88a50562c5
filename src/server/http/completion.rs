//! Changes are carried out whole. When a client hangs up (a closed tab, a timeout, a dropped
//! connection) the server drops its request's future wherever it is. For a request that
//! changes something, that could stop a purchase between taking the money and recording the
//! number, or between a provider's refusal and giving the money back. So each request that may
//! change something (any method but GET, HEAD, OPTIONS and TRACE) runs as a task of its own,
//! which goes on to its end whether or not anyone still waits for the answer, and which a
//! stopping server waits for. Reads and live streams stay on their connection and end with it,
//! and pass through here untouched (this is a plain `tower` layer, not a boxed middleware, so
//! the reads the API serves by the ten thousand a second pay nothing for it).

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, Either};
use std::convert::Infallible;
use std::task::{Context, Poll};
use tokio_util::task::TaskTracker;
use tower::{Layer, Service};
use tracing::Instrument;

/// Runs requests that may change something as tasks tracked by `changes`.
#[derive(Clone)]
pub struct RunToCompletionLayer {
    pub changes: TaskTracker,
}

impl<S> Layer<S> for RunToCompletionLayer {
    type Service = RunToCompletion<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RunToCompletion {
            inner,
            changes: self.changes.clone(),
        }
    }
}

#[derive(Clone)]
pub struct RunToCompletion<S> {
    inner: S,
    changes: TaskTracker,
}

impl<S> Service<Request> for RunToCompletion<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if req.method().is_safe() {
            return Either::Left(self.inner.call(req));
        }
        let method = req.method().clone();
        let path = super::webhooks::loggable(req.uri().path()).into_owned();
        let task = self.changes.spawn(self.inner.call(req).in_current_span());
        Either::Right(Box::pin(async move {
            Ok(match task.await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(e) => {
                    tracing::error!(%method, %path, error = %e, "a request's task failed");
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                }
            })
        }))
    }
}
