//! The performance suite (issue 7): starts the release server on loopback with a fresh SQLite
//! database in sandbox mode, seeds the data each scenario needs, drives the load, samples the
//! server's memory, and prints one table of figures against their targets.
//!
//! Run through `scripts/bench [scenario…]`, which builds the release server and site first.
//! Scenarios: `api` (wrk against the two hottest reads), `create` (rentals bought per second),
//! `page` (the rentals page's transfer size and time to interactive), `stream` (10,000 live
//! streams, SMS delivered at 100/s), `poll` (1,000 open orders: how fast a new SMS is found,
//! and what it costs upstream).

use namaskah::server::services::secrets;
use reqwest::Client;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One line of the table.
struct Figure {
    what: String,
    value: String,
    target: String,
    pass: bool,
}

fn figure(what: &str, value: String, target: &str, pass: bool) -> Figure {
    Figure {
        what: what.to_owned(),
        value,
        target: target.to_owned(),
        pass,
    }
}

/// The server under test: a child process and its database.
struct Server {
    child: Child,
    base: String,
    db_url: String,
    bin: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(bin: &Path, site_root: &Path, env: &[(&str, &str)]) -> Res<Server> {
        let dir = tempfile::tempdir()?;
        let db_url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let port = free_port()?;
        let child = Command::new(bin)
            .env("DATABASE_URL", &db_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("LEPTOS_ENV", "PROD")
            .env("RUST_LOG", "error")
            .env_remove("FIVESIM_API_KEY")
            // The scenarios drive the 5SIM emulator's control API: it alone sells.
            .env("SANDBOX_PROVIDERS", "5sim")
            // The load comes from one address and a few accounts, far beyond any customer's.
            .env("RATE_LIMIT_PER_IP", "0")
            .env("RATE_LIMIT_PER_ACCOUNT", "0")
            .env("RATE_LIMIT_PER_API_KEY", "0")
            .env("RATE_LIMIT_SIGN_IN", "0")
            .env("RATE_LIMIT_PAID", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            db_url,
            bin: bin.to_owned(),
            _dir: dir,
        };
        let client = Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{}/login", server.base)).send().await {
                if r.status().is_success() {
                    return Ok(server);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("the server did not start".into())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs the operator CLI against the server's database.
    fn cli(&self, args: &[&str]) -> Res<()> {
        let status = Command::new(&self.bin)
            .args(args)
            .env("DATABASE_URL", &self.db_url)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("namaskah {args:?} failed").into())
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The resident memory of `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Samples a process's RSS every 50 ms until dropped; keeps the peak.
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        RssSampler { peak, stop }
    }

    fn peak_mib(&self) -> f64 {
        self.peak.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A customer with money, a session cookie and an API key.
struct Customer {
    cookie: String,
    key: String,
}

async fn customer(server: &Server, client: &Client, credit: &str) -> Res<Customer> {
    let email = format!("bench-{}@example.com", secrets::random_token("", 6));
    let password = "correct horse battery";
    let r = client
        .post(server.url("/api/auth/register"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("register: {}", r.status()).into());
    }
    let r = client
        .post(server.url("/api/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("namaskah_session="))
        .and_then(|v| v.split(';').next())
        .ok_or("no session cookie")?
        .to_owned();
    server.cli(&[
        "credit", "--email", &email, "--amount", credit, "--note", "bench",
    ])?;
    let key: Value = client
        .post(server.url("/api/keys"))
        .header("Cookie", &cookie)
        .header("Origin", &server.base)
        .json(&json!({"name": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    let key = key["key"].as_str().ok_or("no key")?.to_owned();
    Ok(Customer { cookie, key })
}

/// Lets the emulator sell without limit (5SIM's rating caps open orders at 96).
async fn unlimited_upstream(server: &Server, client: &Client) -> Res<()> {
    client
        .post(server.url("/sandbox/5sim/control/balance"))
        .json(&json!({"balance": "100000000", "rating": "1000000"}))
        .send()
        .await?
        .error_for_status()?;
    for product in ["telegram", "3hours", "1day"] {
        client
            .post(server.url("/sandbox/5sim/control/stock"))
            .json(&json!({"country": "england", "product": product, "qty": 1_000_000_000u64}))
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}

async fn rent(server: &Server, client: &Client, c: &Customer) -> Res<Value> {
    let r = client
        .post(server.url("/api/rentals/create"))
        .bearer_auth(&c.key)
        .json(&json!({"service": "telegram", "country": "GB", "duration_hours": 24}))
        .send()
        .await?;
    if r.status() != 201 {
        return Err(format!("rent: {} {}", r.status(), r.text().await?).into());
    }
    Ok(r.json().await?)
}

async fn deliver(server: &Server, client: &Client, phone: &str, text: &str) -> Res<()> {
    client
        .post(server.url("/sandbox/5sim/control/sms"))
        .json(&json!({"phone": phone, "sender": "Bench", "text": text}))
        .send()
        .await?
        .error_for_status()?;
    Ok(())
}

/// What wrk measured.
struct WrkRun {
    rps: f64,
    p99_ms: f64,
    errors: u64,
}

fn wrk(url: &str, key: &str, seconds: u32, script: Option<&Path>) -> Res<WrkRun> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"])
        .args(["-H", &format!("Authorization: Bearer {key}")]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("wrk printed no rate:\n{text}"))?;
    let p99_ms = text
        .lines()
        .find(|l| l.trim_start().starts_with("99%"))
        .and_then(|l| l.split_whitespace().nth(1))
        .map(parse_wrk_duration)
        .ok_or_else(|| format!("wrk printed no p99:\n{text}"))?;
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses:"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(WrkRun {
        rps,
        p99_ms,
        errors,
    })
}

/// `1.23ms`, `456.00us`, `1.02s` → milliseconds.
fn parse_wrk_duration(v: &str) -> f64 {
    let (number, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len()));
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => n,
    }
}

const LOAD_SECONDS: u32 = 10;

/// `GET /api/rentals/active` and `GET /api/rentals/{id}/messages` under 64 connections, for a
/// user with 20 active rentals of 5 messages each (the reference's workload).
async fn scenario_api(server: &Server, client: &Client) -> Res<Vec<Figure>> {
    unlimited_upstream(server, client).await?;
    let c = customer(server, client, "1000").await?;
    let mut rentals = Vec::new();
    for _ in 0..20 {
        rentals.push(rent(server, client, &c).await?);
    }
    for r in &rentals {
        for i in 0..5 {
            deliver(
                server,
                client,
                r["phone_number"].as_str().unwrap_or(""),
                &format!("Your code is {}", 10000 + i),
            )
            .await?;
        }
    }
    // Wait for the poller to store all 100 messages.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let active: Value = client
            .get(server.url("/api/rentals/active"))
            .bearer_auth(&c.key)
            .send()
            .await?
            .json()
            .await?;
        let stored: u64 = active["rentals"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["message_count"].as_u64()).sum())
            .unwrap_or(0);
        if stored == 100 {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("only {stored} of 100 messages stored").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut figures = Vec::new();
    let sampler = RssSampler::start(server.pid());
    let id = rentals[0]["id"].as_i64().unwrap_or(0);
    for (name, path) in [
        ("GET /api/rentals/active", "/api/rentals/active".to_owned()),
        (
            "GET /api/rentals/{id}/messages",
            format!("/api/rentals/{id}/messages"),
        ),
    ] {
        let run = wrk(&server.url(&path), &c.key, LOAD_SECONDS, None)?;
        figures.push(figure(
            &format!("{name}: throughput"),
            format!("{:.0} req/s", run.rps),
            "≥ 17,400 req/s",
            run.rps >= 17_400.0 && run.errors == 0,
        ));
        figures.push(figure(
            &format!("{name}: p99 latency"),
            format!("{:.2} ms", run.p99_ms),
            "< 20 ms",
            run.p99_ms < 20.0,
        ));
        if run.errors > 0 {
            figures.push(figure(
                &format!("{name}: non-2xx"),
                run.errors.to_string(),
                "0",
                false,
            ));
        }
    }
    let peak = sampler.peak_mib();
    figures.push(figure(
        "server RSS during that load (peak)",
        format!("{peak:.1} MiB"),
        "< 64 MiB",
        peak < 64.0,
    ));
    Ok(figures)
}

/// 500 sign-ins with unknown emails and 64 sign-ups at once (argon2, 19 MiB each), while a
/// customer reads their balance every 20 ms: the server's memory stays bounded and comes back,
/// and the reads stay fast.
async fn scenario_signin(server: &Server, client: &Client) -> Res<Vec<Figure>> {
    let c = customer(server, client, "1").await?;
    let sampler = RssSampler::start(server.pid());
    let flood_client = Client::new();
    let logins = (0..500).map(|i| {
        flood_client
            .post(server.url("/api/auth/login"))
            .json(
                &json!({"email": format!("nobody-{i}@example.com"), "password": "whatever it is"}),
            )
            .send()
    });
    let signups = (0..64).map(|i| {
        flood_client
            .post(server.url("/api/auth/register"))
            .json(&json!({"email": format!("flood-{i}-{}@example.com", secrets::random_token("", 4)), "password": "correct horse battery"}))
            .send()
    });
    let flood = async {
        let (logins, signups) = tokio::join!(
            futures_util::future::join_all(logins),
            futures_util::future::join_all(signups)
        );
        logins
            .into_iter()
            .chain(signups)
            .filter(|r| r.is_err())
            .count()
    };
    let reads = async {
        let mut times = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            let r = client
                .get(server.url("/api/billing/balance"))
                .bearer_auth(&c.key)
                .send()
                .await;
            if r.map(|r| r.status().is_success()).unwrap_or(false) {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        times
    };
    let (failed, mut times) = tokio::join!(flood, reads);
    let peak = sampler.peak_mib();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = rss_kib(server.pid()) as f64 / 1024.0;
    times.sort_by(f64::total_cmp);
    let worst = times.last().copied().unwrap_or(f64::INFINITY);
    let p99 = times
        .get(times.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or(f64::INFINITY);
    Ok(vec![
        figure(
            "sign-in flood (500 + 64 sign-ups): peak RSS",
            format!("{peak:.1} MiB"),
            "< 256 MiB",
            peak < 256.0,
        ),
        figure(
            "sign-in flood: RSS 5 s later",
            format!("{after:.1} MiB"),
            "< 256 MiB",
            after < 256.0,
        ),
        figure(
            "sign-in flood: balance reads meanwhile (p99 / worst)",
            format!("{p99:.1} / {worst:.1} ms ({} of 100 answered)", times.len()),
            "< 100 ms, all answered",
            worst < 100.0 && times.len() == 100,
        ),
        figure(
            "sign-in flood: requests left unanswered",
            failed.to_string(),
            "0",
            failed == 0,
        ),
    ])
}

/// `POST /api/rentals/create` with API keys against the emulator, then the ledger invariant.
async fn scenario_create(server: &Server, client: &Client) -> Res<Vec<Figure>> {
    unlimited_upstream(server, client).await?;
    let c = customer(server, client, "10000000").await?;
    let script = std::env::temp_dir().join(format!("namaskah-create-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        "wrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.body = '{\"service\":\"telegram\",\"country\":\"GB\",\"duration_hours\":3}'\n",
    )?;
    let run = wrk(
        &server.url("/api/rentals/create"),
        &c.key,
        LOAD_SECONDS,
        Some(&script),
    );
    let _ = std::fs::remove_file(&script);
    let run = run?;
    // The ledger invariant, straight from the database.
    let db = namaskah::server::storage::Db::connect(&server.db_url).await?;
    let broken: i64 = sqlx::query_scalar(
        "select count(*) from app_user u where u.balance_units <> \
         (select coalesce(sum(amount_units), 0) from ledger_entry l where l.user_id = u.user_id) \
         or u.balance_units < 0",
    )
    .fetch_one(&db.pool)
    .await?;
    let rentals: i64 = sqlx::query_scalar("select count(*) from rentals")
        .fetch_one(&db.pool)
        .await?;
    Ok(vec![
        figure(
            "POST /api/rentals/create: sustained",
            format!(
                "{:.0} rentals/s ({rentals} in {LOAD_SECONDS} s, {} refused)",
                run.rps, run.errors
            ),
            "≥ 1,000 rentals/s",
            run.rps >= 1_000.0 && run.errors == 0,
        ),
        figure(
            "ledger invariant after the load",
            if broken == 0 {
                "intact".to_owned()
            } else {
                format!("{broken} accounts off")
            },
            "intact",
            broken == 0,
        ),
    ])
}

/// The rentals page, first load: every byte it transfers (gzip, as a browser asks), and the
/// time until it is interactive (hydrated) in Chromium; then the live client on it.
async fn scenario_page(server: &Server, client: &Client) -> Res<Vec<Figure>> {
    unlimited_upstream(server, client).await?;
    let c = customer(server, client, "1000").await?;
    for _ in 0..5 {
        rent(server, client, &c).await?;
    }
    let get = |path: String, encoding: &'static str| {
        client
            .get(server.url(&path))
            .header("Cookie", &c.cookie)
            .header("Accept-Encoding", encoding)
            .send()
    };
    let html = get("/rentals".to_owned(), "gzip").await?;
    let html_gzip = html.headers().get("content-encoding").is_some();
    let html_bytes = html.bytes().await?;
    let mut sizes: Vec<(String, usize)> = vec![("HTML".to_owned(), html_bytes.len())];
    // What Chromium is sent (it asks for brotli too), beside the target's gzip figure.
    let mut as_chromium_gets_it = 0;
    // The client's own files, by the names the page gives them (named after their content).
    let page = get("/rentals".to_owned(), "identity").await?.text().await?;
    let mut assets: Vec<String> = Vec::new();
    for ext in ["css", "js", "wasm"] {
        let asset = page
            .split('"')
            .find(|a| a.starts_with("/pkg/namaskah.") && a.ends_with(&format!(".{ext}")))
            .ok_or_else(|| format!("the page names no client .{ext}"))?;
        assets.push(asset.to_owned());
    }
    for asset in &assets {
        let asset = asset.as_str();
        let r = get(asset.to_owned(), "gzip").await?;
        let encoded = r.headers().get("content-encoding").is_some();
        let bytes = r.bytes().await?;
        let size = if encoded {
            bytes.len()
        } else {
            gzip_len(&bytes)?
        };
        sizes.push((
            asset.rsplit('.').next().unwrap_or(asset).to_uppercase(),
            size,
        ));
        as_chromium_gets_it += get(asset.to_owned(), "gzip, deflate, br, zstd")
            .await?
            .bytes()
            .await?
            .len();
    }
    if !html_gzip {
        sizes[0].1 = gzip_len(&html_bytes)?;
    }
    as_chromium_gets_it += sizes[0].1;
    // The time to interactive, and the client code the page fetched besides the above (lazy
    // chunks of the islands it shows at once), which its first load carries too.
    let cookie_value = c.cookie.split_once('=').map(|(_, v)| v).unwrap_or("");
    let out = Command::new("node")
        .arg("end2end/bench/interactive.mjs")
        .arg(server.url("/rentals"))
        .arg(cookie_value)
        .output()?;
    let loaded: Option<Value> = serde_json::from_slice(&out.stdout).ok();
    let chunks: Vec<String> = loaded
        .as_ref()
        .and_then(|l| l["chunks"].as_array())
        .map(|c| {
            c.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut chunk_bytes = 0;
    for chunk in &chunks {
        let r = get(chunk.clone(), "gzip").await?;
        let encoded = r.headers().get("content-encoding").is_some();
        let bytes = r.bytes().await?;
        chunk_bytes += if encoded {
            bytes.len()
        } else {
            gzip_len(&bytes)?
        };
        as_chromium_gets_it += get(chunk.clone(), "gzip, deflate, br, zstd")
            .await?
            .bytes()
            .await?
            .len();
    }
    sizes.push((format!("{} lazy chunks", chunks.len()), chunk_bytes));
    let total: usize = sizes.iter().map(|(_, s)| s).sum();
    let parts = sizes
        .iter()
        .map(|(n, s)| format!("{n} {:.1}", *s as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ");
    let mut figures = vec![figure(
        "rentals page: total transfer (gzip)",
        format!(
            "{:.1} KB ({parts}); as Chromium gets it (brotli): {:.1} KB",
            total as f64 / 1024.0,
            as_chromium_gets_it as f64 / 1024.0
        ),
        "≤ 190 KB",
        total as f64 / 1024.0 <= 190.0,
    )];
    match loaded.as_ref().and_then(|l| l["ms"].as_f64()) {
        Some(ms) => figures.push(figure(
            "rentals page: time to interactive (median of 5)",
            format!("{ms:.0} ms"),
            "< 300 ms",
            ms < 300.0,
        )),
        None => {
            eprintln!("interactive.mjs: {}", String::from_utf8_lossy(&out.stderr));
            figures.push(figure(
                "rentals page: time to interactive",
                format!(
                    "not measured: {}",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                ),
                "< 300 ms",
                false,
            ))
        }
    }
    figures.extend(live_client(server, client, &c, cookie_value).await?);
    Ok(figures)
}

/// The live client with 20 active rentals on the page (`end2end/bench/live.mjs`): the bytes of
/// a page change, and 100 SMS from stored (the `event` row's `created_at`) to shown in their
/// card, with every request the page made meanwhile.
async fn live_client(
    server: &Server,
    client: &Client,
    c: &Customer,
    cookie_value: &str,
) -> Res<Vec<Figure>> {
    const RENTALS: usize = 20;
    const SMS: usize = 100;
    for _ in 5..RENTALS {
        rent(server, client, c).await?;
    }
    let out = Command::new("node")
        .arg("end2end/bench/live.mjs")
        .arg(server.url(""))
        .arg(cookie_value)
        .arg(SMS.to_string())
        .output()?;
    let report: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "live.mjs: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )
    })?;
    let changes = report["changes"].as_array().cloned().unwrap_or_default();
    let most_bytes = changes
        .iter()
        .filter_map(|c| c["bytes"].as_u64())
        .max()
        .unwrap_or(u64::MAX);
    let shown: HashMap<String, i64> = report["shown"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(code, at)| Some((code.clone(), at.as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    let db = namaskah::server::storage::Db::connect(&server.db_url).await?;
    let stored: Vec<(String, i64)> =
        sqlx::query_as("select data, created_at from event where kind = 'sms.received'")
            .fetch_all(&db.pool)
            .await?;
    let mut latencies: Vec<i64> = stored
        .iter()
        .filter_map(|(data, at)| {
            let data: Value = serde_json::from_str(data).ok()?;
            Some(shown.get(data["message"]["code"].as_str()?)? - at)
        })
        .collect();
    let p99 = p99(&mut latencies);
    let requests = report["requests"].as_array().map_or(0, Vec::len);
    let rentals = report["rentals"].as_u64().unwrap_or(0);
    let ahead = &report["ahead"];
    Ok(vec![
        figure(
            "the other pages' client code, fetched ahead at idle after the first load",
            format!(
                "{:.1} KB ({} request(s))",
                ahead["bytes"].as_f64().unwrap_or(0.0) / 1024.0,
                ahead["requests"]
            ),
            "(reported)",
            true,
        ),
        figure(
            "a page change (rentals, verifications, a rental): bytes transferred",
            format!(
                "{:.1} KB at most ({})",
                most_bytes as f64 / 1024.0,
                changes
                    .iter()
                    .map(|c| format!(
                        "to {}: {} request(s), {:.1} KB",
                        c["to"].as_str().unwrap_or("?"),
                        c["requests"],
                        c["bytes"].as_f64().unwrap_or(0.0) / 1024.0
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            "≤ 25 KB",
            most_bytes <= 25 * 1024,
        ),
        figure(
            "SMS stored → shown in its card: p99",
            format!(
                "{p99} ms ({} of {SMS} shown; {rentals} rentals on the page)",
                latencies.len()
            ),
            "< 100 ms",
            p99 < 100 && latencies.len() == SMS && rentals == RENTALS as u64,
        ),
        figure(
            "requests the browser made per received SMS",
            format!("{requests} in all for {SMS} SMS"),
            "0",
            requests == 0,
        ),
    ])
}

/// The 99th percentile of `latencies` (sorted in place); `i64::MAX` for none.
fn p99(latencies: &mut [i64]) -> i64 {
    latencies.sort_unstable();
    latencies
        .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
        .copied()
        .unwrap_or(i64::MAX)
}

fn gzip_len(bytes: &[u8]) -> Res<usize> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or("no stdin")?.write_all(bytes)?;
    Ok(child.wait_with_output()?.stdout.len())
}

fn print_table(figures: &[Figure]) {
    let w = figures
        .iter()
        .map(|f| f.what.chars().count())
        .max()
        .unwrap_or(10);
    let v = figures
        .iter()
        .map(|f| f.value.chars().count())
        .max()
        .unwrap_or(10);
    let t = figures
        .iter()
        .map(|f| f.target.chars().count())
        .max()
        .unwrap_or(10);
    println!();
    println!(
        "{:<w$}  {:<v$}  {:<t$}  result",
        "figure", "measured", "target"
    );
    println!("{}", "-".repeat(w + v + t + 12));
    for f in figures {
        println!(
            "{:<w$}  {:<v$}  {:<t$}  {}",
            f.what,
            f.value,
            f.target,
            if f.pass { "pass" } else { "FAIL" }
        );
    }
}

#[tokio::main]
async fn main() -> Res<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = ["api", "create", "page", "stream", "poll", "signin"];
    let chosen: Vec<&str> = if args.is_empty() {
        all.to_vec()
    } else {
        all.iter()
            .copied()
            .filter(|s| args.iter().any(|a| a == s))
            .collect()
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root)?;
    let bin = std::env::var("BENCH_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/release/namaskah"));
    let site = root.join("target/site");
    let client = Client::builder().pool_max_idle_per_host(64).build()?;
    let mut figures = Vec::new();
    for scenario in chosen {
        eprintln!("== {scenario}");
        // Each scenario gets its own server and database, so none disturbs another.
        // Every scenario but `poll` lifts the client's 5SIM request limit: the emulator has
        // none, and 5SIM's own would measure 5SIM rather than this server. `poll` measures
        // exactly that cost, so it keeps the production default (50/s).
        let env: &[(&str, &str)] = match scenario {
            "poll" => &[],
            _ => &[("FIVESIM_RATE_LIMIT", "1000000")],
        };
        let server = Server::start(&bin, &site, env).await?;
        let result = match scenario {
            "api" => scenario_api(&server, &client).await,
            "create" => scenario_create(&server, &client).await,
            "page" => scenario_page(&server, &client).await,
            "stream" => stream::run(&server, &client).await,
            "poll" => poll::run(&server, &client).await,
            "signin" => scenario_signin(&server, &client).await,
            _ => unreachable!(),
        };
        match result {
            Ok(f) => figures.extend(f),
            Err(e) => {
                figures.push(figure(
                    &format!("{scenario}: could not run"),
                    e.to_string(),
                    "-",
                    false,
                ));
            }
        }
    }
    print_table(&figures);
    Ok(())
}

mod stream {
    //! 10,000 live streams (one per customer, each with its own API key), 100 of whom rent a
    //! number; SMS are delivered to those at 100/s through the emulator. Latency runs from
    //! the server storing the event (its `event` row) to the client reading it.

    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::sync::Mutex;

    const STREAMS: usize = 10_000;
    const RENTERS: usize = 100;
    const SMS_PER_SECOND: u64 = 100;
    const SECONDS: u64 = 10;

    fn now_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    /// Customers and API keys written straight into the database (registering 10,000 people
    /// through argon2 would take minutes and measure nothing of interest).
    async fn seed_keys(server: &Server, n: usize) -> Res<Vec<String>> {
        let db = namaskah::server::storage::Db::connect(&server.db_url).await?;
        let now = now_ms();
        let mut keys = Vec::with_capacity(n);
        let mut tx = db.pool.begin().await?;
        for i in 0..n {
            let user = namaskah::server::storage::users::insert(
                &mut *tx,
                &format!("stream-{i}-{}@example.com", secrets::random_token("", 4)),
                "!unusable",
                "customer",
                now,
            )
            .await?;
            let key = secrets::random_token("nmk_", 24);
            namaskah::server::storage::api_keys::insert(
                &mut *tx,
                user,
                "bench",
                &key[..12],
                &secrets::digest(&key),
                now,
            )
            .await?;
            keys.push(key);
        }
        tx.commit().await?;
        Ok(keys)
    }

    /// Opens one stream and records `(event id, when read)` for every event on it.
    async fn listen(
        addr: String,
        key: String,
        seen: Arc<Mutex<Vec<(i64, i64)>>>,
        open: Arc<AtomicU64>,
    ) -> Res<()> {
        let stream = tokio::net::TcpStream::connect(&addr).await?;
        let (read, mut write) = stream.into_split();
        write
            .write_all(
                format!(
                    "GET /api/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
                     Accept: text/event-stream\r\n\r\n"
                )
                .as_bytes(),
            )
            .await?;
        let mut lines = BufReader::new(read).lines();
        let mut counted = false;
        while let Some(line) = lines.next_line().await? {
            if !counted && line.starts_with("HTTP/1.1 200") {
                open.fetch_add(1, Ordering::Relaxed);
                counted = true;
            }
            if let Some(id) = line
                .strip_prefix("id: ")
                .or_else(|| line.strip_prefix("id:"))
            {
                if let Ok(id) = id.trim().parse::<i64>() {
                    seen.lock().await.push((id, now_ms()));
                }
            }
        }
        Ok(())
    }

    pub async fn run(server: &Server, client: &Client) -> Res<Vec<Figure>> {
        unlimited_upstream(server, client).await?;
        let keys = seed_keys(server, STREAMS).await?;
        // The renters: funded through the CLI-free path (a credit row through the service).
        let mut phones = Vec::new();
        {
            let settings = namaskah::server::config::Settings::from_lookup(|k| match k {
                "DATABASE_URL" => Some(server.db_url.clone()),
                _ => None,
            })?;
            let state = namaskah::server::startup::offline_state(settings).await?;
            let emails: Vec<String> =
                sqlx::query_scalar("select email from app_user order by user_id limit $1")
                    .bind(RENTERS as i64)
                    .fetch_all(&state.db.pool)
                    .await?;
            for email in &emails {
                namaskah::server::services::billing::credit(
                    &state,
                    &namaskah::server::services::audit::Actor::CLI,
                    email,
                    "100",
                    "bench",
                )
                .await?;
            }
        }
        for key in keys.iter().take(RENTERS) {
            let c = Customer {
                cookie: String::new(),
                key: key.clone(),
            };
            let r = rent(server, client, &c).await?;
            phones.push(r["phone_number"].as_str().unwrap_or("").to_owned());
        }
        let addr = server.base.trim_start_matches("http://").to_owned();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let open = Arc::new(AtomicU64::new(0));
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = rss_kib(server.pid());
        let mut tasks = Vec::with_capacity(STREAMS);
        for key in keys {
            tasks.push(tokio::spawn(listen(
                addr.clone(),
                key,
                seen.clone(),
                open.clone(),
            )));
            if tasks.len() % 500 == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while (open.load(Ordering::Relaxed) as usize) < STREAMS && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let opened = open.load(Ordering::Relaxed) as usize;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = rss_kib(server.pid());
        let sampler = RssSampler::start(server.pid());
        let started_ms = now_ms();
        // 100 SMS a second, spread over the renters' numbers.
        let mut tick = tokio::time::interval(Duration::from_millis(1000 / SMS_PER_SECOND));
        let accepted = Arc::new(AtomicU64::new(0));
        for n in 0..SMS_PER_SECOND * SECONDS {
            tick.tick().await;
            let phone = &phones[n as usize % phones.len()];
            let (server_url, client, phone, accepted) = (
                server.url("/sandbox/5sim/control/sms"),
                client.clone(),
                phone.clone(),
                accepted.clone(),
            );
            tokio::spawn(async move {
                let sent = client
                    .post(server_url)
                    .json(&json!({"phone": phone, "sender": "Bench", "text": format!("Your code is {}", 100_000 + n)}))
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Let the poller and the streams catch up.
        tokio::time::sleep(Duration::from_secs(8)).await;
        drop(sampler);
        for t in &tasks {
            t.abort();
        }
        let db = namaskah::server::storage::Db::connect(&server.db_url).await?;
        let stored: Vec<(i64, i64)> = sqlx::query_as(
            "select event_id, created_at from event where kind = 'sms.received' and created_at >= $1",
        )
        .bind(started_ms)
        .fetch_all(&db.pool)
        .await?;
        let stored: HashMap<i64, i64> = stored.into_iter().collect();
        let mut latencies: Vec<i64> = seen
            .lock()
            .await
            .iter()
            .filter_map(|(id, at)| stored.get(id).map(|s| at - s))
            .collect();
        let p99 = p99(&mut latencies);
        let per_stream_kib = after.saturating_sub(before) as f64 / opened.max(1) as f64;
        Ok(vec![
            figure(
                "live streams open at once",
                format!("{opened}"),
                "10,000",
                opened == STREAMS,
            ),
            figure(
                "SMS stored → client reads it: p99",
                format!(
                    "{p99} ms ({} of {} SMS events seen; {} of {} SMS sent)",
                    latencies.len(),
                    stored.len(),
                    accepted.load(Ordering::Relaxed),
                    SMS_PER_SECOND * SECONDS
                ),
                "< 100 ms",
                p99 < 100 && !latencies.is_empty(),
            ),
            figure(
                "server memory per open stream",
                format!("{per_stream_kib:.1} KB"),
                "< 16 KB",
                per_stream_kib < 16.0,
            ),
        ])
    }
}

mod poll {
    //! 1,000 open 5SIM orders (rentals) while fresh activations keep arriving: how soon a new
    //! SMS on a fresh activation is found, and how many calls the poller makes upstream.

    use super::*;

    const OPEN_ORDERS: usize = 1_000;
    const PROBES: usize = 20;
    const RATE_WINDOW: Duration = Duration::from_secs(10);

    pub async fn run(server: &Server, client: &Client) -> Res<Vec<Figure>> {
        unlimited_upstream(server, client).await?;
        let c = customer(server, client, "100000").await?;
        for _ in 0..OPEN_ORDERS {
            rent(server, client, &c).await?;
        }
        let requests = |c: Client, url: String| async move {
            let log: Value = c.get(url).send().await?.json().await?;
            Ok::<usize, Box<dyn std::error::Error + Send + Sync>>(
                log["requests"].as_array().map_or(0, |a| a.len()),
            )
        };
        let log_url = server.url("/sandbox/5sim/control/requests");
        // Clear the log's window: count from here.
        client.delete(&log_url).send().await.ok();
        let start = Instant::now();
        let before = requests(client.clone(), log_url.clone()).await.unwrap_or(0);
        let mut found = Vec::new();
        for i in 0..PROBES {
            let v: Value = client
                .post(server.url("/api/verifications"))
                .bearer_auth(&c.key)
                .json(&json!({"service": "telegram", "country": "GB"}))
                .send()
                .await?
                .json()
                .await?;
            let id = v["id"]
                .as_i64()
                .ok_or_else(|| format!("no verification: {v}"))?;
            deliver(
                server,
                client,
                v["phone_number"].as_str().unwrap_or(""),
                &format!("Code {}", 40_000 + i),
            )
            .await?;
            let sent = Instant::now();
            loop {
                let d: Value = client
                    .get(server.url(&format!("/api/verifications/{id}")))
                    .bearer_auth(&c.key)
                    .send()
                    .await?
                    .json()
                    .await?;
                if d["code"].is_string() {
                    found.push(sent.elapsed().as_millis() as u64);
                    break;
                }
                if sent.elapsed() > Duration::from_secs(30) {
                    found.push(30_000);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        // Count over at least RATE_WINDOW: the client's token bucket may start a window with
        // its burst allowance, which a window of a few seconds would read as a higher rate.
        tokio::time::sleep(RATE_WINDOW.saturating_sub(start.elapsed())).await;
        let elapsed = start.elapsed().as_secs_f64();
        let calls = requests(client.clone(), log_url)
            .await
            .unwrap_or(0)
            .saturating_sub(before);
        found.sort_unstable();
        let p95 = found[(found.len() * 95 / 100).min(found.len() - 1)];
        let rate = calls as f64 / elapsed;
        Ok(vec![
            figure(
                "new SMS on a fresh activation found (p95, 1,000 open orders)",
                format!("{:.2} s", p95 as f64 / 1000.0),
                "≤ 2 s",
                p95 <= 2_000,
            ),
            figure(
                "upstream calls while polling",
                format!("{rate:.1}/s ({calls} calls in {elapsed:.1} s)"),
                "≤ 50/s",
                rate <= 50.0,
            ),
        ])
    }
}
