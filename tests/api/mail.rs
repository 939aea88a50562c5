//! Mail through a real SMTP server on loopback (PyPI `aiosmtpd`, started by the test): password
//! reset links that work once and not after 30 minutes, an answer that tells nothing about who
//! has an account, and the sandbox outbox when no SMTP server is configured.

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

    async fn wait_for(&self, to: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| m.contains(to)) {
                return m;
            }
            assert!(Instant::now() < deadline, "no mail to {to}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_in(mail: &str) -> String {
    let at =
        mail.find("reset-password?token=").expect("a reset link") + "reset-password?token=".len();
    mail[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
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
    let mail = sink.wait_for(&format!("To: {email}")).await;
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
    let second = loop {
        let all: Vec<String> = sink
            .messages()
            .into_iter()
            .filter(|m| m.contains(&format!("To: {email}")))
            .collect();
        if all.len() == 2 {
            break token_in(&all[1]);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
    let deadline = Instant::now() + Duration::from_secs(10);
    let mails = loop {
        let r = app
            .client
            .get(app.url("/sandbox/outbox"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        if !body["mails"].as_array().unwrap().is_empty() {
            break body["mails"].clone();
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(mails[0]["to"], email);
    let token = token_in(mails[0]["text"].as_str().unwrap());
    assert_eq!(reset(&app, &token, NEW).await.status(), 204);
    let page = app
        .client
        .get(app.url("/sandbox/outbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
        json!({"email": false})
    );
    app.api_key(&s, "quiet").await;
    let r = app
        .as_browser(Method::PUT, "/api/notifications/preferences", &s)
        .json(&json!({"email": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"email": true}));
    app.api_key(&s, "loud").await;
    let mail = sink.wait_for(&format!("To: {email}")).await;
    assert!(mail.contains("loud"), "{mail}");
    assert!(mail.contains("/notifications"), "{mail}");
    assert!(
        !sink.messages().iter().any(|m| m.contains("quiet")),
        "asked only from then on"
    );
}

#[tokio::test]
async fn a_new_password_makes_every_link_already_sent_useless() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    ask_reset(&app, &email).await;
    ask_reset(&app, &email).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let tokens: Vec<String> = loop {
        let body: Value = app
            .client
            .get(app.url("/sandbox/outbox"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mails = body["mails"].as_array().unwrap();
        if mails.len() == 2 {
            break mails
                .iter()
                .map(|m| token_in(m["text"].as_str().unwrap()))
                .collect();
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(reset(&app, &tokens[0], NEW).await.status(), 204);
    let r = reset(&app, &tokens[1], "yet another secret 99").await;
    assert_eq!(error_body(r, 422).await["field"], "token");
}
