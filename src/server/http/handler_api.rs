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
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub const PATH: &str = "/stubs/handler_api.php";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(answer_get, answer_post, answer_head))
}

/// The protocol's parameters, as the document gives them (`answer` reads them itself, from the
/// query and the form merged). Each action reads the ones it needs and ignores the rest.
#[derive(utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters `request::Request::parse` reads
struct Protocol {
    /// An API key of this site (`nmk_…`), as for the REST API. Missing or wrong: `BAD_KEY`.
    api_key: String,
    // Described by `Action` (a description here would wrap the enum in an `allOf` whose other
    // half utoipa types as an object, which no value can be).
    #[param(inline)]
    #[schema(inline)]
    action: Action,
    /// The protocol's service code (`tg`, `wa`…), for `getNumber`, `getNumberV2` and
    /// `getPrices`; for `getRentNumber`, `full` (or none) takes SMS from any sender. Unknown:
    /// `BAD_SERVICE`.
    service: Option<String>,
    /// The protocol's country id (0 when left out), for `getNumber`, `getNumberV2`,
    /// `getPrices`, `getNumbersStatus`, `getRentServicesAndCountries` and `getRentNumber`.
    /// Not a number: `BAD_COUNTRY`; not sold here: `NO_NUMBERS`.
    country: Option<u32>,
    /// The most to pay for a number, a decimal (`getNumber`, `getNumberV2`): a dearer one is
    /// refused with `WRONG_MAX_PRICE:<its price>` and nothing is charged.
    #[param(rename = "maxPrice")]
    #[schema(rename = "maxPrice")]
    max_price: Option<String>,
    /// The activation's id (`getStatus`, `getFullSms`, `setStatus`; else `NO_ACTIVATION`), or
    /// the rent's (`getRentStatus`, `setRentStatus`, `getContinueRentPriceNumber`,
    /// `continueRentNumber`; else `NO_ID_RENT`).
    id: Option<i64>,
    /// For `setStatus`: 1 the SMS was sent, 3 another code is wanted, 6 done, 8 cancel (else
    /// `BAD_STATUS`). For `setRentStatus`: 1 finish, 2 cancel (else `INCORECT_STATUS`).
    status: Option<u8>,
    /// Hours to rent or extend for, 1 to 8784 (4 when left out), for the rent actions;
    /// `time` is read too. Else `BAD_TIME`.
    rent_time: Option<u32>,
}

/// What to do: the operation's description lists the actions and their answers. Unknown:
/// `BAD_ACTION`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, non_camel_case_types)] // named as the protocol names them
enum Action {
    getBalance,
    getBalanceAndCashBack,
    getCountries,
    getServicesList,
    getPrices,
    getNumbersStatus,
    getNumber,
    getNumberV2,
    getStatus,
    getFullSms,
    setStatus,
    getActiveActivations,
    getRentServicesAndCountries,
    getRentNumber,
    getRentStatus,
    setRentStatus,
    getRentList,
    getContinueRentPriceNumber,
    continueRentNumber,
}

/// Check the SMS-Activate protocol endpoint (HEAD)
///
/// Does nothing, for link checkers and previews: no key is checked and nothing is bought.
#[utoipa::path(
    head,
    path = PATH,
    operation_id = "sms_activate_head",
    responses((status = 200, description = "Nothing done; no body"))
)]
async fn answer_head() -> Response {
    no_store(StatusCode::OK.into_response())
}

/// The SMS-Activate protocol
///
/// This site's numbers through the SMS-Activate protocol, so a bot written for it changes only
/// its base URL. Authenticated by `api_key` (an API key of this site), it buys and follows
/// verifications (the protocol's activations) and rentals (its rents) on the key's account,
/// at the same prices, from the same balance and with the same refunds as the REST API. An
/// activation's id is the verification's id here; a rent's id is 1000000000000 plus the
/// rental's id.
///
/// Every answer is HTTP 200, as the protocol's servers answer, errors included: a plain-text
/// token for the activation actions, JSON for the lists and the rent API, whose errors are
/// `{"status": "error", "message": "<TOKEN>"}`. The one exception is a rate limit: 429 with
/// `Retry-After` and this API's error JSON. Answers may not be cached.
///
/// `getBalance`, `getBalanceAndCashBack`: `ACCESS_BALANCE:<balance>`.
///
/// `getCountries`: JSON `{"<country id>": {"id", "eng", "iso", "visible", "retry", "rent"}}`.
///
/// `getServicesList`: JSON `{"status": "success", "services": [{"code", "name"}]}`.
///
/// `getPrices`: JSON `{"<country id>": {"<service>": {"cost", "count"}}}`.
///
/// `getNumbersStatus`: JSON `{"<service>_0": <numbers on sale>}`.
///
/// `getNumber`: `ACCESS_NUMBER:<id>:<number>`, charged; or `NO_NUMBERS`, `NO_BALANCE`,
/// `WRONG_MAX_PRICE:<price>`.
///
/// `getNumberV2`: JSON `{"activationId", "phoneNumber", "activationCost", "currency",
/// "countryCode", "canGetAnotherSms", "activationTime", "activationEndTime",
/// "activationOperator"}`; errors as `getNumber`'s.
///
/// `getStatus`: `STATUS_WAIT_CODE`, `STATUS_OK:<code>`, `STATUS_WAIT_RETRY:<previous code>`
/// or `STATUS_CANCEL`.
///
/// `getFullSms`: `FULL_SMS:<text>`, `STATUS_WAIT_CODE` or `STATUS_CANCEL`.
///
/// `setStatus`: `ACCESS_READY` (1), `ACCESS_RETRY_GET` (3), `ACCESS_ACTIVATION` (6) or
/// `ACCESS_CANCEL` (8: refunded in full, only before any SMS); or `BAD_STATUS`,
/// `EARLY_CANCEL_DENIED`.
///
/// `getActiveActivations`: JSON `{"status": "success", "activeActivations": [...]}`.
///
/// `getRentServicesAndCountries`: JSON `{"countries", "operators", "services": {"<service>":
/// {"cost", "quant"}}}`.
///
/// `getRentNumber`: JSON `{"status": "success", "phone": {"id", "endDate", "number"}}`,
/// charged; or `NO_NUMBERS`, `NO_BALANCE`, `BAD_TIME`.
///
/// `getRentStatus`: JSON `{"status": "success", "quantity", "values": {"0": {"phoneFrom",
/// "text", "service", "date"}}}`; or `STATUS_WAIT_CODE`, `STATUS_FINISH`, `STATUS_CANCEL`.
///
/// `setRentStatus`: JSON `{"status": "success"}`. Finish (1) and cancel (2) both release the
/// rental early, refunding its unused whole hours as the REST API does; or `ALREADY_FINISH`,
/// `ALREADY_CANCEL`.
///
/// `getRentList`: JSON `{"status": "success", "values": {"0": {"id", "phone"}}}`.
///
/// `getContinueRentPriceNumber`: JSON `{"status": "success", "price"}`.
///
/// `continueRentNumber`: JSON `{"status": "success", "phone": {"id", "endDate", "number"}}`,
/// charged; or `RENT_DIE`, `MAX_HOURS_EXCEED`, `NO_BALANCE`, `BAD_TIME`.
///
/// Any action may also answer `BAD_KEY`, `BAD_ACTION`, a malformed parameter's token (see the
/// parameters), `NO_ACTIVATION` or `NO_ID_RENT` for an id that is none of the account's, or
/// `ERROR_SQL`: a fault here or at the provider; try again later.
#[utoipa::path(
    get,
    path = PATH,
    operation_id = "sms_activate_get",
    params(Protocol),
    responses(
        (
            status = 200,
            description = "The action's answer, or its error, in the protocol's words: plain text for the activation actions, JSON for the lists and the rent API",
            content(
                (String = "text/plain", example = json!("ACCESS_NUMBER:4182:447700900123")),
                (serde_json::Value = "application/json", example = json!({"status": "success", "values": {"0": {"id": "1000000000017", "phone": "447700900123"}}}))
            )
        ),
        (status = 429, description = "Too many requests, or purchases, for this account: try again after `Retry-After` seconds (this API's error JSON, not a protocol token)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn answer_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    answer(&state, query.as_deref().unwrap_or_default(), &[]).await
}

/// The SMS-Activate protocol, by form POST
///
/// As `GET /stubs/handler_api.php`, with the parameters in an
/// `application/x-www-form-urlencoded` body; parameters in the query are read too, merged
/// with the form's. The actions and their answers are the GET's.
#[utoipa::path(
    post,
    path = PATH,
    operation_id = "sms_activate_post",
    request_body(
        content = inline(Protocol),
        content_type = "application/x-www-form-urlencoded",
        description = "The protocol's parameters, as for the GET"
    ),
    responses(
        (
            status = 200,
            description = "The action's answer, or its error, in the protocol's words: plain text for the activation actions, JSON for the lists and the rent API",
            content(
                (String = "text/plain", example = json!("ACCESS_BALANCE:12.50")),
                (serde_json::Value = "application/json", example = json!({"status": "error", "message": "NO_BALANCE"}))
            )
        ),
        (status = 429, description = "Too many requests, or purchases, for this account: try again after `Retry-After` seconds (this API's error JSON, not a protocol token)", body = super::openapi::ErrorEnvelope),
    )
)]
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
