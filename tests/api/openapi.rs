//! The OpenAPI document at `/api/openapi.json`: it describes every REST route and nothing
//! else, every operation is complete, and every reference in it resolves.

use crate::helpers::*;
use namaskah::server::http::access::RULES;
use serde_json::Value;
use std::collections::BTreeSet;

async fn document(app: &TestApp) -> Value {
    let r = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    r.json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                ops.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    ops
}

#[tokio::test]
async fn the_document_describes_every_route_and_nothing_else() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    // Every `/api` route has a rule (a route without one is answered 404 as if it did not
    // exist; `roles.rs` checks each rule names a served route); the pages' server functions
    // (`/api/fn/…`) are not part of the public API. Beside them, the SMS-Activate protocol's
    // one path.
    let mut served: BTreeSet<(String, String)> = RULES
        .iter()
        .filter(|r| r.path.starts_with("/api/") && !r.path.starts_with("/api/fn/"))
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    for method in ["GET", "POST", "HEAD"] {
        served.insert((method.to_owned(), "/stubs/handler_api.php".to_owned()));
    }
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "routes the document does not describe: {undocumented:?}; \
         operations the app does not serve: {unserved:?}"
    );
}

#[tokio::test]
async fn every_operation_is_complete_and_every_reference_resolves() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{at} has no operationId");
        assert!(ids.insert(id.to_owned()), "{at}: operationId {id} twice");
        assert!(
            !op["summary"].as_str().unwrap_or_default().is_empty(),
            "{at} has no summary"
        );
        assert!(op["tags"][0].is_string(), "{at} has no tag");
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            assert!(
                response["$ref"].is_string()
                    || !response["description"]
                        .as_str()
                        .unwrap_or_default()
                        .is_empty(),
                "{at}: answer {status} is not described"
            );
        }
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{at} documents no success"
        );
        if path.starts_with("/api/") {
            assert!(responses.contains_key("default"), "{at}: no error answer");
        }
        // Each path parameter is described.
        for name in path.split('/').filter_map(|s| s.strip_prefix('{')) {
            let name = name.trim_end_matches('}');
            assert!(
                op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path")),
                "{at}: path parameter {name} not described"
            );
        }
        let rule = RULES.iter().find(|r| r.method == method && r.path == path);
        let public =
            rule.is_none_or(|r| r.access == namaskah::server::http::access::Access::Public);
        assert_eq!(
            op["security"].is_array(),
            !public,
            "{at}: security does not match its access rule"
        );
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 100, "the operations refer to their schemas");
    for r in refs {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

fn collect_refs(v: &Value, into: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => into.push(r.clone()),
                    _ => collect_refs(v, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}

/// Every documented bound on a query parameter is the one the server enforces: its maximum is
/// accepted and one past it is refused with a 422 naming the parameter. Walks the document,
/// so a new bounded parameter is checked as soon as it is documented.
#[tokio::test]
async fn every_documented_query_maximum_is_the_one_enforced() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let admin = app.signed_in_admin().await;
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        if method != "GET" || path.contains('{') || !path.starts_with("/api/") {
            continue;
        }
        for param in op["parameters"].as_array().into_iter().flatten() {
            let (Some(name), Some(max)) =
                (param["name"].as_str(), param["schema"]["maximum"].as_u64())
            else {
                continue;
            };
            if param["in"] != "query" {
                continue;
            }
            let at = format!("{method} {path}?{name}");
            let at_most = app
                .as_browser(
                    reqwest::Method::GET,
                    &format!("{path}?{name}={max}"),
                    &admin,
                )
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            assert!(
                at_most.status().is_success(),
                "{at}={max} (the documented maximum) answered {}",
                at_most.status()
            );
            let past = app
                .as_browser(
                    reqwest::Method::GET,
                    &format!("{path}?{name}={}", max + 1),
                    &admin,
                )
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            let body = error_body(past, 422).await;
            assert_eq!(body["field"], name, "{at}: {body}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} bounded parameters were found");
}
