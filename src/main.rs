#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use clap::Parser;
    use namaskah::server::cli::{Cli, Command, UserCommand};
    use namaskah::server::{
        config::Settings, services, startup::Application, storage::Db, telemetry,
    };
    use std::process::ExitCode;

    #[cfg(feature = "failpoints")]
    let _failpoints = namaskah::server::failpoints::setup();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) if matches!(cli.command, Some(Command::Doctor)) => {
            println!("FAIL configuration            {e}");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    if matches!(cli.command, Some(Command::Doctor)) {
        let found = namaskah::server::doctor::examine(&settings).await;
        for f in &found {
            println!("{f}");
        }
        let wrong = found.iter().filter(|f| !f.ok).count();
        if wrong == 0 {
            println!("everything checked is in order");
            return ExitCode::SUCCESS;
        }
        println!("{wrong} problem(s) found");
        return ExitCode::from(1);
    }
    telemetry::init(settings.log_format);
    let outcome: anyhow::Result<()> = async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let app = Application::build(settings).await?;
                tracing::info!(
                    addr = %app.state().settings.site_addr,
                    sandbox = app.state().settings.sandbox(),
                    "listening on http://{}",
                    app.state().settings.site_addr
                );
                tokio::spawn(namaskah::server::jobs::run_until_stopped(
                    app.state().clone(),
                ));
                app.run_until(namaskah::server::startup::stop_signal())
                    .await?;
            }
            Command::Sandbox {
                provider,
                port,
                key,
                username,
            } => {
                use namaskah::sandbox::{five_sim, sms_activate, textverified};
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
                let auto_sms = settings.sandbox_auto_sms;
                let (api, control) = match provider.as_str() {
                    "sms-activate" => {
                        let emulator = sms_activate::SmsActivateEmulator::new(
                            &key,
                            Default::default(),
                            auto_sms,
                        );
                        let url = sms_activate::serve(emulator, addr).await?;
                        (url, sms_activate::CONTROL_PATH)
                    }
                    "textverified" => {
                        let emulator = textverified::TextVerifiedEmulator::new(
                            &username,
                            &key,
                            Default::default(),
                            auto_sms,
                        );
                        let url = textverified::serve(emulator, addr).await?;
                        (
                            format!("{url}/api/pub/v2 (username: {username})"),
                            textverified::CONTROL_PATH,
                        )
                    }
                    _ => {
                        let emulator =
                            five_sim::FiveSimEmulator::new(&key, Default::default(), auto_sms);
                        let url = five_sim::serve(emulator, addr).await?;
                        (url, five_sim::CONTROL_PATH)
                    }
                };
                println!("{provider} emulator: {api} (key: {key})");
                println!("control API:   http://127.0.0.1:{port}{control}");
                let _ = tokio::signal::ctrl_c().await;
            }
            Command::Doctor => unreachable!("answered above"),
            Command::Migrate => {
                let db = Db::connect(&settings.database_url).await?;
                db.migrate().await?;
                println!("migrations applied");
            }
            Command::User {
                command:
                    UserCommand::Create {
                        email,
                        password,
                        admin,
                        role,
                    },
            } => {
                let role = match (admin, role.as_deref()) {
                    (true, _) => namaskah::domain::Role::Admin,
                    (false, None) => namaskah::domain::Role::User,
                    (false, Some(r)) => namaskah::domain::Role::parse(r).ok_or_else(|| {
                        anyhow::anyhow!("--role must be one of user, support, admin")
                    })?,
                };
                let state = namaskah::server::startup::offline_state(settings).await?;
                let user = services::accounts::create_user(
                    &state,
                    &services::audit::Actor::CLI,
                    &email,
                    &password,
                    role,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!(
                    "created {} account {} ({})",
                    role.as_str(),
                    user.id,
                    user.email
                );
            }
            Command::SeedDemo {
                rentals,
                messages,
                verifications,
                customers,
                days,
                seed,
            } => {
                let state = namaskah::server::startup::offline_state(settings).await?;
                let plan = namaskah::server::demo::Plan {
                    rentals,
                    messages,
                    verifications,
                    customers,
                    days,
                    seed,
                };
                let made = namaskah::server::demo::seed(&state, plan).await?;
                println!("{}", serde_json::to_string(&made)?);
            }
            Command::Reconcile => {
                if settings.sandbox() {
                    anyhow::bail!(
                        "sandbox mode (no provider is configured): the emulators live inside the \
                         server, which reconciles on its own"
                    );
                }
                let state = namaskah::server::startup::offline_state(settings).await?;
                let repairs = namaskah::server::jobs::reconcile::run_once(&state)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("{}", serde_json::to_string(&repairs)?);
            }
            Command::Credit {
                email,
                amount,
                note,
            } => {
                let state = namaskah::server::startup::offline_state(settings).await?;
                let balance = services::billing::credit(
                    &state,
                    &services::audit::Actor::CLI,
                    &email,
                    &amount,
                    &note,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("credited {email}: balance is now {}", balance.display());
            }
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
pub fn main() {
    // The browser client starts from `namaskah::hydrate` in lib.rs.
}
