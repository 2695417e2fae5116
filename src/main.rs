use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use modeldeck::app::State;
use modeldeck::backends::kube::{Connection, KubeError};
use modeldeck::cli::{BlueGreenCommand, CanaryCommand, Cli, Command, ShadowCommand};
use modeldeck::config::paths::process_env;
use modeldeck::ops::{bluegreen, canary};
use modeldeck::tui::event_loop::Exit;
use modeldeck::{commands, config, startup, tui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Info) => match commands::info::report(&cli, &process_env) {
            Ok(report) => emit(&report),
            Err(e) => fail(&format!("configuration error: {e}")),
        },
        Some(Command::Models { output }) => {
            let loaded = config::load_or_defaults(&startup::load_options(&cli, &process_env));
            if let Some(e) = &loaded.error {
                warn(&format!("configuration error, using built-in defaults: {e}"));
            }
            let settings = startup::effective_settings(&cli, &loaded);
            match commands::models::list(&settings.registry.path, *output) {
                Ok((text, problems)) => {
                    for problem in problems {
                        warn(&problem);
                    }
                    emit(&text)
                }
                Err(e) => fail(&e),
            }
        }
        Some(Command::Status {
            deployment,
            watch,
            output,
            all_namespaces,
        }) => kube_command(&with_all_namespaces(&cli, *all_namespaces), |conn, _| async move {
            match (deployment, watch) {
                (Some(name), true) => {
                    let done = commands::rollouts::watch_status(&conn, name, |line| {
                        let _ = writeln!(std::io::stdout(), "{line}");
                    })
                    .await?;
                    Ok((String::new(), done))
                }
                (None, true) => Err(KubeError::Other("--watch needs a deployment name".into())),
                (name, false) => Ok((commands::rollouts::status(&conn, name.as_deref(), *output).await?, true)),
            }
        }),
        Some(Command::History { deployment, output }) => kube_command(&cli, |conn, _| async move {
            Ok((commands::rollouts::history_of(&conn, deployment, *output).await?, true))
        }),
        Some(Command::Rollback {
            deployment,
            to_revision,
            yes,
        }) => {
            let op = |settings: &modeldeck::config::Settings| modeldeck::ops::rollback::Rollback {
                deployment: deployment.clone(),
                to_revision: *to_revision,
                traffic: settings.rollouts.get(deployment).cloned(),
            };
            ops_command(&cli, op, *yes)
        }
        Some(Command::Bluegreen { command }) => match command {
            BlueGreenCommand::Status { output } => kube_command(&cli, |conn, _| async move {
                let sides = bluegreen::sides(&conn)
                    .await
                    .map_err(|e| KubeError::Other(e.to_string()))?;
                Ok((commands::rollouts::sides_output(&sides, *output), true))
            }),
            BlueGreenCommand::Switch { service, to, yes } => {
                let op = bluegreen::BlueGreenSwitch {
                    service: service.clone(),
                    to: bluegreen::SwitchTo::Version(to.clone()),
                };
                ops_command(&cli, |_| op, *yes)
            }
            BlueGreenCommand::Back { service, yes } => {
                let op = bluegreen::BlueGreenSwitch {
                    service: service.clone(),
                    to: bluegreen::SwitchTo::Back,
                };
                ops_command(&cli, |_| op, *yes)
            }
        },
        Some(Command::Canary { command }) => canary_command(&cli, command),
        Some(Command::Shadow { command }) => {
            let (deployment, percent, yes) = match command {
                ShadowCommand::On {
                    deployment,
                    percent,
                    yes,
                } => (deployment, Some(*percent), *yes),
                ShadowCommand::Off { deployment, yes } => (deployment, None, *yes),
            };
            let op = |settings: &modeldeck::config::Settings| modeldeck::ops::shadow::Shadow {
                deployment: deployment.clone(),
                settings: settings.rollouts.get(deployment).cloned(),
                percent,
            };
            ops_command(&cli, op, yes)
        }
        Some(Command::Demo {
            serve,
            info_file,
            dir,
            port,
            speed,
            metrics_port,
            rate,
        }) => {
            let opts = commands::demo::DemoOptions {
                dir: dir
                    .clone()
                    .unwrap_or_else(|| modeldeck::config::paths::state_dir(&process_env).join("demo")),
                port: *port,
                speed: *speed,
                metrics_port: *metrics_port,
                rate: *rate,
                info_file: info_file.clone(),
                registry: std::env::current_dir()
                    .map(|d| d.join("models"))
                    .unwrap_or_else(|_| "models".into()),
            };
            if *serve {
                serve_demo(&opts)
            } else {
                demo_console(&cli, &opts)
            }
        }
        Some(Command::Plot {
            panel,
            range,
            out,
            stat,
            deployment,
            collect,
        }) => {
            let loaded = match config::load(&startup::load_options(&cli, &process_env)) {
                Ok(loaded) => loaded,
                Err(e) => return fail(&format!("configuration error: {e}")),
            };
            let settings = startup::effective_settings(&cli, &loaded);
            let request = commands::plot::PlotRequest {
                panel: panel.clone(),
                stat: stat.clone(),
                range: range.clone(),
                out: out.clone(),
                namespace: startup::session(&settings, &process_env).namespace,
                deployment: deployment.clone(),
                collect: collect.clone(),
            };
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
            };
            let env = |name: &str| std::env::var(name).ok();
            let mut note = |line: &str| warn(line);
            match runtime.block_on(commands::plot::plot(&settings, &request, &env, &mut note)) {
                Ok(report) => emit(&report),
                Err(commands::plot::PlotError::Usage(e)) => usage_error("plot", &e),
                Err(commands::plot::PlotError::Failed(e)) => fail(&e),
            }
        }
        Some(Command::Guard) => guard(&cli),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "modeldeck", &mut script);
            emit(&String::from_utf8_lossy(&script))
        }
        None => console(&cli),
    }
}

/// Writes a command's output. A reader that went away (`| head`) is not an
/// error worth a panic, which is what `print!` would do.
fn emit(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            warn(&format!("cannot write output: {e}"));
            ExitCode::from(1)
        }
    }
}

/// A message on stderr; stderr may be gone with the terminal (SIGHUP), so
/// a failed write is ignored rather than turned into a panic.
fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "modeldeck: {message}");
}

fn fail(message: &str) -> ExitCode {
    warn(message);
    ExitCode::from(1)
}

/// A usage error only the configuration can reveal (an unknown panel),
/// said as clap says its own, with the subcommand's usage, and exit 2.
fn usage_error(subcommand: &str, message: &str) -> ExitCode {
    let mut command = Cli::command();
    command.build();
    let error = match command.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(clap::error::ErrorKind::InvalidValue, message),
        None => command.error(clap::error::ErrorKind::InvalidValue, message),
    };
    let _ = error.print();
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// Runs a command against the cluster: connects with the command line's
/// and the settings' kubeconfig, context and namespace, prints the output,
/// and exits 1 with the reason when it fails or the outcome is not a success.
fn kube_command<'a, F, Fut>(cli: &'a Cli, run: F) -> ExitCode
where
    F: FnOnce(Connection, modeldeck::config::Settings) -> Fut,
    Fut: std::future::Future<Output = Result<(String, bool), KubeError>> + 'a,
{
    let loaded = config::load_or_defaults(&startup::load_options(cli, &process_env));
    if let Some(e) = &loaded.error {
        warn(&format!("configuration error, using built-in defaults: {e}"));
    }
    let settings = startup::effective_settings(cli, &loaded);
    connected(cli, &settings.clone(), |conn| async move {
        match run(conn, settings).await {
            Ok((text, true)) => emit(&text),
            Ok((text, false)) => {
                let _ = emit(&text);
                ExitCode::from(1)
            }
            Err(e) => fail(&e.to_string()),
        }
    })
}

/// Connects to the cluster the settings and flags name, on a runtime, and
/// runs `work` with the connection; a failure to connect is the exit.
fn connected<'a, F, Fut>(cli: &Cli, settings: &modeldeck::config::Settings, work: F) -> ExitCode
where
    F: FnOnce(Connection) -> Fut,
    Fut: std::future::Future<Output = ExitCode> + 'a,
{
    let target = startup::kube_target(cli, settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        match modeldeck::backends::kube::connect(&target).await {
            Ok(conn) => work(conn).await,
            Err(e) => fail(&e.to_string()),
        }
    })
}

/// `modeldeck guard`: strict configuration, a connection, then the watch
/// until SIGTERM or ctrl-c. Each line goes to stdout as it happens.
fn guard(cli: &Cli) -> ExitCode {
    let loaded = match config::load(&startup::load_options(cli, &process_env)) {
        Ok(loaded) => loaded,
        Err(e) => return fail(&format!("configuration error: {e}")),
    };
    let settings = startup::effective_settings(cli, &loaded);
    connected(cli, &settings, |conn| async {
        let ctx = startup::ops_context(cli, &settings, conn, &process_env);
        let stop = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        let env = |name: &str| std::env::var(name).ok();
        let say = |line: &str| {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        };
        match commands::guard::watch(&settings, ctx, &env, stop, say).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        }
    })
}

/// Runs a mutating operation, built from the settings, through `ops` with
/// the context's read-only rule, the audit log and the operator's login.
fn ops_command<O, B>(cli: &Cli, build: B, yes: bool) -> ExitCode
where
    O: modeldeck::ops::Operation,
    B: FnOnce(&modeldeck::config::Settings) -> O,
{
    kube_command(cli, |conn, settings| async move {
        let op = build(&settings);
        let ctx = startup::ops_context(cli, &settings, conn, &process_env);
        match commands::ops_cli::run(&ctx, &op, yes).await {
            Ok(summary) => Ok((format!("{summary}\n"), true)),
            Err(e) => Err(KubeError::Other(e.to_string())),
        }
    })
}

/// The command line with `--namespace all` when `-A` was given.
fn with_all_namespaces(cli: &Cli, all: bool) -> Cli {
    let mut cli = cli.clone();
    if all {
        cli.namespace = Some(modeldeck::backends::kube::client::ALL_NAMESPACES.into());
    }
    cli
}

fn canary_command(cli: &Cli, command: &CanaryCommand) -> ExitCode {
    let (deployment, movement, yes) = match command {
        CanaryCommand::Status { deployment, output } => {
            return kube_command(cli, |conn, settings| async move {
                let rollout = settings.rollouts.get(deployment);
                let text = commands::rollouts::canary_status(&conn, deployment, rollout, *output)
                    .await
                    .map_err(|e| KubeError::Other(e.to_string()))?;
                Ok((text, true))
            });
        }
        CanaryCommand::Set {
            deployment,
            percent,
            yes,
        } => (deployment, canary::Move::Set(*percent), *yes),
        CanaryCommand::Step { deployment, yes } => (deployment, canary::Move::Step, *yes),
        CanaryCommand::Abort { deployment, yes } => (deployment, canary::Move::Abort, *yes),
        CanaryCommand::Promote { deployment, yes } => (deployment, canary::Move::Promote, *yes),
    };
    let op = |settings: &modeldeck::config::Settings| {
        canary::Canary::new(
            deployment,
            settings.rollouts.get(deployment),
            &settings.canary.ladder,
            movement,
        )
    };
    ops_command(cli, op, yes)
}

/// The simulated world on a runtime of its own, and the console attached
/// to it through the config file the world wrote.
fn demo_console(cli: &Cli, opts: &commands::demo::DemoOptions) -> ExitCode {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return fail("the console needs a terminal; for a headless world use modeldeck demo --serve");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    // The world's tasks keep running on this runtime's worker while the
    // console runs on its own.
    let running = match runtime.block_on(commands::demo::start(opts)) {
        Ok(running) => running,
        Err(e) => return fail(&format!("{e:#}")),
    };
    let mut attached = cli.clone();
    attached.command = None;
    attached.config = running.info["config"].as_str().map(std::path::PathBuf::from);
    let code = console(&attached);
    drop(running);
    code
}

fn serve_demo(opts: &commands::demo::DemoOptions) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let running = match commands::demo::start(opts).await {
            Ok(running) => running,
            Err(e) => return fail(&format!("{e:#}")),
        };
        let code = emit(&commands::demo::describe(&running.info));
        if code != ExitCode::SUCCESS {
            return code;
        }
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(e) => return fail(&format!("cannot watch for SIGTERM: {e}")),
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        drop(running);
        ExitCode::SUCCESS
    })
}

fn console(cli: &Cli) -> ExitCode {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return fail("the console needs a terminal; for scripts use a subcommand (modeldeck --help)");
    }
    let loaded = config::load_or_defaults(&startup::load_options(cli, &process_env));
    let settings = startup::effective_settings(cli, &loaded);
    let mut state = State::new(startup::session(&settings, &process_env), settings.ui.start_view.0);
    state.config_warnings = loaded.warnings.clone();
    state.config_error = loaded.error.as_ref().map(ToString::to_string);
    let _log_guard = match init_logging(settings.logging.level.as_str()) {
        Ok(guard) => Some(guard),
        Err(e) => {
            state.config_warnings.push(format!("no log file: {e}"));
            None
        }
    };
    let mut config = loaded.config;
    config.settings = settings;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let kube = startup::kube_config(cli, &config.settings, &process_env);
    let (metrics, metrics_state) = startup::metrics(&config.settings, &process_env);
    state.metrics = metrics_state;
    state.alerts = startup::alerts_state(&config.settings);
    let watch = metrics.is_some().then(|| modeldeck::app::metrics_watch::WatchSetup {
        settings: config.settings.clone(),
        kube: kube.clone(),
        namespace: state.session.namespace.clone(),
    });
    match runtime.block_on(tui::run(state, &config, kube, metrics, watch)) {
        Ok(Exit::Quit) => ExitCode::SUCCESS,
        Ok(Exit::Signal(name)) => {
            tracing::info!("stopped by {name}");
            warn(&format!("stopped by {name}"));
            ExitCode::from(1)
        }
        Ok(Exit::TerminalLost) => ExitCode::from(1),
        Err(e) => fail(&format!("{e:#}")),
    }
}

/// Logs go to a file: the terminal belongs to the console.
fn init_logging(level: &str) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    let file = startup::log_file(&process_env);
    let dir = file.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::never(dir, startup::LOG_FILE);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("MODELDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| e.to_string())?;
    tracing::info!("modeldeck {} starting", env!("CARGO_PKG_VERSION"));
    Ok(guard)
}
