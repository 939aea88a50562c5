//! The HTML document around the app. Server-only: it gives each page a fresh CSP nonce, so the
//! only scripts that run are the hydration scripts the server wrote.

use super::http::security::page_csp;
use crate::app::App;
use axum::http::{header, HeaderValue};
use leptos::config::LeptosOptions;
use leptos::hydration::{AutoReload, HydrationScripts};
use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use leptos_meta::MetaTags;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    provide_nonce();
    if let (Some(nonce), Some(res)) = (use_nonce(), use_context::<ResponseOptions>()) {
        if let Ok(csp) = HeaderValue::from_str(&page_csp(&nonce.to_string())) {
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
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}
