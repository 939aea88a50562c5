//! What the pickers list first: favourites and recently used services and countries, with the
//! names people know them by.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn set_favourite(app: &TestApp, s: &Session, fields: &[(&str, &str)]) -> reqwest::Response {
    app.as_browser(Method::POST, "/api/fn/set_favourite", s)
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn choices(app: &TestApp, s: &Session) -> Value {
    app.get_json("/api/fn/my_choices", s).await
}

#[tokio::test]
async fn favourites_are_kept_once_listed_in_order_and_removed() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let empty = choices(&app, &s).await;
    assert_eq!(
        empty,
        json!({"favourite_services": [], "favourite_countries": [], "recent_services": [], "recent_countries": []})
    );

    for code in ["whatsapp", "Telegram", "whatsapp"] {
        let r = set_favourite(
            &app,
            &s,
            &[("kind", "service"), ("code", code), ("on", "true")],
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let r = set_favourite(
        &app,
        &s,
        &[("kind", "country"), ("code", "gb"), ("on", "true")],
    )
    .await;
    let now: Value = r.json().await.unwrap();
    assert_eq!(now["favourite_services"], json!(["whatsapp", "telegram"]));
    assert_eq!(now["favourite_countries"], json!(["GB"]));

    let r = set_favourite(
        &app,
        &s,
        &[("kind", "service"), ("code", "whatsapp"), ("on", "false")],
    )
    .await;
    let now: Value = r.json().await.unwrap();
    assert_eq!(now["favourite_services"], json!(["telegram"]));
    // Off twice is no error either.
    let r = set_favourite(
        &app,
        &s,
        &[("kind", "service"), ("code", "whatsapp"), ("on", "false")],
    )
    .await;
    assert_eq!(r.status(), 200);

    // Another account sees none of it.
    let other = app.signed_in().await;
    assert_eq!(choices(&app, &other).await["favourite_services"], json!([]));
}

#[tokio::test]
async fn a_bad_favourite_names_its_field_and_changes_nothing() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let cases = [
        (
            vec![("kind", "planet"), ("code", "mars"), ("on", "true")],
            "kind",
        ),
        (
            vec![("kind", "service"), ("code", "what's app"), ("on", "true")],
            "code",
        ),
        (
            vec![("kind", "country"), ("code", "GBR"), ("on", "true")],
            "code",
        ),
        (
            vec![("kind", "country"), ("code", ""), ("on", "true")],
            "code",
        ),
    ];
    for (fields, field) in cases {
        let r = set_favourite(&app, &s, &fields).await;
        assert_eq!(r.status(), 422, "{fields:?}");
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["field"], field, "{fields:?}: {error}");
    }
    assert_eq!(
        choices(&app, &s).await["favourite_services"],
        json!([]),
        "nothing was kept"
    );
    let anonymous = app
        .client
        .post(app.url("/api/fn/set_favourite"))
        .header("origin", app.origin())
        .header("accept", "application/json")
        .form(&[("kind", "service"), ("code", "telegram"), ("on", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn what_was_bought_lately_comes_first_newest_first() {
    let app = spawn_app().await;
    let s = app.funded("50").await;
    app.rent(&s, 3).await;
    let r = app
        .as_browser(Method::POST, "/api/verifications", &s)
        .json(&json!({"service": "whatsapp", "country": "US"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let now = choices(&app, &s).await;
    assert_eq!(now["recent_services"], json!(["whatsapp", "telegram"]));
    assert_eq!(now["recent_countries"], json!(["US", "GB"]));
}

#[tokio::test]
async fn the_pickers_show_names_flags_prices_and_favourites_first() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    set_favourite(
        &app,
        &s,
        &[("kind", "service"), ("code", "whatsapp"), ("on", "true")],
    )
    .await;
    let html = app.page_html("/verifications", &s).await;
    let favourites = html
        .find(r#"<optgroup label="Favourites">"#)
        .expect("a favourites group");
    let all = html
        .find(r#"<optgroup label="All">"#)
        .expect("then the rest");
    let whatsapp = html
        .find(r#"data-label="WhatsApp""#)
        .expect("WhatsApp by its name");
    let telegram = html
        .find(r#"data-label="Telegram""#)
        .expect("Telegram by its name");
    assert!(
        favourites < whatsapp && whatsapp < all && all < telegram,
        "{}",
        &html[favourites..]
    );
    assert!(
        html.contains("🇬🇧 United Kingdom"),
        "the country by its flag and name"
    );
    assert!(!html.contains("England (GB)"));
    let option = &html[whatsapp..whatsapp + 300];
    assert!(
        option.contains("left"),
        "price and stock beside it: {option}"
    );
}
