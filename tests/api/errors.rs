use crate::helpers::*;
use reqwest::Method;

#[tokio::test]
async fn unknown_api_routes_are_404_json() {
    let app = spawn_app().await;
    for path in [
        "/api/nope",
        "/api",
        "/api/rentals/zzz/whatever",
        "/api/fn/not_a_function",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(error_body(r, 404).await["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_405_json() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/auth/register"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 405).await["code"], "method_not_allowed");
}

#[tokio::test]
async fn bodies_that_are_not_json_are_400_or_422_never_500() {
    let app = spawn_app().await;
    let post = |body: &'static str, ct: Option<&'static str>| {
        let mut req = app.client.post(app.url("/api/auth/register")).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let e = error_body(
        post("{not json", Some("application/json")).await.unwrap(),
        400,
    )
    .await;
    assert_eq!(e["code"], "bad_request");
    let e = error_body(
        post(r#"{"email": "a@b.co"}"#, Some("application/json"))
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "password");
    let e = error_body(
        post(
            r#"{"email": "a@b.co", "password": 12}"#,
            Some("application/json"),
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "password");
    let e = error_body(post("[]", Some("application/json")).await.unwrap(), 422).await;
    assert_eq!(e["code"], "validation_failed");
    error_body(
        post(r#"{"email": "a@b.co", "password": "x"}"#, None)
            .await
            .unwrap(),
        415,
    )
    .await;
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn internals_never_reach_the_client() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "k").await;
    // Break the database under the running app.
    sqlx::query("drop table ledger_entry")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let r = app
        .with_key(Method::GET, "/api/billing/transactions", &key)
        .send()
        .await
        .unwrap();
    let e = error_body(r, 500).await;
    assert_eq!(e["code"], "internal");
    let text = e.to_string().to_lowercase();
    for leak in ["ledger", "sql", "table", "relation", "select"] {
        assert!(!text.contains(leak), "error leaks {leak:?}: {text}");
    }
}
