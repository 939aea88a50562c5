//! `/stubs/handler_api.php`: the SMS-Activate protocol for our customers, so a bot written for
//! it changes only its base URL. GET with a query, or POST with a form (the two are merged);
//! authenticated by an API key in `api_key`. Thin: the protocol is `services::handler_api`.

use crate::server::services::api_keys;
use crate::server::services::handler_api::{self, request::Request, Reply};
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

pub const PATH: &str = "/stubs/handler_api.php";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(answer_get).post(answer_post).head(answer_head))
}

/// A HEAD (a link checker, a preview) does nothing: no key is checked, nothing is bought.
async fn answer_head() -> Response {
    no_store(StatusCode::OK.into_response())
}

async fn answer_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    answer(&state, query.as_deref().unwrap_or_default(), &[]).await
}

async fn answer_post(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    answer(&state, query.as_deref().unwrap_or_default(), &body).await
}

/// Every answer is HTTP 200, as the protocol's servers answer, except a rate limit (429 with
/// `Retry-After`).
async fn answer(state: &AppState, query: &str, body: &[u8]) -> Response {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .chain(form_urlencoded::parse(body))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let key = params
        .iter()
        .find(|(k, _)| k == "api_key")
        .map(|(_, v)| v.trim());
    let caller = match key {
        Some(key) => match api_keys::authenticate(state, key).await {
            Ok(Some(caller)) => caller,
            Ok(None) => return render(Reply::Text("BAD_KEY".into())),
            Err(e) => {
                tracing::error!(error.cause_chain = ?e, "handler_api could not check a key");
                return render(Reply::Text("ERROR_SQL".into()));
            }
        },
        None => return render(Reply::Text("BAD_KEY".into())),
    };
    if let Err(refused) = state.rate_limits.check_caller(&caller, &Method::GET, PATH) {
        return no_store(refused.into_response());
    }
    let request = match Request::parse(params.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(request) => request,
        Err(refused) => return render(Reply::refused(refused)),
    };
    if request.is_purchase() {
        if let Err(refused) = state.rate_limits.check_purchase(caller.user_id) {
            return no_store(refused.into_response());
        }
    }
    render(handler_api::answer(state, &caller, request).await)
}

/// Balances, numbers and codes, on URLs a cache could keep: no cache may.
fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

fn render(reply: Reply) -> Response {
    no_store(match reply {
        Reply::Text(token) => {
            ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], token).into_response()
        }
        Reply::Json(value) => Json(value).into_response(),
    })
}
