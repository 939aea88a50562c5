//! Three instances of the server binary on one PostgreSQL, behind Debian's HAProxy, buying
//! from one 5SIM emulator (`namaskah sandbox`), all on loopback ports. What several instances
//! must keep as one: an SMS polled by any instance reaches the live streams connected to each
//! of them through the balancer within 200 ms; no order is polled by two instances at once;
//! a hundred concurrent releases spread over the instances refund once; an instance killed
//! with SIGKILL in the middle of its polls has them taken over when their leases end, and its
//! streams reconnect through the balancer and miss nothing; the ledger adds up throughout.
//!
//! Runs with `TEST_DATABASE=postgres` (SQLite serves one instance); needs `haproxy` on PATH
//! (`scripts/setup` installs it). Skipped otherwise, except under CI, where that fails.

use reqwest::{Client, Response};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const KEY: &str = "cluster-key";
const PASSWORD: &str = "a long enough password";
/// How a rental is polled at 5SIM.
const POLL: &str = "/user/sms/inbox/";
/// The pollers' lease (`jobs::rentals::LEASE_MS`).
const LEASE: Duration = Duration::from_secs(30);

/// A child process, killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn signal(p: &Proc, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &p.0.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig}");
}

struct Cluster {
    database_url: String,
    lb: String,
    control: String,
    emulator_api: String,
    instances: Vec<Option<Proc>>,
    ports: Vec<u16>,
    _emulator: Proc,
    _haproxy: Proc,
    _dir: tempfile::TempDir,
    client: Client,
    db: sqlx::PgPool,
}

impl Cluster {
    fn env(&self, cmd: &mut Command) {
        for (k, _) in std::env::vars() {
            if k.starts_with("FIVESIM_") || k.starts_with("SANDBOX_") || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("DATABASE_URL", &self.database_url)
            .env("FIVESIM_API_KEY", KEY)
            .env("FIVESIM_BASE_URL", &self.emulator_api)
            .env("PUBLIC_ORIGIN", &self.lb)
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env("INSTANCES", "3")
            .env("REQUIRE_ADMIN_MFA", "false")
            .env("RATE_LIMIT_PER_IP", "0")
            .env("RATE_LIMIT_PER_ACCOUNT", "0")
            .env("RATE_LIMIT_PAID", "0")
            .env("RATE_LIMIT_SIGN_IN", "0")
            .env(
                "RUST_LOG",
                std::env::var("CLUSTER_LOG").unwrap_or_else(|_| "error".into()),
            );
    }

    fn cli(&self, args: &[&str]) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_namaskah"));
        self.env(&mut cmd);
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "namaskah {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&mut self, i: usize) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_namaskah"));
        self.env(&mut cmd);
        cmd.arg("serve")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", self.ports[i]))
            .stdout(Stdio::null());
        self.instances[i] = Some(Proc(cmd.spawn().unwrap()));
    }

    async fn wait_healthy(&self, i: usize) {
        let url = format!("http://127.0.0.1:{}/health", self.ports[i]);
        for _ in 0..300 {
            if let Ok(r) = self.client.get(&url).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("instance {i} did not become healthy");
    }

    /// A request through the balancer, as a browser signed in with `cookie` sends it.
    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        cookie: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.lb))
            .header("origin", &self.lb)
            .header("cookie", format!("namaskah_session={cookie}"))
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .client
            .post(format!("{}{path}", self.control))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "control {path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }

    /// The rental polls in the emulator's request log: (path, when in ms, answered).
    async fn polls(&self) -> Vec<(String, i64, bool)> {
        let log: Value = self
            .client
            .get(format!("{}/requests", self.control))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["path"].as_str().unwrap().starts_with(POLL))
            .map(|r| {
                let at = chrono::DateTime::parse_from_rfc3339(r["at"].as_str().unwrap())
                    .unwrap()
                    .timestamp_millis();
                (
                    r["path"].as_str().unwrap().to_owned(),
                    at,
                    !r["status"].is_null(),
                )
            })
            .collect()
    }

    async fn assert_ledger_adds_up(&self) {
        let wrong: i64 = sqlx::query_scalar(
            "select count(*) from app_user u where u.balance_units < 0 or u.balance_units <> \
             (select coalesce(sum(amount_units), 0) from ledger_entry l where l.user_id = u.user_id)",
        )
        .fetch_one(&self.db)
        .await
        .unwrap();
        assert_eq!(
            wrong, 0,
            "every balance equals its ledger and is not negative"
        );
    }
}

/// A live event stream through the balancer; which instance serves it.
struct Stream {
    response: Response,
    buffer: String,
    server: String,
}

struct Event {
    id: Option<i64>,
    kind: String,
    data: Value,
}

impl Stream {
    async fn open(c: &Cluster, cookie: &str, last: Option<i64>) -> Stream {
        let mut req = c.request(reqwest::Method::GET, "/api/events", cookie);
        if let Some(id) = last {
            req = req.header("last-event-id", id.to_string());
        }
        let response = req.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let server = response.headers()["x-server"].to_str().unwrap().to_owned();
        let mut s = Stream {
            response,
            buffer: String::new(),
            server,
        };
        s.block(|b| b.contains(": connected")).await.unwrap();
        s
    }

    /// The next block `done` accepts; `None` when the stream ends.
    async fn block(&mut self, done: impl Fn(&str) -> bool) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if done(&block) {
                    return Some(block);
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(60), self.response.chunk())
                .await
                .expect("an event or the end within 60 s");
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    async fn next(&mut self) -> Option<Event> {
        let block = self
            .block(|b| b.lines().any(|l| l.starts_with("event:")))
            .await?;
        let field = |name: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_owned())
            })
        };
        Some(Event {
            id: field("id").and_then(|v| v.parse().ok()),
            kind: field("event").unwrap(),
            data: serde_json::from_str(&field("data").unwrap_or_default()).unwrap_or(Value::Null),
        })
    }

    /// The next event of `kind`, skipping others; `None` when the stream ends.
    async fn next_of(&mut self, kind: &str) -> Option<Event> {
        loop {
            let e = self.next().await?;
            if e.kind == kind {
                return Some(e);
            }
        }
    }
}

async fn start_cluster() -> Option<Cluster> {
    if std::env::var("TEST_DATABASE").as_deref() != Ok("postgres") {
        eprintln!("skipped: set TEST_DATABASE=postgres (SQLite serves one instance)");
        return None;
    }
    let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(haproxy) = haproxy else {
        assert!(
            std::env::var("CI").is_err(),
            "haproxy is not installed (scripts/setup)"
        );
        eprintln!("skipped: haproxy is not installed");
        return None;
    };
    let base = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("namaskah_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::PgPool::connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("create database {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let database_url = format!("{base}/{name}");

    // The emulator, on its own.
    let port = free_port();
    let mut emulator = Command::new(env!("CARGO_BIN_EXE_namaskah"))
        .args([
            "sandbox",
            "--provider",
            "5sim",
            "--port",
            &port.to_string(),
            "--key",
            KEY,
        ])
        .env_remove("FIVESIM_API_KEY")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(emulator.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    std::thread::spawn(move || lines.for_each(drop));
    let emulator_api = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();

    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let lb_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "    server app-{} 127.0.0.1:{p} check inter 200ms fall 1 rise 1\n",
                i + 1
            )
        })
        .collect();
    let config = format!(
        "global\n    maxconn 2000\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 90s\n    timeout server 90s\n    timeout http-request 10s\n\
         frontend www\n    bind 127.0.0.1:{lb_port}\n    option forwardfor\n    option http-no-delay\n    default_backend app\n\
         backend app\n    balance roundrobin\n    option httpchk GET /health\n    http-response set-header X-Server %[srv_name]\n{servers}"
    );
    let cfg = dir.path().join("haproxy.cfg");
    std::fs::write(&cfg, config).unwrap();
    let haproxy = Proc(
        Command::new(haproxy)
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let cluster = Cluster {
        db: sqlx::PgPool::connect(&database_url).await.unwrap(),
        database_url,
        lb: format!("http://127.0.0.1:{lb_port}"),
        control: format!("http://127.0.0.1:{port}/sandbox/5sim/control"),
        emulator_api,
        instances: vec![None, None, None],
        ports,
        _emulator: Proc(emulator),
        _haproxy: haproxy,
        _dir: dir,
        client: Client::builder()
            .timeout(Duration::from_secs(90))
            .build()
            .unwrap(),
    };
    cluster.cli(&["migrate"]);
    Some(cluster)
}

#[tokio::test]
async fn three_instances_behind_haproxy_keep_events_orders_and_money_as_one() {
    let Some(mut c) = start_cluster().await else {
        return;
    };
    for i in 0..3 {
        c.start(i);
    }
    for i in 0..3 {
        c.wait_healthy(i).await;
    }
    // Give HAProxy's checks a moment to see all three up.
    tokio::time::sleep(Duration::from_millis(600)).await;

    // A customer with money, and three rentals bought through the balancer.
    let email = format!("cluster-{}@example.com", uuid::Uuid::new_v4().simple());
    let r = c
        .client
        .post(format!("{}/api/auth/register", c.lb))
        .header("origin", &c.lb)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    c.cli(&[
        "credit", "--email", &email, "--amount", "500", "--note", "cluster",
    ]);
    let r = c
        .client
        .post(format!("{}/api/auth/login", c.lb))
        .header("origin", &c.lb)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("namaskah_session="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let mut rentals = Vec::new();
    for _ in 0..3 {
        let r = c
            .request(reqwest::Method::POST, "/api/rentals/create", &cookie)
            .json(&json!({"service": "telegram", "country": "GB", "duration_hours": 24}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        rentals.push(r.json::<Value>().await.unwrap());
    }

    // One stream on each instance, through the balancer.
    let mut streams: BTreeMap<String, Stream> = BTreeMap::new();
    for _ in 0..12 {
        if streams.len() == 3 {
            break;
        }
        let s = Stream::open(&c, &cookie, None).await;
        streams.entry(s.server.clone()).or_insert(s);
    }
    assert_eq!(streams.len(), 3, "a stream on each instance");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // An SMS, polled by whichever instance: every stream has it within 200 ms of its storing.
    c.control(
        "/sms",
        json!({"phone": rentals[0]["phone_number"], "text": "Your code is 424242"}),
    )
    .await;
    let arrivals =
        futures_util::future::join_all(streams.iter_mut().map(|(server, s)| async move {
            let e = s
                .next_of("sms.received")
                .await
                .expect("the stream stays open");
            (server.clone(), e, now_ms())
        }))
        .await;
    for (server, e, arrived) in arrivals {
        assert_eq!(e.data["message"]["code"], "424242");
        let stored: i64 = sqlx::query_scalar("select created_at from event where position = $1")
            .bind(e.id.unwrap())
            .fetch_one(&c.db)
            .await
            .unwrap();
        eprintln!(
            "{server}: the SMS reached its stream {} ms after it was stored",
            arrived - stored
        );
        assert!(
            arrived - stored <= 200,
            "{server}: the SMS took {} ms from storing to its stream",
            arrived - stored
        );
    }

    // A hundred concurrent releases of one rental, spread over the instances: one refund.
    let id = rentals[1]["id"].as_i64().unwrap();
    let releases = (0..100).map(|_| {
        let req = c.request(
            reqwest::Method::POST,
            &format!("/api/rentals/{id}/release"),
            &cookie,
        );
        async move {
            let r = req.send().await.unwrap();
            let server = r.headers()["x-server"].to_str().unwrap().to_owned();
            (r.status().as_u16(), server)
        }
    });
    let answers = futures_util::future::join_all(releases).await;
    let released = answers.iter().filter(|(s, _)| *s == 200).count();
    let servers: BTreeSet<&String> = answers.iter().map(|(_, s)| s).collect();
    assert_eq!(released, 1, "{answers:?}");
    assert!(
        answers.iter().all(|(s, _)| matches!(s, 200 | 409)),
        "{answers:?}"
    );
    assert_eq!(
        servers.len(),
        3,
        "the releases were spread over the instances"
    );
    let refunds: i64 = sqlx::query_scalar("select count(*) from ledger_entry where reference = $1")
        .bind(format!("refund:rental:{id}"))
        .fetch_one(&c.db)
        .await
        .unwrap();
    assert_eq!(refunds, 1);
    c.assert_ledger_adds_up().await;

    // No order is polled by two instances at once: each one's polls keep their interval.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut by_order: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (path, at, _) in c.polls().await {
        by_order.entry(path).or_default().push(at);
    }
    assert!(!by_order.is_empty());
    for (order, times) in &by_order {
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= 150,
                "{order} was polled twice within {} ms",
                pair[1] - pair[0]
            );
        }
    }
    drop(streams);

    // Kill an instance in the middle of its polls. The others are paused while it claims
    // every open order (its polls then hang at the provider), and its stream is the one
    // customer's stream.
    for i in [1, 2] {
        signal(c.instances[i].as_ref().unwrap(), "-STOP");
    }
    // Its next poll hangs at the provider, its lease held.
    c.control(
        "/faults",
        json!({"kind": "latency", "latency_ms": 20_000, "count": 1, "path_prefix": POLL}),
    )
    .await;
    let (claimed_at, hanging) = loop {
        let waiting = c
            .polls()
            .await
            .into_iter()
            .find(|(_, _, answered)| !answered);
        if let Some((path, _, _)) = waiting {
            break (now_ms(), path.trim_start_matches(POLL).to_owned());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (held, leased_until): (i64, Option<i64>) =
        sqlx::query_as("select id, lease_until from rentals where provider_order_id = $1")
            .bind(&hanging)
            .fetch_one(&c.db)
            .await
            .unwrap();
    assert!(
        leased_until.is_some_and(|l| l > now_ms()),
        "its lease is held"
    );
    let held = rentals
        .iter()
        .find(|r| r["id"].as_i64() == Some(held))
        .unwrap()
        .clone();
    tokio::time::sleep(Duration::from_millis(1_500)).await; // HAProxy sees 2 and 3 down
    let mut stream = Stream::open(&c, &cookie, None).await;
    assert_eq!(stream.server, "app-1");
    // Something for it to see before it dies.
    let r = c
        .request(
            reqwest::Method::PATCH,
            &format!("/api/rentals/{}", rentals[0]["id"]),
            &cookie,
        )
        .json(&json!({"auto_renew": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = stream.next_of("rental.updated").await.unwrap();
    for i in [1, 2] {
        signal(c.instances[i].as_ref().unwrap(), "-CONT");
    }
    let killed_at = now_ms();
    signal(c.instances[0].as_ref().unwrap(), "-KILL");
    c.instances[0] = None;
    assert!(
        stream.next().await.is_none(),
        "the killed instance's stream ends"
    );

    // While the customer is away: a change made through another instance.
    tokio::time::sleep(Duration::from_millis(1_000)).await; // HAProxy sees 1 down, 2 and 3 up
    let r = c
        .request(
            reqwest::Method::PATCH,
            &format!("/api/rentals/{}", rentals[2]["id"]),
            &cookie,
        )
        .json(&json!({"auto_renew": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The browser reconnects through the balancer, from the last event it had.
    let mut resumed = Stream::open(&c, &cookie, seen.id).await;
    assert_ne!(resumed.server, "app-1");
    let missed = resumed.next_of("rental.updated").await.unwrap();
    assert_eq!(missed.data["id"], rentals[2]["id"], "nothing missed");

    // The killed instance's orders are polled again by another once their leases end.
    c.control(
        "/sms",
        json!({"phone": held["phone_number"], "text": "Your code is 777777"}),
    )
    .await;
    let e = resumed.next_of("sms.received").await.unwrap();
    assert_eq!(e.data["message"]["code"], "777777");
    let taken_over = now_ms();
    eprintln!(
        "the killed instance's order was polled again {} ms after its claim, {} ms after the kill",
        taken_over - claimed_at,
        taken_over - killed_at
    );
    let lease = LEASE.as_millis() as i64;
    assert!(
        (lease - 1_000..=lease + 5_000).contains(&(taken_over - claimed_at)),
        "polled again {} ms after the claim: once its lease of {} s ended",
        taken_over - claimed_at,
        LEASE.as_secs()
    );
    let after_kill = c
        .polls()
        .await
        .into_iter()
        .filter(|(_, at, answered)| *at > killed_at && *answered)
        .count();
    assert!(after_kill > 0, "the surviving instances poll");
    c.assert_ledger_adds_up().await;
}
