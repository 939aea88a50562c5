//! `namaskah doctor`: checks what a deployment needs before it serves, and says what is wrong
//! in words: the configuration, the database (reachable, every migration applied), and each
//! provider (its credentials accepted, its balance, and whether that is below the alert).

use super::config::Settings;
use super::startup::configured_providers;
use super::storage::{Backend, Db};
use std::fmt;
use std::time::{Duration, Instant};

/// How long one check may wait (a database or a provider that does not answer).
const WAIT: Duration = Duration::from_secs(10);

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub check: String,
    pub ok: bool,
    pub detail: String,
}

impl Finding {
    fn new(check: impl Into<String>, ok: bool, detail: impl Into<String>) -> Finding {
        Finding {
            check: check.into(),
            ok,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "{mark} {:<24} {}", self.check, self.detail)
    }
}

/// Every check, in order; the later ones are skipped when what they need failed.
pub async fn examine(settings: &Settings) -> Vec<Finding> {
    let mut found = vec![configuration(settings)];
    let started = Instant::now();
    let db = match tokio::time::timeout(WAIT, Db::connect(&settings.database_url)).await {
        Ok(Ok(db)) => {
            let kind = match db.backend {
                Backend::Sqlite => "SQLite",
                Backend::Postgres => "PostgreSQL",
            };
            found.push(Finding::new(
                "database",
                true,
                format!("{kind}, answered in {} ms", started.elapsed().as_millis()),
            ));
            Some(db)
        }
        Ok(Err(e)) => {
            found.push(Finding::new(
                "database",
                false,
                format!("cannot connect: {e:#} (check DATABASE_URL)"),
            ));
            None
        }
        Err(_) => {
            found.push(Finding::new(
                "database",
                false,
                format!("no answer within {} s (check DATABASE_URL)", WAIT.as_secs()),
            ));
            None
        }
    };
    if let Some(db) = db {
        found.push(match db.pending_migrations().await {
            Ok(pending) if pending.is_empty() => Finding::new("migrations", true, "all applied"),
            Ok(pending) => Finding::new(
                "migrations",
                false,
                format!(
                    "{} not applied ({}): run `namaskah migrate`",
                    pending.len(),
                    pending
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Err(e) => Finding::new("migrations", false, format!("cannot read them: {e}")),
        });
    }
    found.extend(providers(settings).await);
    found
}

fn configuration(settings: &Settings) -> Finding {
    if settings.sandbox() {
        return Finding::new(
            "configuration",
            true,
            "sandbox mode (no FIVESIM_API_KEY): emulated providers, no real numbers or money",
        );
    }
    let mut detail = format!(
        "live; {} instance(s) share the providers' request limits",
        settings.instances
    );
    if !settings.cookie_secure {
        detail.push_str("; COOKIE_SECURE is off: only for plain-HTTP testing");
    }
    Finding::new("configuration", settings.cookie_secure, detail)
}

/// Each configured provider: its balance asked for, which proves the credentials.
async fn providers(settings: &Settings) -> Vec<Finding> {
    if settings.sandbox() {
        return Vec::new();
    }
    let providers = match configured_providers(settings) {
        Ok(p) => p,
        Err(e) => return vec![Finding::new("providers", false, format!("{e:#}"))],
    };
    if providers.is_empty() {
        return vec![Finding::new("providers", false, "none configured")];
    }
    let mut found = Vec::new();
    for p in providers {
        let check = format!("provider {}", p.name());
        found.push(match tokio::time::timeout(WAIT, p.balance()).await {
            Ok(Ok(b)) if b.balance < settings.provider_balance_alert => Finding::new(
                check,
                false,
                format!(
                    "balance {} {} is below PROVIDER_BALANCE_ALERT ({}): top it up",
                    b.balance.normalize(),
                    b.currency,
                    settings.provider_balance_alert.normalize()
                ),
            ),
            Ok(Ok(b)) => Finding::new(
                check,
                true,
                format!(
                    "credentials accepted; balance {} {}",
                    b.balance.normalize(),
                    b.currency
                ),
            ),
            Ok(Err(e)) => Finding::new(check, false, format!("{e} ({})", e.kind())),
            Err(_) => Finding::new(
                check,
                false,
                format!("no answer within {} s", WAIT.as_secs()),
            ),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_reads_as_one_line() {
        let f = Finding::new("migrations", false, "2 not applied");
        assert_eq!(f.to_string(), "FAIL migrations               2 not applied");
    }
}
