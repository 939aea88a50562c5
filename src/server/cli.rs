//! The `namaskah` command line.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "namaskah",
    version,
    about = "Temporary numbers and SMS verification codes"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app and API (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Check the configuration, the database, its migrations and each provider's credentials
    /// and balance; print what is wrong (exit status 1 if anything is).
    Doctor,
    /// Run one provider's emulator alone (for trying a client or another app against it).
    Sandbox {
        /// Which: `5sim` (its API under `/sandbox/5sim/v1`), `sms-activate` (under
        /// `/sandbox/sms-activate/stubs/handler_api.php`) or `textverified` (under
        /// `/sandbox/textverified/api/pub/v2`).
        #[arg(long, default_value = "5sim", value_parser = ["5sim", "sms-activate", "textverified"])]
        provider: String,
        /// The loopback port to listen on.
        #[arg(long, default_value_t = 3010)]
        port: u16,
        /// The API key the emulator accepts (5SIM: `Authorization: Bearer <key>`;
        /// SMS-Activate: `api_key=<key>`; TextVerified: `X-API-KEY`).
        #[arg(long, default_value = "sandbox")]
        key: String,
        /// TextVerified's `X-API-USERNAME`.
        #[arg(long, default_value = "sandbox@namaskah.local")]
        username: String,
    },
    /// Run one reconciliation pass now (settle purchases, orders and requests a crash left
    /// open) and print what it did, as JSON.
    Reconcile,
    /// Fill the database with a made-up history (customers, rentals, messages, verifications,
    /// their ledger and analytics) for trying the console and benchmarking it. Refuses a
    /// database that has the demo's customers already. Prints what it made, as JSON.
    SeedDemo {
        #[arg(long, default_value_t = 1_000_000)]
        rentals: u64,
        #[arg(long, default_value_t = 5_000_000)]
        messages: u64,
        #[arg(long, default_value_t = 500_000)]
        verifications: u64,
        #[arg(long, default_value_t = 20_000)]
        customers: u64,
        /// How many days back the history starts (today included).
        #[arg(long, default_value_t = 365)]
        days: u64,
        /// The same seed makes the same history.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Add money to an account's wallet (a negative amount corrects it); writes a ledger row.
    Credit {
        #[arg(long)]
        email: String,
        /// A decimal amount, e.g. 25 or 12.5 (at most four places).
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// Why: kept in the ledger for the customer and operators to see.
        #[arg(long)]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// Make it an admin account (the same as `--role admin`).
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// Its role: user (the default), support or admin.
        #[arg(long)]
        role: Option<String>,
    },
}
