//! The chaos soak: for `SOAK_SECS` (60 in the test suite; `scripts/soak 10m` for the long
//! run), customers rent, extend, release, buy and cancel through the HTTP API at random, SMS
//! arrive, the emulator injects faults (errors, timeouts, 429, no numbers, latency, garbage),
//! and the server is killed with SIGKILL and started again at random. At the end, after one
//! reconciliation pass, the audit must find nothing amiss: no money drift, no refund twice,
//! no purchase open, no order live upstream that nothing here holds. A report is printed.

use crate::process::{add_customer, Customer, Server, World};
use rand::seq::SliceRandom;
use rand::Rng;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

const CUSTOMERS: usize = 6;
/// Numbers of each kind a customer keeps open at most (6 × 2 × 6 stays under the emulated
/// account's 96 open orders).
const MOST_OPEN: usize = 6;
const FUNDS: &str = "100000";

/// Settings that keep a soak moving: provider calls give up after 2 s, and reconciliation
/// runs every 3 s on what is 15 s old (far longer than any request here takes).
const SERVER: &[(&str, &str)] = &[
    ("FIVESIM_TIMEOUT_SECS", "2"),
    ("RECONCILE_AFTER_SECS", "15"),
    ("RECONCILE_INTERVAL_SECS", "3"),
    (
        "RUST_LOG",
        "error,namaskah::server::services::reconciliation=info",
    ),
];

#[derive(Default)]
struct Tally {
    /// Outcomes by operation and result.
    outcomes: Mutex<BTreeMap<(&'static str, String), u64>>,
    faults: AtomicU64,
    kills: AtomicU64,
    /// Reconciliation actions the servers logged, by what they did.
    repairs: Mutex<BTreeMap<&'static str, u64>>,
}

impl Tally {
    fn count(&self, op: &'static str, result: impl Into<String>) {
        *self
            .outcomes
            .lock()
            .unwrap()
            .entry((op, result.into()))
            .or_default() += 1;
    }

    /// Counts the reconciliation actions in a server's log lines.
    fn read_log(&self, server: &Server) {
        const ACTIONS: [(&str, &str); 5] = [
            ("recorded an interrupted purchase", "adopted"),
            ("reversed an interrupted purchase", "reversed"),
            (
                "closed an upstream order no local record knows",
                "orphans_closed",
            ),
            (
                "released the upstream order of an ended rental",
                "upstream_closed",
            ),
            (
                "closed the upstream order of an ended verification",
                "upstream_closed",
            ),
        ];
        let mut repairs = self.repairs.lock().unwrap();
        while let Ok(line) = server.lines.try_recv() {
            for (text, action) in ACTIONS {
                if line.contains(text) {
                    *repairs.entry(action).or_default() += 1;
                }
            }
        }
    }
}

/// The server now running, replaced at every restart.
struct Live {
    address: RwLock<String>,
    world: World,
    tally: Tally,
    stop: AtomicBool,
}

impl Live {
    fn address(&self) -> String {
        self.address.read().unwrap().clone()
    }

    /// A POST as `who`, retried with the same Idempotency-Key while the server is down
    /// (a kill between the request and its answer is exactly what the key is for).
    async fn post(
        &self,
        who: &Customer,
        path: &str,
        body: &Value,
    ) -> Result<(StatusCode, Value), ()> {
        let key = uuid::Uuid::new_v4().to_string();
        for _ in 0..40 {
            let sent = self
                .world
                .http
                .request(Method::POST, format!("{}{path}", self.address()))
                .bearer_auth(&who.api_key)
                .header("Idempotency-Key", &key)
                .json(body)
                .send()
                .await;
            match sent {
                Ok(r) if r.status() == StatusCode::CONFLICT => {
                    let status = r.status();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    // The first try is still held by a purchase a kill left open: wait for the
                    // reconciliation to settle it.
                    if body["error"]["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("Idempotency-Key"))
                    {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                    return Ok((status, body));
                }
                Ok(r) => {
                    let status = r.status();
                    return Ok((status, r.json().await.unwrap_or(Value::Null)));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
        Err(())
    }
}

fn result_of(outcome: &Result<(StatusCode, Value), ()>) -> String {
    match outcome {
        Ok((s, _)) if s.is_success() => "ok".into(),
        Ok((s, body)) => format!(
            "{} {}",
            s.as_u16(),
            body["error"]["code"].as_str().unwrap_or("?")
        ),
        Err(()) => "gave up (server down)".into(),
    }
}

/// One customer's random walk until the soak stops.
async fn customer_walk(live: Arc<Live>, who: Customer) {
    let mut rentals: Vec<(i64, String)> = Vec::new();
    let mut verifications: Vec<(i64, String)> = Vec::new();
    while !live.stop.load(Ordering::Relaxed) {
        let mut roll = rand::thread_rng().gen_range(0..100);
        // Each customer keeps a handful of numbers open, as the provider's rating allows
        // (5SIM limits the orders open at once): past that, they give some back.
        if rentals.len() >= MOST_OPEN && roll < 25 {
            roll = 45;
        }
        if verifications.len() >= MOST_OPEN && (50..75).contains(&roll) {
            roll = 80;
        }
        match roll {
            0..=24 => {
                let body = json!({"service": "telegram", "country": "GB", "duration_hours": 2});
                let out = live.post(&who, "/api/rentals/create", &body).await;
                live.tally.count("rent", result_of(&out));
                if let Ok((s, v)) = &out {
                    if s.is_success() {
                        rentals.push((v["id"].as_i64().unwrap(), phone(v)));
                    }
                }
            }
            25..=39 if !rentals.is_empty() => {
                let (id, _) = rentals.choose(&mut rand::thread_rng()).unwrap().clone();
                let out = live
                    .post(
                        &who,
                        &format!("/api/rentals/{id}/extend"),
                        &json!({"hours": 1}),
                    )
                    .await;
                live.tally.count("extend", result_of(&out));
            }
            40..=49 if !rentals.is_empty() => {
                let i = rand::thread_rng().gen_range(0..rentals.len());
                let (id, _) = rentals.swap_remove(i);
                let out = live
                    .post(&who, &format!("/api/rentals/{id}/release"), &json!({}))
                    .await;
                live.tally.count("release", result_of(&out));
            }
            50..=74 => {
                let body = json!({"service": "telegram", "country": "GB"});
                let out = live.post(&who, "/api/verifications", &body).await;
                live.tally.count("buy verification", result_of(&out));
                if let Ok((s, v)) = &out {
                    if s.is_success() {
                        verifications.push((v["id"].as_i64().unwrap(), phone(v)));
                    }
                }
            }
            75..=89 if !verifications.is_empty() => {
                let i = rand::thread_rng().gen_range(0..verifications.len());
                let (id, _) = verifications.swap_remove(i);
                let out = live
                    .post(&who, &format!("/api/verifications/{id}/cancel"), &json!({}))
                    .await;
                live.tally.count("cancel verification", result_of(&out));
                // Refused once its code has come: then it is done with, as a customer would.
                if matches!(&out, Ok((StatusCode::CONFLICT, _))) {
                    let out = live
                        .post(&who, &format!("/api/verifications/{id}/finish"), &json!({}))
                        .await;
                    live.tally.count("finish verification", result_of(&out));
                }
            }
            _ => {
                // An SMS reaches one of the customer's numbers upstream.
                let numbers: Vec<&String> = rentals
                    .iter()
                    .chain(verifications.iter())
                    .map(|(_, p)| p)
                    .collect();
                if let Some(number) = numbers.choose(&mut rand::thread_rng()) {
                    let now = live.world.upstream.now_ms();
                    let sent = live.world.upstream.lock().deliver(
                        now,
                        None,
                        Some(number),
                        "Telegram",
                        "Telegram code: 48213",
                    );
                    live.tally.count(
                        "sms",
                        if sent.is_some() {
                            "ok"
                        } else {
                            "no live order"
                        },
                    );
                }
            }
        }
    }
}

fn phone(v: &Value) -> String {
    v["phone_number"].as_str().unwrap_or_default().to_owned()
}

/// Injects a random fault upstream every few hundred milliseconds.
async fn inject_faults(live: Arc<Live>) {
    let kinds = [
        json!({"kind": "status", "status": 500}),
        json!({"kind": "status", "status": 503}),
        json!({"kind": "timeout"}),
        json!({"kind": "rate_limit"}),
        json!({"kind": "no_free_phones"}),
        json!({"kind": "latency", "latency_ms": 800}),
        json!({"kind": "garbage"}),
    ];
    let paths = [
        None,
        Some("/user/buy"),
        Some("/user/check"),
        Some("/user/cancel"),
        Some("/user/finish"),
        Some("/user/orders"),
    ];
    while !live.stop.load(Ordering::Relaxed) {
        let fault = {
            let mut rng = rand::thread_rng();
            let mut f = kinds.choose(&mut rng).unwrap().clone();
            f["count"] = json!(rng.gen_range(1..=3));
            if let Some(p) = paths.choose(&mut rng).unwrap() {
                f["path_prefix"] = json!(p);
            }
            f
        };
        live.world
            .upstream
            .traffic
            .add_fault(serde_json::from_value(fault).unwrap());
        {
            let mut upstream = live.world.upstream.lock();
            // Every cancel costs the emulated account rating (open orders allowed), as at
            // 5SIM; the operators of a real account keep it up, so does the soak.
            upstream.rating = rust_decimal::Decimal::from(96);
        }
        live.tally.faults.fetch_add(1, Ordering::Relaxed);
        let pause = rand::thread_rng().gen_range(300..1500);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_soak_loses_and_mints_no_money() {
    let seconds: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let world = World::new().await;
    // The provider account can pay for every number the soak buys.
    world.upstream.lock().balance = rust_decimal::Decimal::from(10_000_000);
    let mut customers = Vec::new();
    for _ in 0..CUSTOMERS {
        customers.push(add_customer(&world.state, FUNDS).await);
    }
    let mut server = world.start_with(None, SERVER).await;
    let live = Arc::new(Live {
        address: RwLock::new(server.address.clone()),
        world,
        tally: Tally::default(),
        stop: AtomicBool::new(false),
    });
    let started = Instant::now();
    let mut tasks = Vec::new();
    for who in customers {
        tasks.push(tokio::spawn(customer_walk(live.clone(), who)));
    }
    tasks.push(tokio::spawn(inject_faults(live.clone())));

    // The killer: SIGKILL at a random moment, start again on the same database.
    let deadline = started + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        let wait = rand::thread_rng().gen_range(2_000..8_000);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        if Instant::now() >= deadline {
            break;
        }
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        live.tally.read_log(&server);
        live.tally.kills.fetch_add(1, Ordering::Relaxed);
        server = live.world.start_with(None, SERVER).await;
        *live.address.write().unwrap() = server.address.clone();
    }
    live.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    // Last: one more kill, the faults cleared, and a reconciliation of everything left.
    server.child.kill().expect("SIGKILL");
    server.child.wait().expect("reaped");
    live.tally.read_log(&server);
    live.world.upstream.traffic.clear_faults();
    let last = live.world.reconcile().await;
    let audit = live.world.audit().await;

    let tally = &live.tally;
    let outcomes = tally.outcomes.lock().unwrap();
    let operations: u64 = outcomes.values().sum();
    println!("\nchaos soak: {seconds} s, {CUSTOMERS} customers");
    println!("operations: {operations}");
    for ((op, result), n) in outcomes.iter() {
        println!("  {op:<20} {result:<32} {n}");
    }
    println!("faults injected: {}", tally.faults.load(Ordering::Relaxed));
    println!(
        "kills (SIGKILL): {}",
        tally.kills.load(Ordering::Relaxed) + 1
    );
    println!(
        "repairs by the servers' reconciliation: {:?}",
        tally.repairs.lock().unwrap()
    );
    println!("final reconciliation pass: {last}");
    println!("audit: {}", serde_json::to_string(&audit).unwrap());
    println!(
        "money drift: {} units",
        audit.ledger_drift + audit.paid_drift
    );
    assert_eq!(audit, crate::process::Audit::default(), "nothing is amiss");
    assert!(operations > 0);
}
