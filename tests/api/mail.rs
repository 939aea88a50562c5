//! Mail through a real SMTP server on loopback (PyPI `aiosmtpd`, started by the test): password
//! reset links and address confirmation links that work once and not after 30 minutes, answers
//! that tell nothing about who has an account, and the sandbox outbox when no SMTP server is
//! configured.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An SMTP server that keeps what it is sent.
struct Sink {
    child: Child,
    port: u16,
    received: Arc<Mutex<String>>,
}

impl Sink {
    async fn start() -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Debugging",
            ])
            .arg("-l")
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd runs (scripts/setup installs it)");
        let received = Arc::new(Mutex::new(String::new()));
        let out = child.stdout.take().unwrap();
        let sink = received.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut all = sink.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the SMTP sink did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Sink {
            child,
            port,
            received,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message so far, quoted-printable undone.
    fn messages(&self) -> Vec<String> {
        let all = self.received.lock().unwrap().clone();
        all.split("---------- MESSAGE FOLLOWS ----------")
            .filter(|m| m.contains("END MESSAGE"))
            .map(|m| m.replace("=\n", "").replace("=3D", "="))
            .collect()
    }

    /// The messages to `email` whose subject starts with `subject`, oldest first.
    fn to(&self, email: &str, subject: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .filter(|m| m.contains(&format!("To: {email}")))
            .filter(|m| m.contains(&format!("Subject: {subject}")))
            .collect()
    }

    /// Waits for the `n`th message (from 1) to `email` about `subject`.
    async fn wait_for_nth(&self, email: &str, subject: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.to(email, subject).into_iter().nth(n - 1) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no mail {n} to {email}: {subject}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_for(&self, email: &str, subject: &str) -> String {
        self.wait_for_nth(email, subject, 1).await
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const RESET: &str = "Choose a new Namaskah password";
const CONFIRM: &str = "Confirm your Namaskah address";
const SOMEONE_TRIED: &str = "Someone tried to create a Namaskah account";

/// The token of the reset link in `mail`.
fn token_in(mail: &str) -> String {
    token_of(mail, "/reset-password?token=")
}

/// The token of the link to `page` in `mail`.
fn token_of(mail: &str, page: &str) -> String {
    let at = mail
        .find(page)
        .unwrap_or_else(|| panic!("a link to {page}: {mail}"))
        + page.len();
    mail[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// The sandbox outbox's mails to `email` about `subject`, once there are `n`.
async fn outbox(app: &TestApp, email: &str, subject: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = app
            .client
            .get(app.url("/sandbox/outbox"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        let mails: Vec<Value> = body["mails"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["to"] == email && m["subject"] == subject)
            .cloned()
            .collect();
        if mails.len() >= n {
            return mails;
        }
        assert!(Instant::now() < deadline, "{n} mails to {email}: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ask_reset(app: &TestApp, email: &str) -> Value {
    let r = app
        .post_json("/api/auth/password-reset", &json!({ "email": email }))
        .await;
    assert_eq!(r.status(), 202);
    r.json().await.unwrap()
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/auth/password-reset/confirm",
        &json!({ "token": token, "new_password": password }),
    )
    .await
}

const NEW: &str = "a brand new secret 77";

#[tokio::test]
async fn a_reset_link_works_once_ends_every_session_and_not_after_30_minutes() {
    let sink = Sink::start().await;
    let app = spawn_app_with(&[
        ("SMTP_URL", sink.url()),
        ("MAIL_FROM", "Namaskah <no-reply@namaskah.test>".into()),
    ])
    .await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let r = app.login(&email, PASSWORD).await;
    let old = Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: 0,
    };

    let answer = ask_reset(&app, &email).await;
    let mail = sink.wait_for(&email, RESET).await;
    assert!(
        mail.contains("From: Namaskah <no-reply@namaskah.test>"),
        "{mail}"
    );
    assert!(
        mail.contains("Subject: Choose a new Namaskah password"),
        "{mail}"
    );
    let token = token_in(&mail);
    assert_eq!(token.len(), 64, "{mail}");

    // A weak password is refused at its field and spends nothing.
    let r = reset(&app, &token, "password").await;
    assert_eq!(error_body(r, 422).await["field"], "new_password");
    let r = reset(&app, &token, NEW).await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.login(&email, NEW).await.status(), 200);
    let s = app.signed_in_as_with(&email, NEW).await;
    assert!(
        app.email_verified(&s).await,
        "a link that came by mail confirms the address too"
    );
    assert_eq!(app.login(&email, PASSWORD).await.status(), 401);
    let r = app
        .as_browser(Method::GET, "/api/auth/me", &old)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "every old session ended");
    // Once.
    let r = reset(&app, &token, "yet another secret 99").await;
    assert_eq!(error_body(r, 422).await["field"], "token");

    // Not after 30 minutes.
    ask_reset(&app, &email).await;
    let second = token_in(&sink.wait_for_nth(&email, RESET, 2).await);
    assert_ne!(second, token);
    app.advance(31 * 60).await;
    let r = reset(&app, &second, "yet another secret 99").await;
    assert_eq!(error_body(r, 422).await["field"], "token");

    // An unknown address gets the same answer, and no mail.
    let nobody = unique_email();
    assert_eq!(ask_reset(&app, &nobody).await, answer);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!sink.messages().iter().any(|m| m.contains(&nobody)));
}

#[tokio::test]
async fn without_smtp_sandbox_mode_keeps_mail_in_its_outbox() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    ask_reset(&app, &email).await;
    let mails = outbox(&app, &email, RESET, 1).await;
    let token = token_in(mails[0]["text"].as_str().unwrap());
    assert_eq!(reset(&app, &token, NEW).await.status(), 204);
    let page = app.anonymous_text("/sandbox/outbox").await;
    assert!(page.contains("Choose a new Namaskah password"));
}

#[tokio::test]
async fn notifications_go_by_email_too_when_asked() {
    let sink = Sink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", sink.url())]).await;
    let s = app.signed_in().await;
    let email: String = sqlx::query_scalar("select email from app_user where user_id = $1")
        .bind(s.user_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        app.get_json("/api/notifications/preferences", &s).await,
        json!({"email": false, "email_confirmed": false, "low_balance_threshold": "1.0000"})
    );
    app.api_key(&s, "quiet").await;
    let r = app
        .as_browser(Method::PUT, "/api/notifications/preferences", &s)
        .json(&json!({"email": true, "email_confirmed": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"email": true, "email_confirmed": false, "low_balance_threshold": "1.0000"}),
        "confirming is not the customer's to set"
    );
    // Not to an address nobody has confirmed.
    app.api_key(&s, "unconfirmed").await;
    let link = sink.wait_for(&email, CONFIRM).await;
    let r = app
        .post_json(
            "/api/auth/verify-email",
            &json!({"token": token_of(&link, "/verify-email?token=")}),
        )
        .await;
    assert_eq!(r.status(), 204);
    app.api_key(&s, "loud").await;
    let mail = sink.wait_for(&email, "Namaskah: ").await;
    assert!(mail.contains("loud"), "{mail}");
    assert!(mail.contains("/notifications"), "{mail}");
    for never in ["quiet", "unconfirmed"] {
        assert!(
            !sink.messages().iter().any(|m| m.contains(never)),
            "{never}: only once asked and confirmed"
        );
    }
}

#[tokio::test]
async fn a_new_password_makes_every_link_already_sent_useless() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    ask_reset(&app, &email).await;
    ask_reset(&app, &email).await;
    let tokens: Vec<String> = outbox(&app, &email, RESET, 2)
        .await
        .iter()
        .map(|m| token_in(m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(reset(&app, &tokens[0], NEW).await.status(), 204);
    let r = reset(&app, &tokens[1], "yet another secret 99").await;
    assert_eq!(error_body(r, 422).await["field"], "token");
}

/// Asks for a new link to confirm the address of `s`.
async fn ask_again(app: &TestApp, s: &Session) -> Value {
    let r = app
        .as_browser(Method::POST, "/api/account/email/verification", s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    r.json().await.unwrap()
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/auth/verify-email", &json!({ "token": token }))
        .await
}

#[tokio::test]
async fn a_sign_up_mails_a_link_that_confirms_the_address_once_and_not_after_30_minutes() {
    let sink = Sink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", sink.url())]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let s = app.signed_in_as(&email).await;
    assert!(!app.email_verified(&s).await);

    let mail = sink.wait_for(&email, CONFIRM).await;
    let token = token_of(&mail, "/verify-email?token=");
    assert_eq!(token.len(), 64, "{mail}");
    // A wrong token is refused at its field and confirms nothing.
    let r = verify(&app, &"0".repeat(64)).await;
    assert_eq!(error_body(r, 422).await["field"], "token");
    assert!(!app.email_verified(&s).await);
    // The link's page only shows a button: opening it (as mail scanners do) changes nothing.
    let page = app
        .anonymous_text(&format!("/verify-email?token={token}"))
        .await;
    assert!(page.contains("Confirm my address"), "{page}");
    assert!(page.contains(&token));
    assert!(!app.email_verified(&s).await);

    // Without a session (the link may be opened in another browser).
    assert_eq!(verify(&app, &token).await.status(), 204);
    assert!(app.email_verified(&s).await);
    // Once.
    let r = verify(&app, &token).await;
    assert_eq!(error_body(r, 422).await["field"], "token");
    assert_eq!(app.security_actions(&s).await[0], "email.verify");

    // Confirmed: asking again sends nothing.
    let body = ask_again(&app, &s).await;
    assert_eq!(body["message"], "Your address is confirmed already.");

    // Another account: the first link dies after 30 minutes; one asked for later works.
    let other = unique_email();
    assert_eq!(app.register(&other, PASSWORD).await.status(), 202);
    let o = app.signed_in_as(&other).await;
    let first = token_of(
        &sink.wait_for(&other, CONFIRM).await,
        "/verify-email?token=",
    );
    app.advance(31 * 60).await;
    let r = verify(&app, &first).await;
    assert_eq!(error_body(r, 422).await["field"], "token");
    ask_again(&app, &o).await;
    let again = token_of(
        &sink.wait_for_nth(&other, CONFIRM, 2).await,
        "/verify-email?token=",
    );
    assert_eq!(verify(&app, &again).await.status(), 204);
    assert!(app.email_verified(&o).await);
    // The other account's link confirmed only its own address.
    let stranger = unique_email();
    assert_eq!(app.register(&stranger, PASSWORD).await.status(), 202);
    let st = app.signed_in_as(&stranger).await;
    assert!(!app.email_verified(&st).await);
}

#[tokio::test]
async fn a_sign_up_for_a_taken_address_tells_its_owner_and_changes_nothing() {
    let sink = Sink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", sink.url())]).await;
    let email = unique_email();
    let first = app.register(&email, PASSWORD).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    sink.wait_for(&email, CONFIRM).await;

    let again = app.register(&email, "another long passphrase 42").await;
    assert_eq!(again.status(), 202);
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        first,
        "the same answer"
    );
    let mail = sink.wait_for(&email, SOMEONE_TRIED).await;
    assert!(mail.contains("/forgot-password"), "{mail}");
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
    assert_eq!(
        app.login(&email, "another long passphrase 42")
            .await
            .status(),
        401
    );
    // Told once a day at most, however often someone tries.
    assert_eq!(
        app.register(&email, "a third long passphrase 43")
            .await
            .status(),
        202
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.to(&email, SOMEONE_TRIED).len(), 1);
    assert_eq!(
        sink.to(&email, CONFIRM).len(),
        1,
        "no second confirmation link"
    );
    app.advance(25 * 60 * 60).await;
    assert_eq!(
        app.register(&email, "a fourth long passphrase 44")
            .await
            .status(),
        202
    );
    sink.wait_for_nth(&email, SOMEONE_TRIED, 2).await;
}

#[tokio::test]
async fn an_account_is_sent_at_most_five_reset_links_an_hour() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let mut answers = Vec::new();
    for _ in 0..7 {
        answers.push(ask_reset(&app, &email).await);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "the same answer");
    outbox(&app, &email, RESET, 5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(outbox(&app, &email, RESET, 5).await.len(), 5);
    // An hour on, links come again.
    app.advance(61 * 60).await;
    ask_reset(&app, &email).await;
    outbox(&app, &email, RESET, 6).await;
}
