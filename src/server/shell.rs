//! The HTML document around the app. Server-only: it gives each page a fresh CSP nonce, so the
//! only scripts that run are the hydration scripts the server wrote.

use super::client_files::ClientFiles;
use super::http::security::page_csp;
use super::state::AppState;
use crate::app::App;
use axum::http::{header, HeaderValue};
use leptos::config::LeptosOptions;
use leptos::hydration::AutoReload;
use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use leptos_meta::MetaTags;
use std::sync::{Arc, LazyLock};

pub fn shell(options: LeptosOptions, files: Arc<ClientFiles>) -> impl IntoView {
    provide_nonce();
    if let (Some(nonce), Some(res)) = (use_nonce(), use_context::<ResponseOptions>()) {
        let payments = use_context::<AppState>().and_then(|s| s.payments.clone());
        let checkout = payments.as_deref().map(|p| p.checkout_origin());
        if let Ok(csp) = HeaderValue::from_str(&page_csp(&nonce.to_string(), checkout)) {
            res.insert_header(header::CONTENT_SECURITY_POLICY, csp);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <link id="leptos" rel="stylesheet" href=format!("/{}/{}", options.site_pkg_dir, files.css) />
                <IslandScripts options files />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Fetches the WASM client at once (preloads), hydrates the page's islands when it is parsed
/// (`shell/load_islands.js`) and from then on changes pages without reloading the document
/// (`shell/change_page.js`), with this page's nonce.
#[component]
fn IslandScripts(options: LeptosOptions, files: Arc<ClientFiles>) -> impl IntoView {
    // Islands: nothing outside them is hydrated, so the render writes no hydration data for it.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let nonce = use_nonce();
    let pkg = format!("/{}", options.site_pkg_dir);
    let (js, wasm, manifest) = (&files.js, &files.wasm, &files.manifest);
    let script = format!(
        "const loaded = ({})({pkg:?}, {js:?}, {wasm:?}, {manifest:?});\n({})(loaded);",
        LOAD_ISLANDS.as_str(),
        CHANGE_PAGE.as_str()
    );
    view! {
        <link rel="modulepreload" href=format!("{pkg}/{js}") />
        <link rel="preload" href=format!("{pkg}/{wasm}") r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" async nonce=nonce>{script}</script>
    }
}

/// The scripts' code without their comments and indentation (every page carries it).
static LOAD_ISLANDS: LazyLock<String> =
    LazyLock::new(|| code(include_str!("shell/load_islands.js")));
static CHANGE_PAGE: LazyLock<String> = LazyLock::new(|| code(include_str!("shell/change_page.js")));

/// A script file's one expression, without its comment lines and the `;` after it.
fn code(script: &str) -> String {
    let lines: Vec<&str> = script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect();
    lines.join("\n").trim_end_matches(';').to_owned()
}
