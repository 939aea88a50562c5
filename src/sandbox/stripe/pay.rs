//! The emulator's hosted checkout page: what the customer pays a session at. It works without
//! JavaScript (plain forms), as Stripe's page does not need the app's.
//!
//! - **Pay** (card 4242 4242 4242 4242): succeeds.
//! - **Decline** (4000 0000 0000 0002): declined; the page says so and stays open.
//! - **3-D Secure** (4000 0027 6000 3184): an authentication step first, which the customer
//!   can complete (paid) or fail (declined).
//! - **Back**: to the merchant's `cancel_url`, the session still open.

use super::{Session, StripeEmulator};
use crate::domain::topup::from_cents;
use crate::sandbox::escape_html as e;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Choice {
    card: String,
}

#[derive(Deserialize)]
pub struct Authentication {
    outcome: String,
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;background:#f6f8fa;color:#1a1f36;margin:0}\
main{max-width:26rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 2px 8px #0002}\
h1{font-size:1.1rem;margin:0 0 .25rem}.amount{font-size:2rem;font-weight:600;margin:.5rem 0 1rem}\
.muted{color:#697386;font-size:.9rem}.error{background:#fdecea;color:#a4131a;padding:.75rem;border-radius:6px}\
form{margin:.5rem 0}button{width:100%;padding:.7rem;border-radius:6px;border:1px solid #c1c9d2;background:#fff;font:inherit;cursor:pointer}\
button.primary{background:#635bff;color:#fff;border:0}code{font-size:.85rem}";

fn shell(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        e(title)
    ))
}

fn amount(session: &Session) -> String {
    format!(
        "{} {}",
        from_cents(session.amount).decimal().round_dp(2),
        session.currency.to_ascii_uppercase()
    )
}

/// The page for a session: its buttons while open, else what became of it.
fn render(em: &StripeEmulator, session: &Session, error: Option<&str>) -> Html<String> {
    let head = format!(
        "<p class=\"muted\">Sandbox checkout: no card is charged</p><h1>{}</h1>\
         <p class=\"amount\" data-testid=\"checkout-amount\">{}</p>{}",
        e(&session.product),
        e(&amount(session)),
        session
            .customer_email
            .as_deref()
            .map(|m| format!("<p class=\"muted\">{}</p>", e(m)))
            .unwrap_or_default()
    );
    let body = match session.status {
        "open" => {
            let id = e(&session.id);
            let error = error
                .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", e(m)))
                .unwrap_or_default();
            let back = session
                .cancel_url
                .as_deref()
                .map(|u| format!("<p><a href=\"{}\">← Back without paying</a></p>", e(u)))
                .unwrap_or_default();
            format!(
                "{error}\
                 <form method=\"post\" action=\"{base}/pay/{id}\"><input type=\"hidden\" name=\"card\" value=\"succeed\">\
                 <button class=\"primary\" type=\"submit\">Pay {amount}</button></form>\
                 <p class=\"muted\">Test card <code>4242 4242 4242 4242</code></p>\
                 <form method=\"post\" action=\"{base}/pay/{id}\"><input type=\"hidden\" name=\"card\" value=\"decline\">\
                 <button type=\"submit\">Pay with a card that is declined</button></form>\
                 <form method=\"post\" action=\"{base}/pay/{id}\"><input type=\"hidden\" name=\"card\" value=\"3ds\">\
                 <button type=\"submit\">Pay with a card that asks for 3-D Secure</button></form>{back}",
                base = e(&em.inner.public_base),
                amount = e(&amount(session)),
            )
        }
        "complete" => format!(
            "<p>This checkout is paid.</p><p><a href=\"{}\">Return to the merchant</a></p>",
            e(&session.success_url)
        ),
        _ => "<p>This checkout has expired: nothing was charged.</p>".to_owned(),
    };
    shell("Pay", &format!("{head}{body}"))
}

fn missing() -> Response {
    (
        StatusCode::NOT_FOUND,
        shell("Not found", "<p>There is no such checkout.</p>"),
    )
        .into_response()
}

pub async fn page(State(em): State<StripeEmulator>, Path(id): Path<String>) -> Response {
    match em.session(&id).await {
        Some(session) => render(&em, &session, None).into_response(),
        None => missing(),
    }
}

/// Where the customer goes once paid: the merchant's `success_url`.
fn paid(session: &Session) -> Response {
    Redirect::to(
        &session
            .success_url
            .replace("{CHECKOUT_SESSION_ID}", &session.id),
    )
    .into_response()
}

pub async fn submit(
    State(em): State<StripeEmulator>,
    Path(id): Path<String>,
    Form(choice): Form<Choice>,
) -> Response {
    let Some(session) = em.session(&id).await else {
        return missing();
    };
    if session.status != "open" {
        return render(&em, &session, None).into_response();
    }
    match choice.card.as_str() {
        "succeed" => match em.pay(&id).await {
            Some(session) => paid(&session),
            None => missing(),
        },
        "decline" => match em
            .decline(&id, "card_declined", "Your card was declined.")
            .await
        {
            Some(session) => (
                StatusCode::PAYMENT_REQUIRED,
                render(
                    &em,
                    &session,
                    Some("Your card was declined. Try another card."),
                ),
            )
                .into_response(),
            None => missing(),
        },
        "3ds" => {
            Redirect::to(&format!("{}/pay/{id}/authenticate", em.inner.public_base)).into_response()
        }
        _ => render(&em, &session, Some("Choose one of the cards below.")).into_response(),
    }
}

/// The 3-D Secure step: the bank asks the customer to confirm.
pub async fn challenge(State(em): State<StripeEmulator>, Path(id): Path<String>) -> Response {
    let Some(session) = em.session(&id).await else {
        return missing();
    };
    if session.status != "open" {
        return render(&em, &session, None).into_response();
    }
    let action = format!("{}/pay/{}/authenticate", em.inner.public_base, session.id);
    shell(
        "3-D Secure",
        &format!(
            "<p class=\"muted\">Sandbox bank: 3-D Secure</p><h1>Confirm this payment</h1>\
             <p class=\"amount\">{}</p>\
             <form method=\"post\" action=\"{a}\"><input type=\"hidden\" name=\"outcome\" value=\"complete\">\
             <button class=\"primary\" type=\"submit\">Complete authentication</button></form>\
             <form method=\"post\" action=\"{a}\"><input type=\"hidden\" name=\"outcome\" value=\"fail\">\
             <button type=\"submit\">Fail authentication</button></form>",
            e(&amount(&session)),
            a = e(&action),
        ),
    )
    .into_response()
}

pub async fn authenticate(
    State(em): State<StripeEmulator>,
    Path(id): Path<String>,
    Form(answer): Form<Authentication>,
) -> Response {
    let Some(session) = em.session(&id).await else {
        return missing();
    };
    if session.status != "open" {
        return render(&em, &session, None).into_response();
    }
    if answer.outcome == "complete" {
        return match em.pay(&id).await {
            Some(session) => paid(&session),
            None => missing(),
        };
    }
    let message = "We are unable to authenticate your payment method. Please choose a different payment method and try again.";
    match em
        .decline(&id, "payment_intent_authentication_failure", message)
        .await
    {
        Some(session) => (
            StatusCode::PAYMENT_REQUIRED,
            render(&em, &session, Some(message)),
        )
            .into_response(),
        None => missing(),
    }
}
