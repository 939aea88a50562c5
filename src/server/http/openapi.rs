//! The OpenAPI 3.1 document of the REST API. Each route's operation is written beside its
//! handler (`#[utoipa::path]`) and collected by the same call that routes it
//! (`utoipa_axum::routes!`), so the document cannot name a route that is not served, nor miss
//! one that is. What every operation shares is added here, from the one place that decides it:
//! who may call it (`access::RULES`), the error envelope, the rate-limit headers. Served at
//! `/api/openapi.json`; `/docs/api` renders it.

pub mod reference;

use super::access::{self, Access};
use crate::api::dto::ApiReference;
use crate::api::{AppError, ErrorCode};
use crate::server::state::AppState;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::sync::LazyLock;
use utoipa::OpenApi as _;

/// The API's version, as the document gives it. The paths stay as they are: a change that
/// would break a client gets new paths under `/api/v2` beside these (`docs/api-versioning.md`).
pub const VERSION: &str = "1.0.0";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Namaskah SMS API",
        description = "Temporary phone numbers and SMS verification codes: buy one-shot \
verification numbers, rent numbers for hours to months and read their SMS, watch it all live, \
and be told by webhooks.\n\n\
**Authentication.** Send an API key as `Authorization: Bearer <key>` (create keys at \
`/keys` or `POST /api/keys`), or use the session cookie the sign-in sets. A state-changing \
request with the cookie must come from this site (its `Origin`).\n\n\
**Errors.** Every error is `{\"error\": {\"code\", \"message\", \"field\"?, \"retry_after\"?}}` \
with the HTTP status of its code; bad input is 422 naming the `field`.\n\n\
**Money** is a decimal string (`\"1.5000\"`), never a float.\n\n\
**Retries.** Purchases take an `Idempotency-Key` header: a retry with the same key and body \
gets the first answer again and is charged once.\n\n\
**Rate limits.** Where a request limit applies, the answer carries `RateLimit-Limit`, \
`RateLimit-Remaining` and `RateLimit-Reset` (seconds, at most) for the tightest one; past it, \
429 with `Retry-After`.\n\n\
**Pagination.** Lists take `page` and `per_page` (pages count from 1), or a `before` cursor \
given back as `next_before`.\n\n\
**Versioning.** These paths are version 1 and stay: additions (new endpoints, new optional \
fields, new fields in answers) come without notice, so ignore fields you do not know; the \
values of the enums in answers (statuses, error codes) are part of the contract. A change that \
would break a client would come under `/api/v2`, with the old paths kept for at least 12 \
months.",
        license(name = "Proprietary"),
    ),
    components(schemas(crate::api::AppError, crate::api::ErrorCode, ErrorEnvelope))
)]
struct Base;

/// Every error answer: the error, under `error`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the shape `http::error` writes
pub struct ErrorEnvelope {
    error: AppError,
}

/// `Idempotency-Key`, on the requests that spend money.
#[derive(utoipa::IntoParams)]
#[into_params(names("Idempotency-Key"), parameter_in = Header)]
#[allow(dead_code)] // documents the header `services::idempotency` reads
pub struct IdempotencyKey(
    /// Any string up to 255 characters, unique per purchase: a retry with the same key and
    /// body gets the first answer again (and is charged once); with another body, 422 naming
    /// `Idempotency-Key`; while the first is still being carried out, 409.
    Option<String>,
);

/// The document, built once; and as JSON text.
static DOCUMENT: LazyLock<Value> = LazyLock::new(document);
static DOCUMENT_TEXT: LazyLock<String> = LazyLock::new(|| DOCUMENT.to_string());

/// The document as the reference page shows it, its `curl` lines for this server.
pub fn reference_for(state: &AppState) -> ApiReference {
    state
        .caches
        .api_reference
        .get_or_init(|| {
            let origin = state
                .settings
                .public_origins
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            reference::reference(&DOCUMENT, &origin, state.settings.sandbox())
        })
        .clone()
}

/// The document as JSON.
pub fn document() -> Value {
    let (_, paths) = super::routes().split_for_parts();
    let mut doc = Base::openapi();
    doc.merge(paths);
    doc.info.version = VERSION.to_owned();
    let mut doc = serde_json::to_value(&doc).expect("the document serialises");
    decorate(&mut doc);
    doc
}

/// Serves the document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    summary = "This API's OpenAPI 3.1 document",
    responses((status = 200, description = "The document", content_type = "application/json"))
)]
pub async fn serve() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        DOCUMENT_TEXT.as_str(),
    )
        .into_response()
}

/// What is the same for many operations, added to each: its tag, who may call it (from
/// `access::RULES`) and the answers that follow from that, the error envelope of every error,
/// and the rate-limit headers.
fn decorate(doc: &mut Value) {
    doc["components"]["securitySchemes"] = json!({
        "api_key": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`nmk_…`), from `POST /api/keys` or the keys page."
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": super::cookies::SESSION_COOKIE,
            "description": "The session cookie set by signing in."
        }
    });
    doc["components"]["responses"] = common_responses();
    doc["components"]["headers"] = json!({
        "RateLimit-Limit": header_doc("Requests allowed per minute by the tightest limit that applies."),
        "RateLimit-Remaining": header_doc("Requests left under that limit now."),
        "RateLimit-Reset": header_doc("Seconds until that limit is full again."),
        "Retry-After": header_doc("Seconds to wait before trying again."),
    });
    doc["tags"] = Value::Array(
        TAGS.iter()
            .filter(|(_, _, description)| !description.is_empty())
            .map(|(_, name, description)| json!({"name": name, "description": description}))
            .collect(),
    );
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            decorate_operation(path, &method, op);
        }
    }
}

fn decorate_operation(path: &str, method: &Method, op: &mut Value) {
    if op.get("tags").is_none() {
        op["tags"] = json!([tag_of(path)]);
    }
    // Outside `/api` (the SMS-Activate protocol's path) the protocol has its own key.
    let access = access::rule_for(method, path).map_or(Access::Public, |r| r.access);
    let responses = op["responses"].as_object_mut().expect("responses");
    for (status, response) in responses.iter_mut() {
        // OpenAPI requires every answer to be described.
        if response.get("$ref").is_none()
            && response["description"].as_str().is_none_or(str::is_empty)
        {
            response["description"] = json!(match status.as_str() {
                "200" => "OK",
                "201" => "Created",
                "202" => "Accepted",
                "204" => "Done; no body",
                _ => "An error",
            });
        }
        if status.starts_with('2') {
            if let Some(response) = response.as_object_mut() {
                let headers = response.entry("headers").or_insert_with(|| json!({}));
                for name in ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"] {
                    headers[name] = json!({"$ref": format!("#/components/headers/{name}")});
                }
            }
        }
    }
    let mut add = |status: &str, name: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| json!({"$ref": format!("#/components/responses/{name}")}));
    };
    if path.starts_with("/api/") {
        if access != Access::Public {
            add("401", "Unauthorized");
            // The role, a change made with the session cookie from another site, or an
            // operator who must first turn on two-factor sign-in.
            add("403", "Forbidden");
        }
        add("429", "RateLimited");
        add("default", "Error");
    }
    let needs = match access {
        Access::Public => None,
        Access::SignedIn => Some("Needs a signed-in account (an API key or the session)."),
        Access::Staff => Some("Needs an operator's account: support or admin."),
        Access::Admin => Some("Needs an admin's account."),
    };
    if let Some(needs) = needs {
        op["security"] = json!([{"api_key": []}, {"session": []}]);
        let description = op["description"].as_str().unwrap_or_default();
        op["description"] = Value::String(if description.is_empty() {
            needs.to_owned()
        } else {
            format!("{description}\n\n{needs}")
        });
    }
}

fn header_doc(description: &str) -> Value {
    json!({"description": description, "schema": {"type": "integer", "minimum": 0}})
}

fn error_response(description: &str, example: &AppError) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ErrorEnvelope"},
            "example": {"error": example},
        }},
    })
}

fn common_responses() -> Value {
    let mut responses = Map::new();
    responses.insert(
        "Unauthorized".into(),
        error_response(
            "Not signed in, or the API key is wrong or revoked.",
            &AppError::unauthorized(),
        ),
    );
    responses.insert(
        "Forbidden".into(),
        error_response(
            "The account's role does not allow this, a cookie-authenticated change came from \
             another site, or an operator must first turn on two-factor sign-in.",
            &AppError::new(ErrorCode::Forbidden, "your role does not allow this"),
        ),
    );
    let mut limited = error_response(
        "Too many requests: try again after `Retry-After` seconds.",
        &AppError::new(
            ErrorCode::RateLimited,
            "too many requests for this account; try again in 12 s",
        )
        .retry_after(12),
    );
    limited["headers"] = json!({"Retry-After": {"$ref": "#/components/headers/Retry-After"}});
    responses.insert("RateLimited".into(), limited);
    responses.insert(
        "Error".into(),
        error_response(
            "An error: its `code` says which (the status follows from it: `bad_request` 400, \
             `unauthorized` 401, `payment_required` 402, `forbidden` 403, `not_found` 404, \
             `method_not_allowed` 405, `conflict` and `no_numbers` 409, `payload_too_large` \
             413, `unsupported_media_type` 415, `validation_failed` 422 with the `field`, \
             `rate_limited` 429, `internal` 500, `provider_refused` 502, \
             `service_unavailable` 503).",
            &AppError::validation("country", "must be an ISO 3166-1 alpha-2 code, e.g. GB"),
        ),
    );
    Value::Object(responses)
}

/// The tags, by the path each one's operations start with (the longest first).
const TAGS: &[(&str, &str, &str)] = &[
    (
        "/api/auth",
        "Sign-in",
        "Accounts: signing up and in, resets, who is signed in.",
    ),
    (
        "/api/account",
        "Account",
        "The signed-in account: security, sessions, two-factor sign-in, forecast.",
    ),
    ("/api/keys", "API keys", "Keys for this API."),
    (
        "/api/notifications",
        "Notifications",
        "What the account has been told, and how.",
    ),
    ("/api/billing", "Billing", "The balance and its ledger."),
    (
        "/api/catalog",
        "Catalogue",
        "What is for sale, where, at what price.",
    ),
    (
        "/api/verifications",
        "Verifications",
        "One-shot numbers for one code.",
    ),
    (
        "/api/rentals",
        "Rentals",
        "Numbers rented for hours to months, and their SMS.",
    ),
    ("/api/presets", "Rentals", ""),
    (
        "/api/webhooks/sms-activate",
        "Provider callbacks",
        "Where upstream providers push SMS to us; each push carries its own secret.",
    ),
    ("/api/webhooks/textverified", "Provider callbacks", ""),
    (
        "/api/webhooks",
        "Webhooks",
        "Your endpoints, told of events as they happen, signed.",
    ),
    (
        "/api/events",
        "Live updates",
        "The server-sent event stream the pages watch.",
    ),
    (
        "/api/admin",
        "Operators",
        "The operators' console: accounts, orders, money, providers, usage.",
    ),
    ("/api/5sim", "Operators", ""),
    (
        "/stubs/handler_api.php",
        "SMS-Activate protocol",
        "The SMS-Activate protocol, answered by us: existing bots change only their base URL.",
    ),
    ("/api/openapi.json", "Documentation", "This document."),
];

fn tag_of(path: &str) -> &'static str {
    TAGS.iter()
        .filter(|(prefix, _, _)| path.starts_with(prefix))
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map_or("Other", |(_, name, _)| name)
}
