use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;
use std::process::Command;

fn namaskah(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_namaskah"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("FIVESIM_API_KEY")
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn operators_create_users_and_credit_them_from_the_command_line() {
    let app = spawn_app().await;
    let out = namaskah(
        &app.database_url,
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            PASSWORD,
            "--admin",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = namaskah(
        &app.database_url,
        &[
            "credit",
            "--email",
            "ops@example.com",
            "--amount",
            "25.5",
            "--note",
            "welcome",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("25.50 USD"));

    let r = app.login("ops@example.com", PASSWORD).await;
    let s = Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: 0,
    };
    let me: Value = app
        .as_browser(Method::GET, "/api/auth/me", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["balance"], "25.5000");
    let tx: Value = app
        .as_browser(Method::GET, "/api/billing/transactions", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tx["transactions"][0]["note"], "welcome");
}

#[tokio::test]
async fn command_line_mistakes_are_explained_and_change_nothing() {
    let app = spawn_app().await;
    let out = namaskah(
        &app.database_url,
        &[
            "credit",
            "--email",
            "ghost@example.com",
            "--amount",
            "5",
            "--note",
            "x",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("account not found"));
    let out = namaskah(
        &app.database_url,
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "short",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    assert_eq!(app.user_count().await, 0);
    let out = namaskah(
        &app.database_url,
        &[
            "user",
            "create",
            "--email",
            "y@example.com",
            "--password",
            PASSWORD,
        ],
    );
    assert!(out.status.success());
    let out = namaskah(
        &app.database_url,
        &[
            "credit",
            "--email",
            "y@example.com",
            "--amount",
            "1.00001",
            "--note",
            "x",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("amount"));
}

#[test]
fn migrate_applies_and_bad_settings_name_the_variable() {
    let (url, _dir) = test_database_url();
    let out = namaskah(&url, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = namaskah(&url, &["migrate"]);
    assert!(again.status.success(), "migrate is idempotent");

    let out = Command::new(env!("CARGO_BIN_EXE_namaskah"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env("SESSION_TTL_HOURS", "a while")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SESSION_TTL_HOURS"));
}

#[tokio::test]
async fn the_emulator_runs_alone() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_namaskah"))
        .args(["sandbox", "--port", &port.to_string(), "--key", "k1"])
        .env("SANDBOX_AUTO_SMS", "0")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/sandbox/5sim/v1/user/profile");
    let mut answer = None;
    for _ in 0..100 {
        if let Ok(r) = http.get(&url).bearer_auth("k1").send().await {
            answer = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let r = answer.expect("the emulator answers");
    assert_eq!(r.status(), 200);
    let profile: Value = r.json().await.unwrap();
    assert_eq!(profile["rating"], 96);
}

/// Runs `namaskah` with exactly these settings (nothing from this process's environment that
/// the app reads).
fn namaskah_with(env: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_namaskah"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("FIVESIM_")
            || k.starts_with("TEXTVERIFIED_")
            || k.starts_with("SMSACTIVATE_")
        {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the binary runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A child process, killed when dropped (a failed assertion included).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A 5SIM emulator on its own (`namaskah sandbox`), and its API's address.
fn five_sim_alone(key: &str) -> (Killed, String) {
    use std::io::{BufRead, BufReader};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_namaskah"))
        .args([
            "sandbox",
            "--provider",
            "5sim",
            "--port",
            &port.to_string(),
            "--key",
            key,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the emulator starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines
        .next()
        .expect("the emulator says where it is")
        .unwrap();
    // Keep reading what it prints, so its later lines do not meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    // "5sim emulator: http://127.0.0.1:P/… (key: K)"
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    (Killed(child), url)
}

#[tokio::test]
async fn doctor_says_what_is_wrong_and_passes_when_nothing_is() {
    let app = spawn_app().await;
    let (_emulator, url) = five_sim_alone("doctor-key");
    let live = |key: &'static str| {
        vec![
            ("DATABASE_URL", app.database_url.clone()),
            ("FIVESIM_API_KEY", key.to_owned()),
            ("FIVESIM_BASE_URL", url.clone()),
            ("PROVIDER_BALANCE_ALERT", "1".to_owned()),
        ]
    };
    let run = |env: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        namaskah_with(&pairs, &["doctor"])
    };

    let (ok, out) = run(live("doctor-key"));
    assert!(ok, "{out}");
    assert!(out.contains("ok   provider 5sim"), "{out}");
    assert!(out.contains("credentials accepted"), "{out}");
    assert!(out.contains("ok   migrations"), "{out}");

    let (ok, out) = run(live("not-the-key"));
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL provider 5sim"), "{out}");

    // A database nobody migrated.
    let dir = tempfile::tempdir().unwrap();
    let fresh = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let mut env = live("doctor-key");
    env[0].1 = fresh;
    let (ok, out) = run(env);
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL migrations") && out.contains("namaskah migrate"),
        "{out}"
    );

    // A bad setting is named.
    let mut env = live("doctor-key");
    env.push(("INSTANCES", "0".to_owned()));
    let (ok, out) = run(env);
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL configuration") && out.contains("INSTANCES"),
        "{out}"
    );
}
