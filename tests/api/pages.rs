use crate::helpers::*;
use reqwest::Method;

#[tokio::test]
async fn pages_render_on_the_server_with_the_sandbox_banner() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Namaskah SMS"));
    assert!(html.contains("Sandbox mode."), "sandbox banner");
    assert!(html.contains("Create account"));
    for path in ["/login", "/register", "/keys", "/account"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_signed_in_page_shows_the_balance_and_the_account() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    app.credit(s.user_id, "7.25").await;
    let html = app.page_html("/", &s).await;
    assert!(html.contains("7.25 USD"), "balance in the page");
    assert!(html.contains("Sign out"));
    let html = app.page_html("/account", &s).await;
    assert!(html.contains("test credit"), "the ledger row is listed");
}

#[tokio::test]
async fn an_unknown_page_is_404() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Page not found"));
}

/// Many pages rendered at once all finish: a page whose render never completes leaves the
/// visitor with a blank tab and holds its connection for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_rendered_at_once_all_finish() {
    use futures_util::stream::{self, StreamExt};

    let app = spawn_app().await;
    let s = app.signed_in().await;
    let requests = (0..400).map(|i| {
        let path = [
            "/",
            "/login",
            "/account",
            "/rentals",
            "/verifications",
            "/keys",
        ][(i / 2) % 6];
        let request = if i % 2 == 0 {
            app.client.get(app.url(path))
        } else {
            app.as_browser(Method::GET, path, &s)
        };
        // The test client gives up on a request after a minute: a page that never finishes
        // comes back as its timeout error.
        async move {
            let r = request.send().await.map_err(|e| format!("{path}: {e}"))?;
            let status = r.status();
            r.text().await.map_err(|e| format!("{path}: {e}"))?;
            if status == 200 {
                Ok(())
            } else {
                Err(format!("{path}: {status}"))
            }
        }
    });
    let failed: Vec<String> = stream::iter(requests)
        .buffer_unordered(32)
        .filter_map(|r| async move { r.err() })
        .collect()
        .await;
    assert!(
        failed.is_empty(),
        "pages that failed or never finished: {failed:?}"
    );
}

#[tokio::test]
async fn the_clients_files_are_revalidated_before_reuse_and_unchanged_ones_are_not_sent_again() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let wasm = vec![7u8; 4096];
    std::fs::write(pkg.join("chunk_1.wasm"), &wasm).unwrap();
    // What the release stores beside it (its content is not the server's to check).
    std::fs::write(pkg.join("chunk_1.wasm.gz"), b"stored gzip").unwrap();
    let app = spawn_app_with(&[(
        "LEPTOS_SITE_ROOT",
        site.path().to_string_lossy().into_owned(),
    )])
    .await;

    let r = app
        .client
        .get(app.url("/pkg/chunk_1.wasm"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, no-cache");
    assert_eq!(r.headers()["content-encoding"], "gzip", "the stored .gz");
    let modified = r.headers()["last-modified"].clone();
    assert_eq!(&r.bytes().await.unwrap()[..], b"stored gzip");

    // Asked again by the browser: unchanged, so a 304 and no body.
    let r = app
        .client
        .get(app.url("/pkg/chunk_1.wasm"))
        .header("accept-encoding", "gzip")
        .header("if-modified-since", modified.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty());
    // For a signed-in customer too: a 304 that said `no-store` would make the browser throw
    // its copy away.
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, "/pkg/chunk_1.wasm", &s)
        .header("accept-encoding", "gzip")
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["cache-control"], "public, no-cache");
    assert_eq!(r.headers()["vary"], "accept-encoding");

    // Changed since: the whole file.
    let r = app
        .client
        .get(app.url("/pkg/chunk_1.wasm"))
        .header("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), 4096);
    let r = app
        .client
        .get(app.url("/pkg/missing.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_client_named_after_its_content_is_kept_for_good() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(
        site.path().join("hash.txt"),
        "js: Js1\nwasm: Wa1\ncss: Cs1\nmanifest: Ma1\nsplit: Sp1\n",
    )
    .unwrap();
    for file in [
        "namaskah.Js1.js",
        "namaskah.Wa1.wasm",
        "namaskah.Cs1.css",
        "chunk_2.Ch2.wasm",
    ] {
        std::fs::write(pkg.join(file), "export default 1;").unwrap();
    }
    let app = spawn_app_with(&[(
        "LEPTOS_SITE_ROOT",
        site.path().to_string_lossy().into_owned(),
    )])
    .await;

    let page = app.anonymous_text("/login").await;
    for name in [
        r#"href="/pkg/namaskah.Cs1.css""#,
        r#"href="/pkg/namaskah.Js1.js""#,
        r#"href="/pkg/namaskah.Wa1.wasm""#,
        "__wasm_split_manifest.Ma1.json",
    ] {
        assert!(page.contains(name), "{name} in {page}");
    }
    assert!(!page.contains("/pkg/namaskah.js"), "no plain name is left");
    let cache_control = |path: &'static str| {
        let client = app.client.clone();
        let url = app.url(path);
        async move {
            let r = client.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.headers()["cache-control"].to_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        cache_control("/pkg/namaskah.Cs1.css").await,
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        cache_control("/pkg/chunk_2.Ch2.wasm").await,
        "public, max-age=31536000, immutable"
    );
    // The build writes the chunks' names into these after naming them: checked before reuse.
    assert_eq!(
        cache_control("/pkg/namaskah.Js1.js").await,
        "public, no-cache"
    );
    assert_eq!(
        cache_control("/pkg/namaskah.Wa1.wasm").await,
        "public, no-cache"
    );
    // The chunks' manifest is JSON, and stays cacheable for a signed-in browser too.
    std::fs::write(pkg.join("__wasm_split_manifest.Ma1.json"), "{}").unwrap();
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, "/pkg/__wasm_split_manifest.Ma1.json", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, no-cache");
    // A file this instance does not have (yet: another release's) is kept by nobody.
    let r = app
        .client
        .get(app.url("/pkg/chunk_9.Zz9.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["cache-control"], "no-store");
}
