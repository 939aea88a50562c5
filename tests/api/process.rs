//! The server as a process, for the tests that kill it: the real binary against a 5SIM
//! emulator running in the test, on a database the test reads back, and the invariants that
//! must hold whatever happened to the process.

use crate::helpers::{test_database_url, PASSWORD};
use namaskah::sandbox::five_sim::{serve, FiveSimEmulator, Kind, Status};
use namaskah::sandbox::sms_activate::SmsActivateEmulator;
use namaskah::server::clock::Clock;
use namaskah::server::config::Settings;
use namaskah::server::state::AppState;
use reqwest::{Client, Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const PROVIDER_KEY: &str = "crash-test-key";
pub const FUNDS: &str = "100";

/// One crash scenario's world: the database, the emulator, and the customer.
pub struct World {
    pub database_url: String,
    pub _dir: Option<tempfile::TempDir>,
    pub upstream: FiveSimEmulator,
    pub upstream_clock: Clock,
    pub base_url: String,
    /// The app's state over the same database, for setup and for reading it back.
    pub state: AppState,
    pub user_id: i64,
    pub api_key: String,
    pub http: Client,
    /// Settings naming more providers than 5SIM (`with_sms_activate`).
    pub providers_env: Vec<(String, String)>,
}

/// A customer with `funds` in their wallet and an API key.
pub struct Customer {
    pub user_id: i64,
    pub api_key: String,
}

pub async fn add_customer(state: &AppState, funds: &str) -> Customer {
    let email = format!("crash-{}@example.com", uuid::Uuid::new_v4().simple());
    let user = namaskah::server::services::accounts::create_user(
        state,
        &namaskah::server::services::audit::Actor::CLI,
        &email,
        PASSWORD,
        namaskah::domain::Role::User,
    )
    .await
    .expect("user");
    namaskah::server::services::billing::credit(
        state,
        &namaskah::server::services::audit::Actor::CLI,
        &email,
        funds,
        "test credit",
    )
    .await
    .expect("credit");
    let key = namaskah::server::services::api_keys::create(
        state,
        &namaskah::server::services::audit::Actor::CLI,
        user.id,
        "crash test",
    )
    .await
    .expect("api key");
    Customer {
        user_id: user.id,
        api_key: key.key,
    }
}

/// What is amiss; all zero when the money and the orders are sound.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Audit {
    /// Units by which balances differ from the sums of their ledgers.
    pub ledger_drift: i64,
    /// Units by which what customers paid differs from what they hold, less refunds.
    pub paid_drift: i64,
    pub negative_balances: i64,
    pub open_purchases: i64,
    /// Ledger references used more than once (a refund made twice).
    pub references_reused: i64,
    /// Orders live upstream that no live record here holds.
    pub live_orders_unheld: i64,
}

/// A running server process.
pub struct Server {
    pub child: Child,
    pub address: String,
    /// Lines the server writes to stderr.
    pub lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn settings(
    database_url: &str,
    base_url: &str,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut env = vec![
        ("DATABASE_URL", database_url),
        ("FIVESIM_API_KEY", PROVIDER_KEY),
        ("FIVESIM_BASE_URL", base_url),
        ("SANDBOX_AUTO_SMS", "0"),
        ("RUST_LOG", "warn"),
    ];
    env.extend_from_slice(extra);
    env.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl World {
    pub async fn new() -> World {
        let (database_url, dir) = test_database_url();
        let upstream_clock = Clock::default();
        let upstream = FiveSimEmulator::new(PROVIDER_KEY, upstream_clock.clone(), false);
        let base_url = serve(upstream.clone(), ([127, 0, 0, 1], 0).into())
            .await
            .expect("the emulator listens");
        let env = settings(&database_url, &base_url, &[]);
        let settings = Settings::from_lookup(|k| {
            env.iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
        })
        .expect("settings");
        let state = namaskah::server::startup::offline_state(settings)
            .await
            .expect("the database opens");
        let customer = add_customer(&state, FUNDS).await;
        World {
            database_url,
            _dir: dir,
            upstream,
            upstream_clock,
            base_url,
            state,
            user_id: customer.user_id,
            api_key: customer.api_key,
            http: Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            providers_env: Vec::new(),
        }
    }

    /// The world with an SMS-Activate emulator beside 5SIM's, named `sa` in the server's
    /// settings (it alone rents numbers for 4 hours, and extends them natively).
    pub async fn with_sms_activate(mut self) -> (World, SmsActivateEmulator) {
        let emulator = SmsActivateEmulator::new(PROVIDER_KEY, self.upstream_clock.clone(), false);
        let url =
            namaskah::sandbox::sms_activate::serve(emulator.clone(), ([127, 0, 0, 1], 0).into())
                .await
                .expect("the emulator listens");
        self.providers_env = vec![
            ("SMSACTIVATE_PROVIDERS".into(), format!("sa={url}")),
            ("SMSACTIVATE_SA_API_KEY".into(), PROVIDER_KEY.into()),
        ];
        (self, emulator)
    }

    /// Starts the server binary, with `failpoint` armed if given; returns once it answers.
    pub async fn start(&self, failpoint: Option<&str>) -> Server {
        // The server's own reconciliation would race the test's: keep it for later.
        self.start_with(failpoint, &[("RECONCILE_INTERVAL_SECS", "3600")])
            .await
    }

    /// [`start`](Self::start) with more settings.
    pub async fn start_with(&self, failpoint: Option<&str>, extra: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_namaskah"));
        cmd.arg("serve")
            .envs(settings(
                &self.database_url,
                &self.base_url,
                &[&[("LEPTOS_SITE_ADDR", addr.as_str())], extra].concat(),
            ))
            .envs(self.providers_env.iter().cloned())
            .env_remove("FAILPOINTS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(name) = failpoint {
            cmd.env("FAILPOINTS", format!("{name}=return"));
        }
        let mut child = cmd.spawn().expect("the server starts");
        let lines = stderr_lines(&mut child);
        let server = Server {
            child,
            address: format!("http://{addr}"),
            lines,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // Any answer will do: it is listening.
            let up = self.http.get(&server.address).send().await;
            if up.is_ok() {
                return server;
            }
            if Instant::now() > deadline {
                let said: Vec<String> = server.lines.try_iter().collect();
                panic!("the server did not come up; it said:\n{}", said.join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs a command of the binary (`namaskah credit …`) on the world's database, with
    /// `failpoint` armed; its stderr is read as a server's is.
    pub fn command(&self, args: &[&str], failpoint: Option<&str>) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_namaskah"));
        cmd.args(args)
            .envs(settings(&self.database_url, &self.base_url, &[]))
            .envs(self.providers_env.iter().cloned())
            .env_remove("FAILPOINTS")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(name) = failpoint {
            cmd.env("FAILPOINTS", format!("{name}=return"));
        }
        let mut child = cmd.spawn().expect("the command starts");
        let lines = stderr_lines(&mut child);
        Server {
            child,
            address: String::new(),
            lines,
        }
    }

    pub fn request(&self, server: &Server, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", server.address))
            .bearer_auth(&self.api_key)
    }

    pub async fn call(
        &self,
        server: &Server,
        path: &str,
        body: Value,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self.request(server, Method::POST, path).json(&body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        let r = req.send().await.expect("an answer");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Sends a request that is expected to stop at `failpoint`, waits until it does, and kills
    /// the server there with SIGKILL.
    pub async fn crash_during(
        &self,
        mut server: Server,
        failpoint: &str,
        path: &str,
        body: Value,
        key: &str,
    ) {
        let req = self
            .request(&server, Method::POST, path)
            .json(&body)
            .header("Idempotency-Key", key);
        // It never gets an answer: the process dies first.
        let pending = tokio::spawn(req.send());
        self.kill_at(&mut server, failpoint).await;
        let outcome = pending.await.unwrap();
        assert!(outcome.is_err(), "the request got an answer: {outcome:?}");
    }

    /// Waits until the server reports `failpoint` reached, then kills it with SIGKILL.
    pub async fn kill_at(&self, server: &mut Server, failpoint: &str) {
        let wanted = format!("failpoint reached: {failpoint}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match server.lines.try_recv() {
                Ok(line) if line.contains(&wanted) => break,
                Ok(_) => {}
                Err(mpsc::TryRecvError::Empty) => {
                    assert!(
                        Instant::now() < deadline,
                        "failpoint {failpoint} was never reached"
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    panic!("the server exited before failpoint {failpoint}")
                }
            }
        }
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
    }

    /// One reconciliation pass from the command line, settling everything left open.
    pub async fn reconcile(&self) -> Value {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_namaskah"));
        cmd.arg("reconcile")
            .envs(settings(
                &self.database_url,
                &self.base_url,
                &[("RECONCILE_AFTER_SECS", "0")],
            ))
            .envs(self.providers_env.iter().cloned())
            .env_remove("FAILPOINTS");
        // Waited for off the test's runtime thread: the emulator it talks to runs there.
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .expect("reconcile runs");
        assert!(
            out.status.success(),
            "reconcile failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("reconcile prints JSON")
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .bind(self.user_id)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
    }

    /// The customer's balance, as stored.
    pub async fn balance(&self) -> Decimal {
        Decimal::new(
            self.scalar("select balance_units from app_user where user_id = $1")
                .await,
            4,
        )
    }

    /// The invariants every crash must leave true once reconciled.
    pub async fn assert_invariants(&self) {
        let audit = self.audit().await;
        assert_eq!(
            audit,
            Audit::default(),
            "after reconciliation, nothing is amiss"
        );
    }

    /// What is amiss in the money and the orders, over every customer (all zero when sound).
    pub async fn audit(&self) -> Audit {
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&self.state.db.pool)
                .await
                .unwrap()
        };
        // Each user's balance against the sum of their ledger.
        let ledger_drift = count(
            "select cast(coalesce(sum(abs(u.balance_units - coalesce((select sum(l.amount_units) \
             from ledger_entry l where l.user_id = u.user_id), 0))), 0) as bigint) from app_user u",
        )
        .await;
        // What each customer paid (everything but credits) against what their rentals and
        // verifications cost, less refunds.
        let paid_drift = count(
            "select cast(coalesce(sum(abs(p.paid - p.owed)), 0) as bigint) from (select \
             (select coalesce(-sum(l.amount_units), 0) from ledger_entry l \
               where l.user_id = u.user_id and l.kind <> 'credit') as paid, \
             (select coalesce(sum(r.cost), 0) from rentals r where r.user_id = u.user_id) \
             + (select coalesce(sum(v.cost), 0) from verification v where v.user_id = u.user_id) \
             - (select coalesce(sum(l.amount_units), 0) from ledger_entry l \
               where l.user_id = u.user_id and l.kind = 'refund') as owed \
             from app_user u) p",
        )
        .await;
        let negative_balances =
            count("select count(*) from app_user where balance_units < 0").await;
        let open_purchases =
            count("select count(*) from purchase where state in ('held', 'bought')").await;
        let references_reused = count(
            "select count(*) from (select reference from ledger_entry where reference is not null \
             group by reference having count(*) > 1) t",
        )
        .await;
        // Upstream, every live order belongs to a live record here.
        let live: Vec<(i64, bool)> = {
            let s = self.upstream.lock();
            s.orders
                .values()
                .filter(|o| o.status == Status::Received)
                .filter(|o| o.expires_ms > self.upstream_clock.now_ms())
                .map(|o| (o.id, o.kind == Kind::Hosting))
                .collect()
        };
        let mut live_orders_unheld = 0;
        for (id, hosting) in live {
            let sql = if hosting {
                "select count(*) from rentals where provider_order_id = $1 and status = 'active'"
            } else {
                "select count(*) from verification where provider_order_id = $1 \
                 and status in ('waiting', 'received')"
            };
            let held: i64 = sqlx::query_scalar(sql)
                .bind(id.to_string())
                .fetch_one(&self.state.db.pool)
                .await
                .unwrap();
            if held != 1 {
                live_orders_unheld += 1;
            }
        }
        Audit {
            ledger_drift,
            paid_drift,
            negative_balances,
            open_purchases,
            references_reused,
            live_orders_unheld,
        }
    }

    pub fn upstream_orders(&self) -> usize {
        self.upstream.lock().orders.len()
    }
}

/// The child's stderr, line by line, read on a thread of its own.
fn stderr_lines(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}
