//! The analytics benchmark: a made-up history of 1,000,000 rentals, 5,000,000 messages and
//! 500,000 verifications (`namaskah seed-demo`) in a SQLite file and in a PostgreSQL
//! database, then every analytics report timed through the release server, over the ranges
//! an operator asks for. Target: each answers in under 500 ms.
//!
//! `scripts/bench analytics [--rentals N --messages N --verifications N --customers N]`.
//! The seeded databases are kept (`target/bench/`, and PostgreSQL's
//! `namaskah_bench_analytics_<rentals>`) and reused by later runs; delete them to seed again.

use reqwest::Client;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const TARGET_MS: f64 = 500.0;
const RUNS: usize = 5;
const ADMIN: &str = "bench-admin@demo.namaskah.test";
const PASSWORD: &str = "correct horse battery";

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run(bin: &Path, db: &str, args: &[&str]) -> Res<String> {
    let out = Command::new(bin)
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "error")
        .env_remove("FIVESIM_API_KEY")
        .output()?;
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(said)
    } else {
        Err(said.into())
    }
}

/// Seeds `db` unless it holds the demo already; how long the seeding took (None: reused).
fn seed(bin: &Path, db: &str, plan: &[String]) -> Res<Option<f64>> {
    run(bin, db, &["migrate"])?;
    let mut args = vec!["seed-demo".to_owned()];
    args.extend(plan.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(bin, db, &args) {
        Ok(out) => {
            eprintln!("   seeded: {}", out.trim());
            let made: Value = serde_json::from_str(out.trim().lines().last().unwrap_or("{}"))?;
            let _ = run(
                bin,
                db,
                &[
                    "user",
                    "create",
                    "--email",
                    ADMIN,
                    "--password",
                    PASSWORD,
                    "--admin",
                ],
            );
            Ok(made["seconds"].as_f64())
        }
        Err(e) if e.to_string().contains("already has the demo") => Ok(None),
        Err(e) => Err(e),
    }
}

async fn start(bin: &Path, db: &str) -> Res<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .env("DATABASE_URL", db)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .env("SANDBOX_PROVIDERS", "5sim,sms-activate,textverified")
        .env("RATE_LIMIT_PER_IP", "0")
        .env("RATE_LIMIT_PER_ACCOUNT", "0")
        .env("RATE_LIMIT_SIGN_IN", "0")
        .env("REQUIRE_ADMIN_MFA", "false")
        .env_remove("FIVESIM_API_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = Client::new();
    for _ in 0..600 {
        if client
            .get(format!("{}/health", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the server did not start".into())
}

async fn sign_in(client: &Client, server: &Server) -> Res<String> {
    let r = client
        .post(format!("{}/api/auth/login", server.base))
        .json(&json!({"email": ADMIN, "password": PASSWORD}))
        .send()
        .await?;
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("namaskah_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("the admin cannot sign in: {}", r.status()).into())
}

/// What an operator asks for: (label, path and query).
fn asks() -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now();
    let ago = |days: i64| {
        (now - chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    let year = ago(364);
    let week = ago(6);
    let mut out = Vec::new();
    for report in ["usage", "money", "providers"] {
        out.push((report, format!("/api/admin/analytics/{report}")));
        out.push((
            report,
            format!("/api/admin/analytics/{report}?from={week}&granularity=hour"),
        ));
        out.push((
            report,
            format!("/api/admin/analytics/{report}?from={year}&granularity=week"),
        ));
        out.push((
            report,
            format!("/api/admin/analytics/{report}?from={year}&granularity=month"),
        ));
    }
    out.push((
        "usage",
        format!("/api/admin/analytics/usage?from={year}&granularity=month&service=telegram"),
    ));
    out.push((
        "money",
        format!("/api/admin/analytics/money?from={year}&granularity=day&country=US"),
    ));
    out.push(("customers", "/api/admin/analytics/customers".to_owned()));
    out.push((
        "customers",
        format!("/api/admin/analytics/customers?from={year}&granularity=month"),
    ));
    out.push((
        "customers",
        format!("/api/admin/analytics/customers?from={year}&granularity=week"),
    ));
    out.push(("forecasts", "/api/admin/analytics/forecasts".to_owned()));
    out.push(("savings", "/api/admin/analytics/savings".to_owned()));
    out.push((
        "savings",
        format!("/api/admin/analytics/savings?from={year}"),
    ));
    out.push((
        "csv",
        format!("/api/admin/analytics/money.csv?from={year}&granularity=day"),
    ));
    out
}

/// Times each ask `RUNS` times after one warm-up: (ask, median ms, slowest ms).
async fn measure(server: &Server) -> Res<Vec<(String, f64, f64)>> {
    let client = Client::new();
    let cookie = sign_in(&client, server).await?;
    let mut out = Vec::new();
    for (_, path) in asks() {
        let get = || {
            client
                .get(format!("{}{path}", server.base))
                .header("Cookie", &cookie)
                .send()
        };
        let r = get().await?;
        if !r.status().is_success() {
            return Err(format!("{path}: {} {}", r.status(), r.text().await?).into());
        }
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let r = get().await?;
            r.bytes().await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        out.push((path.clone(), times[RUNS / 2], times[RUNS - 1]));
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> Res<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = std::env::var("BENCH_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/release/namaskah"));
    let rentals = arg("--rentals", 1_000_000);
    let plan: Vec<String> = [
        ("--rentals", rentals),
        ("--messages", arg("--messages", 5_000_000)),
        ("--verifications", arg("--verifications", 500_000)),
        ("--customers", arg("--customers", 20_000)),
        ("--days", 365),
    ]
    .iter()
    .flat_map(|(k, v)| [(*k).to_owned(), v.to_string()])
    .collect();
    std::fs::create_dir_all(root.join("target/bench"))?;
    let postgres = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let databases = [
        (
            "SQLite",
            format!(
                "sqlite://{}",
                root.join(format!("target/bench/analytics-{rentals}.db"))
                    .display()
            ),
        ),
        (
            "PostgreSQL",
            format!("{postgres}/namaskah_bench_analytics_{rentals}"),
        ),
    ];
    let mut rows = Vec::new();
    for (name, db) in &databases {
        eprintln!("== {name}: seeding {db} (kept for later runs)");
        let seeded = seed(&bin, db, &plan)?;
        let server = start(&bin, db).await?;
        for (path, median, slowest) in measure(&server).await? {
            rows.push((name.to_string(), path, median, slowest));
        }
        if let Some(s) = seeded {
            rows.push((
                name.to_string(),
                "(seed-demo, once)".to_owned(),
                s * 1000.0,
                s * 1000.0,
            ));
        }
    }
    println!();
    println!(
        "{:<11} {:<95} {:>9} {:>9}  result",
        "database", "report", "median", "slowest"
    );
    for (db, path, median, slowest) in &rows {
        let seed = path.starts_with('(');
        let pass = seed || *slowest < TARGET_MS;
        println!(
            "{db:<11} {path:<95} {:>7.1}ms {:>7.1}ms  {}",
            median,
            slowest,
            if seed {
                "-"
            } else if pass {
                "pass"
            } else {
                "FAIL"
            }
        );
    }
    Ok(())
}
