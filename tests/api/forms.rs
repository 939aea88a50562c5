//! The pages' forms as a browser posts them (a plain form post: no script involved, which is
//! how every form on the site is sent). Each goes back to its page, which says what it did in
//! a one-time notice, or shows the error.

use crate::helpers::*;
use reqwest::{Method, Response};

pub(crate) async fn form_post(
    app: &TestApp,
    s: &Session,
    server_fn: &str,
    page: &str,
    fields: &[(&str, String)],
) -> Response {
    app.as_browser(Method::POST, &format!("/api/fn/{server_fn}"), s)
        .header("referer", app.url(page))
        .header("accept", "text/html")
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// The lines of the notice the form left for the page it returns to.
pub(crate) fn notice(r: &Response) -> Vec<String> {
    let Some(cookie) = set_cookie(r, "namaskah_notice") else {
        return Vec::new();
    };
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("namaskah_notice=");
    let text = String::from_utf8(hex::decode(value).unwrap()).unwrap();
    text.lines().map(str::to_owned).collect()
}

pub(crate) fn back_to(r: &Response) -> String {
    r.headers()["location"].to_str().unwrap().to_owned()
}

fn rent_form(name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("rental[country]", "GB".into()),
        ("rental[service]", "telegram".into()),
        ("rental[duration_hours]", "6".into()),
        ("count", "1".into()),
        ("name", name.into()),
    ]
}

#[tokio::test]
async fn the_rent_forms_save_button_saves_its_choices_as_a_preset_and_rents_nothing() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let before = app.balance(&s).await;

    let r = form_post(
        &app,
        &s,
        "save_preset",
        "/rentals",
        &rent_form("Telegram UK"),
    )
    .await;
    assert_eq!(r.status(), 302);
    assert!(back_to(&r).starts_with("/rentals"));
    assert_eq!(notice(&r), ["Saved \u{201c}Telegram UK\u{201d}"]);
    let presets = app.get_json("/api/presets", &s).await;
    let saved = &presets["presets"][0];
    assert_eq!(saved["name"], "Telegram UK");
    assert_eq!(saved["service"], "telegram");
    assert_eq!(saved["duration_hours"], 6);
    assert_eq!(app.balance(&s).await, before, "saving rents nothing");

    // Without a name: back with the error (on the name), no notice, nothing saved.
    let r = form_post(&app, &s, "save_preset", "/rentals", &rent_form("")).await;
    assert_eq!(r.status(), 302);
    assert!(back_to(&r).contains("__err="), "{}", back_to(&r));
    assert!(notice(&r).is_empty());
    let presets = app.get_json("/api/presets", &s).await;
    assert_eq!(presets["presets"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_bulk_bar_form_acts_on_the_ticked_rentals_and_says_what_happened_to_each() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let a = app.rent(&s, 2).await;
    let b = app.rent(&s, 2).await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());

    let r = form_post(
        &app,
        &s,
        "bulk_rentals",
        "/rentals",
        &[
            ("request[action]", "extend".into()),
            ("request[ids][0]", a_id.to_string()),
            ("request[ids][1]", "999999".into()),
            ("request[hours]", "1".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 302);
    let lines = notice(&r);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let phone = a["phone_number"].as_str().unwrap();
    assert!(
        lines[0].starts_with(&format!("✓ {phone}: extended until")),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("✗ Rental 999999: "), "{lines:?}");
    let extended = app.get_json(&format!("/api/rentals/{a_id}"), &s).await;
    assert_eq!(extended["duration_hours"], 3);

    let r = form_post(
        &app,
        &s,
        "bulk_rentals",
        "/rentals",
        &[
            ("request[action]", "release".into()),
            ("request[ids][0]", a_id.to_string()),
            ("request[ids][1]", b_id.to_string()),
            ("request[hours]", "1".into()),
        ],
    )
    .await;
    let lines = notice(&r);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.iter().all(|l| l.contains(": released · refunded")),
        "{lines:?}"
    );
    let active = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(active["rentals"].as_array().unwrap().len(), 0);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn the_rentals_page_carries_its_islands_and_its_live_views() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let rental = app.rent(&s, 2).await;
    let html = app.page_html("/rentals", &s).await;
    for island in [
        "RentChoices",
        "BulkBar",
        "PageScript",
        "RentalBoard",
        "LiveBalance",
    ] {
        let marker = format!("<leptos-island data-component=\"{island}_");
        assert!(html.contains(&marker), "the {island} island is on the page");
    }
    // The board's props carry the rental, so the browser's live store starts from it.
    assert!(html.contains(&format!("&quot;id&quot;:{}", rental["id"])));
    // What page changes and countdowns need: the session, the events the page is as of, and
    // the server's clock.
    assert!(html.contains(&format!("data-session=\"{}\"", s.user_id)));
    assert!(html.contains("data-events-after="));
    assert!(html.contains("data-now="));
    // The card's checkbox tells the bulk bar the rental's hourly price and refund.
    assert!(html.contains(&format!("id=\"select-{}\"", rental["id"])));
    assert!(html.contains("data-per-hour="));
    assert!(html.contains("data-countdown="));
}
