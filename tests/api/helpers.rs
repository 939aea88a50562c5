use namaskah::server::config::Settings;
use namaskah::server::startup::Application;
use namaskah::server::state::AppState;
use reqwest::{Client, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Once;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub state: AppState,
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
    /// Stops the server (as Ctrl-C does) when sent to or dropped.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// A signed-in browser: its session cookie, and the Origin a browser would send.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub user_id: i64,
}

/// Which database this run of the suite uses: `TEST_DATABASE=postgres` or SQLite (default).
pub fn test_database_url() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            let base = std::env::var("TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
            let name = format!("namaskah_test_{}", uuid::Uuid::new_v4().simple());
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url, Some(dir))
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The app with extra settings (e.g. a real-mode `FIVESIM_API_KEY`).
pub async fn spawn_app_with(extra: &[(&'static str, String)]) -> TestApp {
    static TRACING: Once = Once::new();
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            namaskah::server::telemetry::init(Default::default());
        }
    });
    let (database_url, dir) = test_database_url();
    let mut env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url.clone()),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0".into()),
        ("SANDBOX_AUTO_SMS", "0".into()),
        // The 5SIM emulator alone, unless a test asks for more: prices and stock are then
        // the ones its control API sets.
        ("SANDBOX_PROVIDERS", "5sim".into()),
        // Every test calls from 127.0.0.1 and signs in often; the rate-limit tests turn the
        // limits they test on.
        ("RATE_LIMIT_PER_IP", "0".into()),
        ("RATE_LIMIT_PER_ACCOUNT", "0".into()),
        ("RATE_LIMIT_PER_API_KEY", "0".into()),
        ("RATE_LIMIT_SIGN_IN", "0".into()),
        ("RATE_LIMIT_PAID", "0".into()),
    ]);
    env.extend(extra.iter().cloned());
    let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("test settings");
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A request that never gets its answer fails its test instead of holding the run.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap(),
        state,
        database_url,
        _dir: dir,
        stop: Some(stop),
        server,
    }
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    /// Stops the server as Ctrl-C does; true if it has stopped within `within`.
    pub async fn stop(&mut self, within: std::time::Duration) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(within, &mut self.server).await.is_ok()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn origin(&self) -> String {
        self.address.clone()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/auth/register",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Registers a new user and signs in, returning the session.
    pub async fn signed_in(&self) -> Session {
        let email = unique_email();
        let r = self.register(&email, PASSWORD).await;
        assert_eq!(r.status(), 202);
        self.signed_in_as(&email).await
    }

    /// Signs in to the account of `email` (made with [`PASSWORD`]).
    pub async fn signed_in_as(&self, email: &str) -> Session {
        self.signed_in_as_with(email, PASSWORD).await
    }

    pub async fn signed_in_as_with(&self, email: &str, password: &str) -> Session {
        let r = self.login(email, password).await;
        assert_eq!(r.status(), 200);
        let cookie = session_cookie(&r).expect("login sets the session cookie");
        let user_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        Session { cookie, user_id }
    }

    /// The body of `GET path` for a visitor who is not signed in.
    pub async fn anonymous_text(&self, path: &str) -> String {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        r.text().await.unwrap()
    }

    /// The actions of the account's security events, newest first.
    pub async fn security_actions(&self, s: &Session) -> Vec<String> {
        let events = self.get_json("/api/account/security-events", s).await;
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Whether the account's address is confirmed, as `GET /api/auth/me` says.
    pub async fn email_verified(&self, s: &Session) -> bool {
        self.get_json("/api/auth/me", s).await["email_verified"]
            .as_bool()
            .unwrap()
    }

    /// A request as the browser of `session` makes it: cookie, and Origin on writes.
    pub fn as_browser(
        &self,
        method: reqwest::Method,
        path: &str,
        session: &Session,
    ) -> reqwest::RequestBuilder {
        let writes = method != reqwest::Method::GET;
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("cookie", format!("namaskah_session={}", session.cookie));
        if writes {
            req = req.header("origin", self.origin());
        }
        req
    }

    /// A page as the browser of `session` gets it.
    pub async fn page_html(&self, path: &str, session: &Session) -> String {
        let r = self.as_browser(reqwest::Method::GET, path, session);
        r.send().await.unwrap().text().await.unwrap()
    }

    pub fn with_key(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    /// Creates an API key for `session` and returns the key itself.
    pub async fn api_key(&self, session: &Session, name: &str) -> String {
        let r = self
            .as_browser(reqwest::Method::POST, "/api/keys", session)
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn credit(&self, user_id: i64, amount: &str) {
        let email: String = sqlx::query_scalar("select email from app_user where user_id = $1")
            .bind(user_id)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap();
        namaskah::server::services::billing::credit(
            &self.state,
            &namaskah::server::services::audit::Actor::CLI,
            &email,
            amount,
            "test credit",
        )
        .await
        .unwrap();
    }

    /// The embedded emulator's control API, on the app's own port (sandbox mode).
    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, self.url(&format!("/sandbox/5sim/control{path}")));
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    /// Moves the app's and the emulators' clock on by `seconds` and runs the jobs then due;
    /// answers what ran.
    pub async fn advance(&self, seconds: i64) -> Value {
        let r = self
            .client
            .post(self.url("/sandbox/control/clock"))
            .json(&json!({"advance_seconds": seconds}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Signs in a new operator account.
    pub async fn signed_in_admin(&self) -> Session {
        let email = unique_email();
        namaskah::server::services::accounts::create_user(
            &self.state,
            &namaskah::server::services::audit::Actor::CLI,
            &email,
            PASSWORD,
            namaskah::domain::Role::Admin,
        )
        .await
        .unwrap();
        let r = self.login(&email, PASSWORD).await;
        Session {
            cookie: session_cookie(&r).unwrap(),
            user_id: r.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
        }
    }

    /// How many requests the embedded 5SIM emulator saw under `prefix` (e.g. `/user/buy`).
    pub async fn provider_requests_to(&self, prefix: &str) -> usize {
        let log: Value = self
            .control(reqwest::Method::GET, "/requests", None)
            .await
            .json()
            .await
            .unwrap();
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["path"].as_str().unwrap().starts_with(prefix))
            .count()
    }

    /// A signed-in user with `amount` in their wallet.
    pub async fn funded(&self, amount: &str) -> Session {
        let s = self.signed_in().await;
        self.credit(s.user_id, amount).await;
        s
    }

    /// Rents a telegram number in GB for `hours`; panics unless it is created.
    pub async fn rent(&self, s: &Session, hours: u32) -> Value {
        let r = self
            .as_browser(reqwest::Method::POST, "/api/rentals/create", s)
            .json(&json!({"service": "telegram", "country": "GB", "duration_hours": hours}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// `s`'s wallet balance, as the API reports it.
    pub async fn balance(&self, s: &Session) -> rust_decimal::Decimal {
        dec(&self.get_json("/api/billing/balance", s).await["balance"])
    }

    /// A GET as `s`'s browser, expecting 200 and JSON.
    pub async fn get_json(&self, path: &str, s: &Session) -> Value {
        let r = self
            .as_browser(reqwest::Method::GET, path, s)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// The wallet invariant: a user's balance equals the sum of their ledger rows, and is never
    /// negative.
    pub async fn assert_ledger_invariant(&self, user_id: i64) {
        let sum = namaskah::server::storage::ledger::sum_units(&self.state.db.pool, user_id)
            .await
            .unwrap();
        let balance: i64 =
            sqlx::query_scalar("select balance_units from app_user where user_id = $1")
                .bind(user_id)
                .fetch_one(&self.state.db.pool)
                .await
                .unwrap();
        assert_eq!(balance, sum, "balance equals the sum of the ledger");
        // Only the payment provider taking money back (a refund or dispute of a top-up) may
        // leave a balance below zero: no purchase does.
        let overdrawn: Vec<String> = sqlx::query_scalar(
            "select kind from ledger_entry where user_id = $1 and amount_units < 0 \
             and balance_after_units < 0 and kind not in ('topup_refund', 'dispute')",
        )
        .bind(user_id)
        .fetch_all(&self.state.db.pool)
        .await
        .unwrap();
        assert!(overdrawn.is_empty(), "debits that overdrew: {overdrawn:?}");
    }

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar("select count(*) from app_user")
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }
}

/// The session token from a response's `Set-Cookie`, if it set a non-empty one.
pub fn session_cookie(r: &Response) -> Option<String> {
    set_cookie(r, "namaskah_session")
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .and_then(|kv| kv.split_once('=').map(|(_, v)| v.to_owned()))
        .filter(|v| !v.is_empty())
}

/// The whole `Set-Cookie` header for cookie `name`.
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// A money amount from the API (a decimal string).
pub fn dec(v: &Value) -> rust_decimal::Decimal {
    let text = v
        .as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"));
    text.parse().unwrap()
}

/// Asserts the standard JSON error shape and returns its `error` object.
pub async fn error_body(r: Response, status: u16) -> Value {
    assert_eq!(r.status(), status, "unexpected status");
    let ct = r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        ct.starts_with("application/json"),
        "error content-type was {ct}"
    );
    let body: Value = r.json().await.unwrap();
    let error = body["error"].clone();
    assert!(error["code"].is_string(), "error has a code: {body}");
    assert!(error["message"].is_string(), "error has a message: {body}");
    error
}

/// A parsed SSE event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub event: String,
    pub data: Value,
}

pub struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    pub async fn open(app: &TestApp, s: &Session, last_event_id: Option<i64>) -> Stream {
        let mut req = app.as_browser(reqwest::Method::GET, "/api/events", s);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        Stream::connect(req).await
    }

    /// The stream as a page's script opens it: from the event the page is as of.
    pub async fn open_from(app: &TestApp, s: &Session, after: i64) -> Stream {
        let path = format!("/api/events?last_event_id={after}");
        Stream::connect(app.as_browser(reqwest::Method::GET, &path, s)).await
    }

    async fn connect(req: reqwest::RequestBuilder) -> Stream {
        let response = req.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let mut stream = Stream {
            response,
            buffer: String::new(),
        };
        // The server says hello once the subscription is in place.
        stream
            .read_until(|block| block.contains(": connected"))
            .await;
        stream
    }

    async fn read_until(&mut self, done: impl Fn(&str) -> bool) -> String {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if done(&block) {
                    return block;
                }
                continue;
            }
            let chunk =
                tokio::time::timeout(std::time::Duration::from_secs(5), self.response.chunk())
                    .await
                    .expect("an event within 5 s")
                    .unwrap()
                    .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    pub async fn next_event(&mut self) -> SseEvent {
        let block = self
            .read_until(|b| b.lines().any(|l| l.starts_with("event:")))
            .await;
        let field = |name: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_owned())
            })
        };
        SseEvent {
            id: field("id").and_then(|v| v.parse().ok()),
            event: field("event").unwrap(),
            data: serde_json::from_str(&field("data").unwrap_or_default()).unwrap_or(Value::Null),
        }
    }
}
