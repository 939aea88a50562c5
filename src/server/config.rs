//! Settings, read once from the environment (and a `.env` file). A bad value stops start-up with
//! a message that names the variable.

use super::http::origin::{self, Origin};
use crate::domain::Money;
use rust_decimal::Decimal;
use std::fmt;
use std::net::SocketAddr;

const DEFAULT_FIVESIM_BASE_URL: &str = "https://5sim.net/v1";
use std::path::PathBuf;

/// A secret that never appears in logs or `Debug` output.
#[derive(Clone)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: String) -> Self {
        SecretString(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(**redacted**)")
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// `DATABASE_URL`: `sqlite://file.db` (default `sqlite://namaskah.db`) or `postgres://…`.
    pub database_url: String,
    /// `FIVESIM_API_KEY`: unset means sandbox mode.
    pub fivesim_api_key: Option<SecretString>,
    /// `FIVESIM_BASE_URL`: the 5SIM API (default `https://5sim.net/v1`; ignored in sandbox mode).
    pub fivesim_base_url: String,
    /// `FIVESIM_TIMEOUT_SECS`: the longest any 5SIM call may take (default 10).
    pub fivesim_timeout_secs: u32,
    /// `FIVESIM_RATE_LIMIT`: requests per second the client allows itself (default 50; 5SIM's
    /// limit is 100 per key).
    pub fivesim_rate_limit: u32,
    /// `INSTANCES`: how many instances share the providers' accounts (default 1). Each takes
    /// its share of every provider's request limit, so the deployment as a whole keeps it.
    pub instances: u32,
    /// `PRICE_MARKUP`: our price is the provider's price times this (default 1.5; at least 1).
    pub price_markup: Decimal,
    /// `RENTAL_DEFAULT_DURATION`: hours, when a rental request names none (default 24).
    pub rental_default_duration: u32,
    /// `RENTAL_EXTENSION_RATE`: an extra hour costs this fraction of the rental's hourly price
    /// (default 0.5).
    pub rental_extension_rate: Decimal,
    /// `RENTAL_RELEASE_REFUND_RATE`: an unused whole hour is refunded at this fraction of the
    /// hourly price on early release (default 0.5; 0 to 1).
    pub rental_release_refund_rate: Decimal,
    /// `TEXTVERIFIED_API_KEY` and `TEXTVERIFIED_API_USERNAME` (the account's email): set, the
    /// app buys from TextVerified too.
    pub textverified_api_key: Option<SecretString>,
    pub textverified_api_username: Option<String>,
    /// `TEXTVERIFIED_BASE_URL`: the TextVerified API (default `https://www.textverified.com`;
    /// paths start with `/api/pub/v2` under it).
    pub textverified_base_url: String,
    /// `TEXTVERIFIED_WEBHOOK_SECRET`: the secret (`whsec_…`) TextVerified signs its webhooks
    /// with; set, its pushes are accepted at `/api/webhooks/textverified`.
    pub textverified_webhook_secret: Option<SecretString>,
    /// `SMSACTIVATE_PROVIDERS`: providers that speak the SMS-Activate protocol, as
    /// `name=url,…` (each `url` the provider's `handler_api.php`), each with its key in
    /// `SMSACTIVATE_<NAME>_API_KEY` (the name upper-cased, `-` as `_`).
    pub sms_activate: Vec<SmsActivateProvider>,
    /// `SMSACTIVATE_RATE_LIMIT`: requests per second the client allows itself per SMS-Activate
    /// provider (default 20).
    pub sms_activate_rate_limit: u32,
    /// `TEXTVERIFIED_RATE_LIMIT`: requests per second the TextVerified client allows itself
    /// (default 10; TextVerified publishes no numbers and answers `429` beyond its own).
    pub textverified_rate_limit: u32,
    /// `PROVIDER_BREAKER_COOLDOWN_SECS`: how long a provider whose calls keep failing is not
    /// bought from before one purchase probes it again (default 30).
    pub provider_breaker_cooldown_secs: u64,
    /// `PROVIDER_BALANCE_ALERT`: operators are notified when a provider's account balance falls
    /// below this (default 10, in the account's currency; 0 turns the alert off).
    pub provider_balance_alert: Decimal,
    /// `PROVIDER_WEBHOOK_BASE_URL`: the address providers reach this app at
    /// (`https://sms.example.com`), for the pushes of providers that push their SMS; unset,
    /// their orders are polled like the others. In sandbox mode, the app's own address.
    pub provider_webhook_base_url: Option<String>,
    /// `PROVIDER_WEBHOOK_SECRET`: the secret the pushes' URLs are made with (required with
    /// `PROVIDER_WEBHOOK_BASE_URL`; in sandbox mode a random one).
    pub provider_webhook_secret: Option<SecretString>,
    /// `STRIPE_SECRET_KEY`: the Stripe account's secret key (`sk_live_…`, `sk_test_…`): set,
    /// customers top up by card through Stripe Checkout. Unset in sandbox mode, the embedded
    /// Stripe emulator at `/sandbox/stripe` stands in; unset otherwise, top-ups are off.
    pub stripe_secret_key: Option<SecretString>,
    /// `STRIPE_WEBHOOK_SECRET`: the signing secret (`whsec_…`) of the webhook endpoint set up
    /// in Stripe for `/api/billing/stripe/webhook` (required with `STRIPE_SECRET_KEY`).
    pub stripe_webhook_secret: Option<SecretString>,
    /// `STRIPE_BASE_URL`: Stripe's API (default `https://api.stripe.com`).
    pub stripe_base_url: String,
    /// `MIN_TOPUP` and `MAX_TOPUP`: the smallest and largest top-up a customer may ask for
    /// (defaults 5.00 and 1000.00; amounts to the cent).
    pub min_topup: Money,
    pub max_topup: Money,
    /// `TAX_RATE`: the tax top-ups include, as a fraction (0.2 for 20 %; default 0), shown on
    /// receipts and statements.
    pub tax_rate: Decimal,
    /// `BUSINESS_NAME`, `BUSINESS_ADDRESS` (lines separated by `;`) and `BUSINESS_TAX_ID`: who
    /// issues receipts and statements.
    pub business_name: String,
    pub business_address: String,
    pub business_tax_id: String,
    /// `SANDBOX_PROVIDERS`: the emulators sandbox mode starts and buys from, comma-separated
    /// (default `5sim,sms-activate,textverified`: all of them).
    pub sandbox_providers: Vec<SandboxProvider>,
    /// `SANDBOX_PORT`: the port of the embedded 5SIM emulator in sandbox mode (default 0: any
    /// free one; the other emulators take any free port).
    pub sandbox_port: u16,
    /// `SANDBOX_AUTO_SMS`: in sandbox mode, deliver a plausible SMS to each new activation and
    /// now and then to rentals (default true; turn off for deterministic tests).
    pub sandbox_auto_sms: bool,
    /// `LEPTOS_SITE_ADDR`: where the app listens (default 127.0.0.1:3000; port 0 picks one).
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`: the directory holding the built client (`pkg/`) and public assets.
    pub site_root: PathBuf,
    /// `SESSION_TTL_HOURS`: how long a sign-in lasts (default 720 = 30 days).
    pub session_ttl_hours: u32,
    /// `COOKIE_SECURE`: mark the session cookie `Secure` (default true; browsers accept Secure
    /// cookies from http://localhost and http://127.0.0.1).
    pub cookie_secure: bool,
    /// `PASSWORD_HASH_THREADS`: how many passwords are hashed at once, each on its own thread
    /// holding 19 MiB (default: the number of cores).
    pub password_hash_threads: usize,
    /// `PASSWORD_HASH_WAIT_MS`: how long a sign-in or sign-up waits for a hashing thread before
    /// it is answered 503 with `Retry-After` (default 2000).
    pub password_hash_wait_ms: u64,
    /// `PUBLIC_ORIGIN`: the origins (`https://sms.example.com`, comma-separated) the app is
    /// reached at. Requests for any other `Host` are refused, cookie-authenticated changes must
    /// come from one of them, and HTTPS ones turn on HSTS. Empty until start-up fills in the
    /// default: plain HTTP on the listening address and the loopback names.
    pub public_origins: Vec<Origin>,
    /// `SANDBOX_CONTROL_TOKEN`: when set, the sandbox control API answers only requests that
    /// carry it in `X-Sandbox-Token`; when unset, only loopback callers that name a loopback host.
    pub sandbox_control_token: Option<SecretString>,
    /// `SANDBOX_PUBLIC`: allow sandbox mode on a non-loopback address (default false).
    pub sandbox_public: bool,
    /// `EVENT_STREAMS_PER_USER`: live update streams one user may hold open on one instance
    /// (default 20: a browser tab holds one); the next is answered 429.
    pub event_streams_per_user: usize,
    /// `MAX_CONNECTIONS`: connections open at once; the next is answered 503 (default: the
    /// process's file limit less 256).
    pub max_connections: usize,
    /// `HTTP_HEADER_TIMEOUT_SECS`: a connection must send a whole request head within this
    /// long of opening or of its last answer, or it is closed (default 10).
    pub http_header_timeout_secs: u64,
    /// `RECONCILE_AFTER_SECS`: how long a purchase, an unanswered idempotent request or an
    /// upstream order not yet closed may stay unsettled before the reconciliation job settles it
    /// (default 300: far longer than any request takes; 0 settles at once, for tests).
    pub reconcile_after_secs: u64,
    /// `RECONCILE_INTERVAL_SECS`: how often the reconciliation job runs (default 60), on one
    /// instance at a time.
    pub reconcile_interval_secs: u64,
    /// The request rate limits (`RATE_LIMIT_*`).
    pub rate_limits: RateLimits,
    /// `SMTP_URL`: where mail goes (`smtp://user:pass@host:587` with STARTTLS, `smtps://…`, or
    /// `smtp://host:port` in plain, for a local relay); unset, mail is kept in memory (and shown
    /// at `/sandbox/outbox` in sandbox mode).
    pub smtp_url: Option<SecretString>,
    /// `MAIL_FROM`: the sender (default `Namaskah <no-reply@localhost>`).
    pub mail_from: String,
    /// `REQUIRE_ADMIN_MFA`: an admin signed in without two-factor sign-in can do nothing but
    /// turn it on (default: on, except in sandbox mode). API keys are not affected.
    pub require_admin_mfa: bool,
    /// `TRUSTED_PROXIES`: the load balancers and proxies in front of the app (addresses or
    /// networks, comma-separated, e.g. `10.0.0.0/8,127.0.0.1`). A request from one of them is
    /// counted against the client address its `X-Forwarded-For` names; from anywhere else,
    /// against its own address. Default: none.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `METRICS_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <token>`
    /// (401 otherwise); when unset, anyone who can reach it.
    pub metrics_token: Option<SecretString>,
    /// `METRICS_ADDR`: also serve `/metrics` on this address (e.g. `0.0.0.0:9100`), a
    /// listener of its own for the scraper, outside the public one. Default: none.
    pub metrics_addr: Option<SocketAddr>,
    /// `LOG_FORMAT`: `text` (default) or `json`, one object per line.
    pub log_format: super::telemetry::LogFormat,
}

/// Requests per minute, each with a burst of that many; 0 turns that limit off. Limits are kept
/// in each instance's memory: behind a balancer that spreads a client's requests over N
/// instances, the client gets up to N times these (sign-in backoff, kept in the database, holds
/// across instances exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `RATE_LIMIT_PER_IP`: every request, per client address (IPv6: per /64), default 600.
    pub per_ip: u32,
    /// `RATE_LIMIT_PER_ACCOUNT`: every signed-in request, per account, default 600.
    pub per_account: u32,
    /// `RATE_LIMIT_PER_API_KEY`: every request made with an API key, per key, default 300.
    pub per_api_key: u32,
    /// `RATE_LIMIT_SIGN_IN`: sign-ins, sign-ups, password resets and address confirmations
    /// (asking for a link and using it) per client address, default 10.
    pub sign_in: u32,
    /// `RATE_LIMIT_PAID`: requests that spend money (rent, extend, buy, reuse, start a preset),
    /// per account, default 60.
    pub paid: u32,
}

impl RateLimits {
    pub const OFF: RateLimits = RateLimits {
        per_ip: 0,
        per_account: 0,
        per_api_key: 0,
        sign_in: 0,
        paid: 0,
    };

    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let per_minute = |variable, default| {
            parse::<u32>(
                get,
                variable,
                default,
                "a whole number of requests per minute",
            )
        };
        Ok(RateLimits {
            per_ip: per_minute("RATE_LIMIT_PER_IP", "600")?,
            per_account: per_minute("RATE_LIMIT_PER_ACCOUNT", "600")?,
            per_api_key: per_minute("RATE_LIMIT_PER_API_KEY", "300")?,
            sign_in: per_minute("RATE_LIMIT_SIGN_IN", "10")?,
            paid: per_minute("RATE_LIMIT_PAID", "60")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl Settings {
    /// This instance's share of a provider's request limit `per_deployment` (at least one a
    /// second).
    pub fn provider_rate(&self, per_deployment: u32) -> u32 {
        (per_deployment / self.instances.max(1)).max(1)
    }

    pub fn rental_rates(&self) -> crate::domain::rental::RentalRates {
        crate::domain::rental::RentalRates {
            markup: self.price_markup,
            extension: self.rental_extension_rate,
            release_refund: self.rental_release_refund_rate,
        }
    }

    /// The origin links in mail point at: the first of `PUBLIC_ORIGIN`.
    pub fn link_origin(&self) -> String {
        self.public_origins
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://namaskah.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                message: format!(
                    "must start with sqlite: or postgres:// (got {:?})",
                    database_url.split(':').next().unwrap_or_default()
                ),
            });
        }
        let price_markup: Decimal =
            parse(&get, "PRICE_MARKUP", "1.5", "a decimal number like 1.5")?;
        if price_markup < Decimal::ONE {
            return Err(ConfigError {
                variable: "PRICE_MARKUP",
                message: format!("must be at least 1 (we never sell below the provider's price), got {price_markup}"),
            });
        }
        Settings {
            database_url,
            fivesim_api_key: get("FIVESIM_API_KEY").map(SecretString::new),
            fivesim_base_url: get("FIVESIM_BASE_URL")
                .unwrap_or_else(|| DEFAULT_FIVESIM_BASE_URL.into()),
            fivesim_timeout_secs: parse(
                &get,
                "FIVESIM_TIMEOUT_SECS",
                "10",
                "a whole number of seconds",
            )
            .and_then(|s: u32| positive("FIVESIM_TIMEOUT_SECS", s))?,
            fivesim_rate_limit: parse(&get, "FIVESIM_RATE_LIMIT", "50", "requests per second")
                .and_then(|r: u32| positive("FIVESIM_RATE_LIMIT", r))?,
            instances: parse(&get, "INSTANCES", "1", "a whole number of instances")
                .and_then(|n: u32| positive("INSTANCES", n))?,
            price_markup,
            rental_default_duration: parse(
                &get,
                "RENTAL_DEFAULT_DURATION",
                "24",
                "a whole number of hours",
            )
            .and_then(|h: u32| positive("RENTAL_DEFAULT_DURATION", h))?,
            rental_extension_rate: fraction(&get, "RENTAL_EXTENSION_RATE", "0.5", None)?,
            rental_release_refund_rate: fraction(
                &get,
                "RENTAL_RELEASE_REFUND_RATE",
                "0.5",
                Some(Decimal::ONE),
            )?,
            textverified_api_key: get("TEXTVERIFIED_API_KEY")
                .filter(|k| !k.is_empty())
                .map(SecretString::new),
            textverified_api_username: get("TEXTVERIFIED_API_USERNAME").filter(|u| !u.is_empty()),
            textverified_base_url: get("TEXTVERIFIED_BASE_URL")
                .unwrap_or_else(|| "https://www.textverified.com".into()),
            textverified_webhook_secret: get("TEXTVERIFIED_WEBHOOK_SECRET")
                .filter(|s| !s.is_empty())
                .map(SecretString::new),
            sms_activate: sms_activate_providers(&get)?,
            sms_activate_rate_limit: parse(
                &get,
                "SMSACTIVATE_RATE_LIMIT",
                "20",
                "requests per second",
            )
            .and_then(|r: u32| positive("SMSACTIVATE_RATE_LIMIT", r))?,
            textverified_rate_limit: parse(
                &get,
                "TEXTVERIFIED_RATE_LIMIT",
                "10",
                "requests per second",
            )
            .and_then(|r: u32| positive("TEXTVERIFIED_RATE_LIMIT", r))?,
            provider_breaker_cooldown_secs: parse(
                &get,
                "PROVIDER_BREAKER_COOLDOWN_SECS",
                "30",
                "a whole number of seconds",
            )
            .and_then(|n: u64| positive("PROVIDER_BREAKER_COOLDOWN_SECS", n))?,
            provider_balance_alert: parse(
                &get,
                "PROVIDER_BALANCE_ALERT",
                "10",
                "an amount such as 10",
            )?,
            provider_webhook_base_url: webhook_base_url(&get)?,
            provider_webhook_secret: get("PROVIDER_WEBHOOK_SECRET")
                .filter(|s| !s.is_empty())
                .map(SecretString::new),
            stripe_secret_key: get("STRIPE_SECRET_KEY")
                .filter(|k| !k.is_empty())
                .map(SecretString::new),
            stripe_webhook_secret: get("STRIPE_WEBHOOK_SECRET")
                .filter(|k| !k.is_empty())
                .map(SecretString::new),
            stripe_base_url: get("STRIPE_BASE_URL")
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "https://api.stripe.com".into()),
            min_topup: topup_limit(&get, "MIN_TOPUP", "5")?,
            max_topup: topup_limit(&get, "MAX_TOPUP", "1000")?,
            tax_rate: fraction(&get, "TAX_RATE", "0", Some(Decimal::ONE))?,
            business_name: get("BUSINESS_NAME")
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "Namaskah SMS".into()),
            business_address: get("BUSINESS_ADDRESS").unwrap_or_default(),
            business_tax_id: get("BUSINESS_TAX_ID").unwrap_or_default(),
            sandbox_providers: sandbox_providers(&get)?,
            sandbox_port: parse(&get, "SANDBOX_PORT", "0", "a port number")?,
            sandbox_auto_sms: parse_bool(&get, "SANDBOX_AUTO_SMS", true)?,
            site_addr: parse(
                &get,
                "LEPTOS_SITE_ADDR",
                "127.0.0.1:3000",
                "an address like 127.0.0.1:3000",
            )?,
            site_root: PathBuf::from(
                get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            ),
            session_ttl_hours: parse(&get, "SESSION_TTL_HOURS", "720", "a whole number of hours")
                .and_then(|h: u32| positive("SESSION_TTL_HOURS", h))?,
            cookie_secure: parse_bool(&get, "COOKIE_SECURE", true)?,
            password_hash_threads: parse(
                &get,
                "PASSWORD_HASH_THREADS",
                &std::thread::available_parallelism()
                    .map_or(1, |n| n.get())
                    .to_string(),
                "a whole number of threads",
            )
            .and_then(|n: usize| positive("PASSWORD_HASH_THREADS", n))?,
            password_hash_wait_ms: parse(
                &get,
                "PASSWORD_HASH_WAIT_MS",
                "2000",
                "a whole number of milliseconds",
            )?,
            public_origins: origin::parse_list(&get("PUBLIC_ORIGIN").unwrap_or_default()).map_err(
                |message| ConfigError {
                    variable: "PUBLIC_ORIGIN",
                    message,
                },
            )?,
            sandbox_control_token: get("SANDBOX_CONTROL_TOKEN").map(SecretString::new),
            sandbox_public: parse_bool(&get, "SANDBOX_PUBLIC", false)?,
            event_streams_per_user: parse(
                &get,
                "EVENT_STREAMS_PER_USER",
                "20",
                "a whole number of streams",
            )
            .and_then(|n: usize| positive("EVENT_STREAMS_PER_USER", n))?,
            max_connections: parse(
                &get,
                "MAX_CONNECTIONS",
                &super::http::connections::default_max_connections().to_string(),
                "a whole number of connections",
            )
            .and_then(|n: usize| positive("MAX_CONNECTIONS", n))?,
            http_header_timeout_secs: parse(
                &get,
                "HTTP_HEADER_TIMEOUT_SECS",
                "10",
                "a whole number of seconds",
            )
            .and_then(|n: u64| positive("HTTP_HEADER_TIMEOUT_SECS", n))?,
            reconcile_after_secs: parse(
                &get,
                "RECONCILE_AFTER_SECS",
                "300",
                "a whole number of seconds",
            )?,
            reconcile_interval_secs: parse(
                &get,
                "RECONCILE_INTERVAL_SECS",
                "60",
                "a whole number of seconds",
            )
            .and_then(|n: u64| positive("RECONCILE_INTERVAL_SECS", n))?,
            rate_limits: RateLimits::from_lookup(&get)?,
            smtp_url: get("SMTP_URL")
                .filter(|s| !s.is_empty())
                .map(SecretString::new),
            mail_from: get("MAIL_FROM").unwrap_or_else(|| "Namaskah <no-reply@localhost>".into()),
            // Resolved below, once it is known whether this is sandbox mode.
            require_admin_mfa: parse_bool(&get, "REQUIRE_ADMIN_MFA", true)?,
            trusted_proxies: trusted_proxies(&get)?,
            metrics_token: get("METRICS_TOKEN").map(SecretString::new),
            metrics_addr: get("METRICS_ADDR")
                .map(|raw| {
                    raw.parse().map_err(|_| ConfigError {
                        variable: "METRICS_ADDR",
                        message: format!("expected an address like 0.0.0.0:9100, got {raw:?}"),
                    })
                })
                .transpose()?,
            log_format: parse(&get, "LOG_FORMAT", "text", "text or json")?,
        }
        .admin_mfa_default(get("REQUIRE_ADMIN_MFA").is_some())
        .refuse_public_sandbox()?
        .need_webhook_secret()?
        .need_stripe_webhook_secret()?
        .topup_limits_in_order()?
        .need_textverified_username()
    }

    fn need_textverified_username(self) -> Result<Self, ConfigError> {
        if self.textverified_api_key.is_some() && self.textverified_api_username.is_none() {
            return Err(ConfigError {
                variable: "TEXTVERIFIED_API_USERNAME",
                message: "is required with TEXTVERIFIED_API_KEY (the account's email)".into(),
            });
        }
        Ok(self)
    }

    fn need_stripe_webhook_secret(self) -> Result<Self, ConfigError> {
        if self.stripe_secret_key.is_some() && self.stripe_webhook_secret.is_none() {
            return Err(ConfigError {
                variable: "STRIPE_WEBHOOK_SECRET",
                message: "is required with STRIPE_SECRET_KEY: the signing secret (whsec_…) of \
                          the Stripe webhook endpoint for /api/billing/stripe/webhook"
                    .into(),
            });
        }
        Ok(self)
    }

    fn topup_limits_in_order(self) -> Result<Self, ConfigError> {
        if self.max_topup < self.min_topup {
            return Err(ConfigError {
                variable: "MAX_TOPUP",
                message: format!(
                    "must not be below MIN_TOPUP ({}), got {}",
                    self.min_topup, self.max_topup
                ),
            });
        }
        Ok(self)
    }

    fn need_webhook_secret(self) -> Result<Self, ConfigError> {
        if self.provider_webhook_base_url.is_some() && self.provider_webhook_secret.is_none() {
            return Err(ConfigError {
                variable: "PROVIDER_WEBHOOK_SECRET",
                message: "is required with PROVIDER_WEBHOOK_BASE_URL (a long random string)".into(),
            });
        }
        Ok(self)
    }

    /// Sandbox mode lets anyone who can reach it deliver SMS and move the clock; it is meant
    /// for one machine. On any other address it must be asked for by name.
    /// Sandbox mode is for trying the product: its admins need no second factor unless asked.
    fn admin_mfa_default(mut self, given: bool) -> Self {
        if !given && self.sandbox() {
            self.require_admin_mfa = false;
        }
        self
    }

    fn refuse_public_sandbox(self) -> Result<Self, ConfigError> {
        if self.sandbox() && !self.site_addr.ip().is_loopback() && !self.sandbox_public {
            return Err(ConfigError {
                variable: "SANDBOX_PUBLIC",
                message: format!(
                    "no provider is configured (FIVESIM_API_KEY, SMSACTIVATE_PROVIDERS, \
                     TEXTVERIFIED_API_KEY), so this is \
                     sandbox mode, which is for trying the app \
                     on this machine; it would listen on {} (LEPTOS_SITE_ADDR), where others could \
                     reach it. Listen on 127.0.0.1, set a provider key, or set SANDBOX_PUBLIC=1 to \
                     serve the sandbox beyond this machine on purpose",
                    self.site_addr
                ),
            });
        }
        Ok(self)
    }

    /// Sandbox mode: no real provider is configured, so the embedded emulators stand in for
    /// the providers.
    pub fn sandbox(&self) -> bool {
        self.fivesim_api_key.is_none()
            && self.sms_activate.is_empty()
            && self.textverified_api_key.is_none()
    }
}

/// One provider that speaks the SMS-Activate protocol.
#[derive(Clone, Debug)]
pub struct SmsActivateProvider {
    pub name: String,
    pub url: String,
    pub api_key: SecretString,
}

/// An emulator sandbox mode can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxProvider {
    FiveSim,
    SmsActivate,
    TextVerified,
}

impl SandboxProvider {
    pub const ALL: [SandboxProvider; 3] = [
        SandboxProvider::FiveSim,
        SandboxProvider::SmsActivate,
        SandboxProvider::TextVerified,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SandboxProvider::FiveSim => "5sim",
            SandboxProvider::SmsActivate => "sms-activate",
            SandboxProvider::TextVerified => "textverified",
        }
    }
}

fn webhook_base_url(get: &impl Fn(&str) -> Option<String>) -> Result<Option<String>, ConfigError> {
    match get("PROVIDER_WEBHOOK_BASE_URL").filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
            Ok(Some(url.trim_end_matches('/').to_owned()))
        }
        Some(url) => Err(ConfigError {
            variable: "PROVIDER_WEBHOOK_BASE_URL",
            message: format!("must start with https:// (got {url:?})"),
        }),
    }
}

fn sandbox_providers(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<SandboxProvider>, ConfigError> {
    let Some(raw) = get("SANDBOX_PROVIDERS") else {
        return Ok(SandboxProvider::ALL.to_vec());
    };
    let mut chosen = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let provider = SandboxProvider::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| ConfigError {
                variable: "SANDBOX_PROVIDERS",
                message: format!(
                    "unknown provider {name:?} (known: 5sim, sms-activate, textverified)"
                ),
            })?;
        if !chosen.contains(&provider) {
            chosen.push(provider);
        }
    }
    if chosen.is_empty() {
        return Err(ConfigError {
            variable: "SANDBOX_PROVIDERS",
            message: "names no provider (known: 5sim, sms-activate, textverified)".into(),
        });
    }
    Ok(chosen)
}

fn sms_activate_providers(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<SmsActivateProvider>, ConfigError> {
    let bad = |message: String| ConfigError {
        variable: "SMSACTIVATE_PROVIDERS",
        message,
    };
    let mut providers: Vec<SmsActivateProvider> = Vec::new();
    for entry in get("SMSACTIVATE_PROVIDERS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (name, url) = entry
            .split_once('=')
            .ok_or_else(|| bad(format!("expected name=url, got {entry:?}")))?;
        let name = name.trim().to_ascii_lowercase();
        let url = url.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad(format!(
                "a provider's name is letters, digits, - and _ (got {name:?})"
            )));
        }
        if name == "5sim" || name == "textverified" || providers.iter().any(|p| p.name == name) {
            return Err(bad(format!("the name {name:?} is taken")));
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(bad(format!(
                "{name}'s url must start with https:// (got {url:?})"
            )));
        }
        let variable = format!(
            "SMSACTIVATE_{}_API_KEY",
            name.to_ascii_uppercase().replace('-', "_")
        );
        let api_key = get(&variable)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad(format!("{name} has no key: set {variable}")))?;
        providers.push(SmsActivateProvider {
            name,
            url: url.to_owned(),
            api_key: SecretString::new(api_key),
        });
    }
    Ok(providers)
}

/// `TRUSTED_PROXIES`: addresses (a /32 or /128) or networks.
fn trusted_proxies(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let raw = get("TRUSTED_PROXIES").unwrap_or_default();
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError {
                    variable: "TRUSTED_PROXIES",
                    message: format!(
                        "expected addresses or networks like 10.0.0.0/8, got {item:?}"
                    ),
                })
        })
        .collect()
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: &str,
    expected: &str,
) -> Result<T, ConfigError> {
    let raw = get(variable).unwrap_or_else(|| default.to_owned());
    raw.parse().map_err(|_| ConfigError {
        variable,
        message: format!("expected {expected}, got {raw:?}"),
    })
}

/// A top-up limit: a positive amount in whole cents.
fn topup_limit(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: &str,
) -> Result<Money, ConfigError> {
    let value: Money = parse(get, variable, default, "an amount such as 5.00")?;
    if !value.is_positive() || value.decimal().round_dp(2) != value.decimal() {
        return Err(ConfigError {
            variable,
            message: format!("must be a positive amount in whole cents, got {value}"),
        });
    }
    Ok(value)
}

/// A non-negative decimal, at most `max` when given.
fn fraction(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: &str,
    max: Option<Decimal>,
) -> Result<Decimal, ConfigError> {
    let value: Decimal = parse(get, variable, default, "a decimal number like 0.5")?;
    if value < Decimal::ZERO || max.is_some_and(|m| value > m) {
        return Err(ConfigError {
            variable,
            message: match max {
                Some(m) => format!("must be between 0 and {m}, got {value}"),
                None => format!("cannot be negative, got {value}"),
            },
        });
    }
    Ok(value)
}

fn positive<N: Default + PartialEq>(variable: &'static str, value: N) -> Result<N, ConfigError> {
    if value == N::default() {
        Err(ConfigError {
            variable,
            message: "must be greater than zero".into(),
        })
    } else {
        Ok(value)
    }
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(variable)
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError {
            variable,
            message: format!("expected true or false, got {other:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_are_sqlite_and_sandbox() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, "sqlite://namaskah.db");
        assert!(s.sandbox());
        assert_eq!(s.site_addr.to_string(), "127.0.0.1:3000");
        assert!(s.cookie_secure);
    }

    #[test]
    fn instances_share_each_providers_request_limit() {
        let one = settings(&[]).unwrap();
        assert_eq!(one.provider_rate(one.fivesim_rate_limit), 50);
        let four = settings(&[("INSTANCES", "4"), ("FIVESIM_RATE_LIMIT", "90")]).unwrap();
        assert_eq!(four.provider_rate(four.fivesim_rate_limit), 22);
        assert_eq!(four.provider_rate(2), 1, "at least one a second");
        let e = settings(&[("INSTANCES", "0")]).unwrap_err();
        assert_eq!(e.variable, "INSTANCES");
    }

    #[test]
    fn a_key_turns_sandbox_off_and_is_never_printed() {
        let s = settings(&[("FIVESIM_API_KEY", "jwt-secret")]).unwrap();
        assert!(!s.sandbox());
        assert!(!format!("{s:?}").contains("jwt-secret"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = settings(&[("SESSION_TTL_HOURS", "soon")]).unwrap_err();
        assert_eq!(e.variable, "SESSION_TTL_HOURS");
        assert!(e.to_string().starts_with("SESSION_TTL_HOURS: "));
        assert_eq!(
            settings(&[("SESSION_TTL_HOURS", "0")])
                .unwrap_err()
                .variable,
            "SESSION_TTL_HOURS"
        );
        assert_eq!(
            settings(&[("DATABASE_URL", "mysql://x")])
                .unwrap_err()
                .variable,
            "DATABASE_URL"
        );
        assert_eq!(
            settings(&[("LEPTOS_SITE_ADDR", "here")])
                .unwrap_err()
                .variable,
            "LEPTOS_SITE_ADDR"
        );
        assert_eq!(
            settings(&[("COOKIE_SECURE", "maybe")])
                .unwrap_err()
                .variable,
            "COOKIE_SECURE"
        );
    }

    #[test]
    fn sandbox_mode_stays_on_this_machine_unless_asked_for_by_name() {
        let e = settings(&[("LEPTOS_SITE_ADDR", "0.0.0.0:3000")]).unwrap_err();
        assert_eq!(e.variable, "SANDBOX_PUBLIC");
        assert!(e.message.contains("sandbox mode"), "{e}");
        assert!(settings(&[
            ("LEPTOS_SITE_ADDR", "0.0.0.0:3000"),
            ("SANDBOX_PUBLIC", "1")
        ])
        .is_ok());
        assert!(settings(&[
            ("LEPTOS_SITE_ADDR", "0.0.0.0:3000"),
            ("FIVESIM_API_KEY", "k")
        ])
        .is_ok());
        assert!(settings(&[("LEPTOS_SITE_ADDR", "[::1]:3000")]).is_ok());
    }

    #[test]
    fn stripe_needs_its_webhook_secret_and_top_up_limits_are_checked() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.min_topup, "5".parse().unwrap());
        assert_eq!(s.max_topup, "1000".parse().unwrap());
        assert_eq!(s.stripe_base_url, "https://api.stripe.com");
        let err = settings(&[("STRIPE_SECRET_KEY", "sk_test_x")]).unwrap_err();
        assert_eq!(err.variable, "STRIPE_WEBHOOK_SECRET");
        let s = settings(&[
            ("STRIPE_SECRET_KEY", "sk_test_x"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_y"),
        ])
        .unwrap();
        assert!(!format!("{s:?}").contains("sk_test_x"));
        for (variable, value) in [
            ("MIN_TOPUP", "0"),
            ("MIN_TOPUP", "-5"),
            ("MIN_TOPUP", "5.001"),
            ("MAX_TOPUP", "lots"),
            ("MAX_TOPUP", "4"),
        ] {
            let err = settings(&[(variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable, "{variable}={value}");
        }
    }

    #[test]
    fn public_origins_are_checked_at_start_up() {
        let s = settings(&[("PUBLIC_ORIGIN", "https://sms.example.com")]).unwrap();
        assert_eq!(s.public_origins.len(), 1);
        assert_eq!(
            settings(&[("PUBLIC_ORIGIN", "sms.example.com")])
                .unwrap_err()
                .variable,
            "PUBLIC_ORIGIN"
        );
    }

    #[test]
    fn sms_activate_providers_are_named_with_their_urls_and_keys() {
        let s = settings(&[
            (
                "SMSACTIVATE_PROVIDERS",
                "sms-activate=https://api.sms-activate.org/stubs/handler_api.php, Hero=https://hero.example/stubs/handler_api.php",
            ),
            ("SMSACTIVATE_SMS_ACTIVATE_API_KEY", "k1"),
            ("SMSACTIVATE_HERO_API_KEY", "k2"),
        ])
        .unwrap();
        assert!(!s.sandbox(), "a configured provider is not sandbox mode");
        let names: Vec<&str> = s.sms_activate.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["sms-activate", "hero"]);
        assert!(!format!("{s:?}").contains("k2"));
        let missing =
            settings(&[("SMSACTIVATE_PROVIDERS", "hero=https://h.example/x.php")]).unwrap_err();
        assert_eq!(missing.variable, "SMSACTIVATE_PROVIDERS");
        assert!(
            missing.message.contains("SMSACTIVATE_HERO_API_KEY"),
            "{missing}"
        );
        for bad in ["hero", "5sim=https://x", "a b=https://x", "hero=ftp://x"] {
            let e = settings(&[
                ("SMSACTIVATE_PROVIDERS", bad),
                ("SMSACTIVATE_HERO_API_KEY", "k"),
            ])
            .unwrap_err();
            assert_eq!(e.variable, "SMSACTIVATE_PROVIDERS", "{bad}");
        }
    }

    #[test]
    fn sandbox_mode_starts_every_emulator_unless_told_which() {
        assert_eq!(
            settings(&[]).unwrap().sandbox_providers,
            SandboxProvider::ALL
        );
        let one = settings(&[("SANDBOX_PROVIDERS", "5sim")]).unwrap();
        assert_eq!(one.sandbox_providers, [SandboxProvider::FiveSim]);
        assert_eq!(
            settings(&[("SANDBOX_PROVIDERS", "5sim,nope")])
                .unwrap_err()
                .variable,
            "SANDBOX_PROVIDERS"
        );
    }

    #[test]
    fn provider_pushes_need_a_secret_and_an_address() {
        let e = settings(&[("PROVIDER_WEBHOOK_BASE_URL", "https://sms.example.com")]).unwrap_err();
        assert_eq!(e.variable, "PROVIDER_WEBHOOK_SECRET");
        let s = settings(&[
            ("PROVIDER_WEBHOOK_BASE_URL", "https://sms.example.com/"),
            ("PROVIDER_WEBHOOK_SECRET", "s3cret"),
        ])
        .unwrap();
        assert_eq!(
            s.provider_webhook_base_url.as_deref(),
            Some("https://sms.example.com")
        );
        assert!(!format!("{s:?}").contains("s3cret"));
        let e = settings(&[("PROVIDER_WEBHOOK_BASE_URL", "sms.example.com")]).unwrap_err();
        assert_eq!(e.variable, "PROVIDER_WEBHOOK_BASE_URL");
    }
}
