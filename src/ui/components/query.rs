//! Reading and writing the URL: a route's parameters, its query, and values put into one.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::str::FromStr;

/// The route's `:name` parameter as a number, 0 when it is missing or not one (a page for no
/// such thing).
pub fn path_id(name: &'static str) -> Memo<i64> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

/// The query's `name` value, if it parses as a `T`.
pub fn query_value<T>(name: &'static str) -> Memo<Option<T>>
where
    T: FromStr + PartialEq + Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).and_then(|v| v.parse().ok()))
}

/// Percent-encodes a query value.
pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
