use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use modeldeck::app::State;
use modeldeck::app::alerts::AlertsState;
use modeldeck::app::metrics::MetricsState;
use modeldeck::app::shared::Session;
use modeldeck::backends::kube::Connection;
use modeldeck::backends::predict_input::InputSource;
use modeldeck::cli::{BlueGreenCommand, CanaryCommand, Cli, Command, ShadowCommand};
use modeldeck::commands::CliError;
use modeldeck::config::paths::process_env;
use modeldeck::domain::operation::OpKind;
use modeldeck::ops::bluegreen;
use modeldeck::ops::op::RolloutOp;
use modeldeck::tui::event_loop::Exit;
use modeldeck::{commands, config, startup, tui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Info) => info(&cli),
        Some(Command::Models { output }) => models(&cli, *output),
        Some(Command::Status {
            deployment,
            watch,
            output,
            all_namespaces,
        }) => status(
            &with_all_namespaces(&cli, *all_namespaces),
            deployment.as_deref(),
            *watch,
            *output,
        ),
        Some(Command::History { deployment, output }) => kube_command(&cli, |conn, _| async move {
            Ok((commands::rollouts::history_of(&conn, deployment, *output).await?, true))
        }),
        Some(Command::Rollback {
            deployment,
            to_revision,
            yes,
        }) => operate(&cli, deployment, OpKind::Rollback(*to_revision), *yes),
        Some(Command::Bluegreen { command }) => match command {
            BlueGreenCommand::Status { output } => kube_command(&cli, |conn, _| async move {
                let sides = bluegreen::sides(&conn).await?;
                Ok((commands::rollouts::sides_output(&sides, *output), true))
            }),
            BlueGreenCommand::Switch { service, to, yes } => {
                let kind = OpKind::BlueGreenSwitch {
                    service: service.clone(),
                    version: to.clone(),
                };
                operate(&cli, service, kind, *yes)
            }
            BlueGreenCommand::Back { service, yes } => {
                let kind = OpKind::BlueGreenBack {
                    service: service.clone(),
                };
                operate(&cli, service, kind, *yes)
            }
        },
        Some(Command::Canary { command }) => canary(&cli, command),
        Some(Command::Shadow { command }) => match command {
            ShadowCommand::On {
                deployment,
                percent,
                yes,
            } => operate(&cli, deployment, OpKind::ShadowOn(*percent), *yes),
            ShadowCommand::Off { deployment, yes } => operate(&cli, deployment, OpKind::ShadowOff, *yes),
        },
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
            let request = |namespace| commands::plot::PlotRequest {
                panel: panel.clone(),
                stat: stat.clone(),
                range: range.clone(),
                out: out.clone(),
                namespace,
                deployment: deployment.clone(),
                collect: collect.clone(),
            };
            plot(&cli, request)
        }
        Some(Command::Guard) => guard(&cli),
        Some(Command::Inspect { model, output }) => inspect(&cli, model, *output),
        Some(Command::Predict {
            model,
            compare,
            input,
            sample,
            random,
            seed,
            batch_size,
            threads,
            threshold,
            output,
            out,
        }) => {
            let source = match (input, sample, random) {
                (Some(path), _, _) => InputSource::File(path.clone()),
                (_, Some(name), _) => InputSource::Sample(name.clone()),
                (_, _, n) => InputSource::Random {
                    rows: usize::try_from(n.unwrap_or(1)).unwrap_or(usize::MAX),
                    seed: *seed,
                },
            };
            let size = |n: &Option<u64>| n.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
            let request = commands::predict::PredictRequest {
                model: model.clone(),
                compare: compare.clone(),
                source,
                batch_size: size(batch_size),
                threads: size(threads),
                threshold: *threshold,
                output: *output,
                out: out.clone(),
            };
            predict(&cli, &request)
        }
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "modeldeck", &mut script);
            emit(&String::from_utf8_lossy(&script))
        }
        None => console(&cli),
    }
}

/// The one way a runtime is made: every worker by default, or `workers`.
fn runtime(workers: Option<usize>) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = workers {
        builder.worker_threads(workers);
    }
    builder
        .enable_all()
        .build()
        .map_err(|e| fail(&format!("cannot start the async runtime: {e}")))
}

/// Runs `work` to its exit on a runtime of its own.
fn on_runtime(work: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match runtime(None) {
        Ok(runtime) => runtime.block_on(work),
        Err(code) => code,
    }
}

/// The settings a subcommand runs with: a configuration error falls back
/// to the built-in defaults with a warning (`strict` makes it the exit).
fn settings(cli: &Cli, strict: bool) -> Result<modeldeck::config::Settings, ExitCode> {
    let options = startup::load_options(cli, &process_env);
    let loaded = if strict {
        config::load(&options).map_err(|e| fail(&format!("configuration error: {e}")))?
    } else {
        let loaded = config::load_or_defaults(&options);
        if let Some(e) = &loaded.error {
            warn(&format!("configuration error, using built-in defaults: {e}"));
        }
        loaded
    };
    Ok(startup::effective_settings(cli, &loaded))
}

fn info(cli: &Cli) -> ExitCode {
    match commands::info::report(cli, &process_env) {
        Ok(report) => emit(&report),
        Err(e) => fail(&format!("configuration error: {e}")),
    }
}

fn models(cli: &Cli, output: modeldeck::cli::Output) -> ExitCode {
    let settings = match settings(cli, false) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    match commands::models::list(&settings.registry.path, output) {
        Ok((text, problems)) => {
            for problem in problems {
                warn(&problem);
            }
            emit(&text)
        }
        Err(e) => fail(&e),
    }
}

fn inspect(cli: &Cli, model: &str, output: modeldeck::cli::Output) -> ExitCode {
    let settings = match settings(cli, false) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    match commands::predict::inspect(model, &settings.registry.path, output) {
        Ok(text) => emit(&text),
        Err(e) => fail(&e),
    }
}

fn predict(cli: &Cli, request: &commands::predict::PredictRequest) -> ExitCode {
    let settings = match settings(cli, false) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    match commands::predict::predict(request, &settings.registry.path, &settings.predict) {
        Ok(finished) => {
            // The report follows a table; it goes to stderr when stdout
            // carries data for a program (CSV, JSON, or rows in --out).
            let code = if request.out.is_none() && request.output == modeldeck::cli::PredictOutput::Table {
                emit(&format!("\n{}", finished.report))
            } else {
                let _ = std::io::stderr().write_all(finished.report.as_bytes());
                ExitCode::SUCCESS
            };
            match finished.stop_words() {
                Some(words) => fail(&words),
                None => code,
            }
        }
        Err(e) => fail(&e),
    }
}

fn status(cli: &Cli, deployment: Option<&str>, watch: bool, output: modeldeck::cli::Output) -> ExitCode {
    kube_command(cli, |conn, _| async move {
        match (deployment, watch) {
            (Some(name), true) => {
                let done = commands::rollouts::watch_status(&conn, name, |line| {
                    let _ = writeln!(std::io::stdout(), "{line}");
                })
                .await?;
                Ok((String::new(), done))
            }
            (None, true) => Err(CliError::Failed("--watch needs a deployment name".into())),
            (name, false) => Ok((commands::rollouts::status(&conn, name, output).await?, true)),
        }
    })
}

fn plot(cli: &Cli, request: impl FnOnce(String) -> commands::plot::PlotRequest) -> ExitCode {
    let settings = match settings(cli, true) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let request = request(settings.kubernetes.namespace_or_default());
    on_runtime(async {
        let env = |name: &str| std::env::var(name).ok();
        let mut note = |line: &str| warn(line);
        match commands::plot::plot(&settings, &request, &env, &mut note).await {
            Ok(report) => emit(&report),
            Err(commands::plot::PlotError::Usage(e)) => usage_error("plot", &e),
            Err(commands::plot::PlotError::Failed(e)) => fail(&e),
        }
    })
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
    Fut: std::future::Future<Output = Result<(String, bool), CliError>> + 'a,
{
    let settings = match settings(cli, false) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
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
    on_runtime(async {
        match modeldeck::backends::kube::connect(&target).await {
            Ok(conn) => work(conn).await,
            Err(e) => fail(&e.to_string()),
        }
    })
}

/// `modeldeck guard`: strict configuration, a connection, then the watch
/// until SIGTERM or ctrl-c. Each line goes to stdout as it happens.
fn guard(cli: &Cli) -> ExitCode {
    let settings = match settings(cli, true) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    connected(cli, &settings, |conn| async {
        let ctx = startup::ops_config(cli, &settings, &process_env).context(conn);
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

/// Runs the operation `kind` on `deployment` (or the Service it names)
/// through `ops`, built where the console and the guard build theirs.
fn operate(cli: &Cli, deployment: &str, kind: OpKind, yes: bool) -> ExitCode {
    kube_command(cli, |conn, settings| async move {
        let config = startup::ops_config(cli, &settings, &process_env);
        let op = RolloutOp::new(&kind, deployment, &config.settings);
        let summary = commands::ops_cli::run(&config.context(conn), &op, yes).await?;
        Ok((format!("{summary}\n"), true))
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

fn canary(cli: &Cli, command: &CanaryCommand) -> ExitCode {
    let (deployment, kind, yes) = match command {
        CanaryCommand::Status { deployment, output } => {
            return kube_command(cli, |conn, settings| async move {
                let rollout = settings.rollouts.get(deployment);
                let text = commands::rollouts::canary_status(&conn, deployment, rollout, *output).await?;
                Ok((text, true))
            });
        }
        CanaryCommand::Set {
            deployment,
            percent,
            yes,
        } => (deployment, OpKind::CanarySet(*percent), *yes),
        CanaryCommand::Step { deployment, yes } => (deployment, OpKind::CanaryStep, *yes),
        CanaryCommand::Abort { deployment, yes } => (deployment, OpKind::CanaryAbort, *yes),
        CanaryCommand::Promote { deployment, yes } => (deployment, OpKind::CanaryPromote, *yes),
    };
    operate(cli, deployment, kind, yes)
}

/// The simulated world on a runtime of its own, and the console attached
/// to it through the config file the world wrote.
fn demo_console(cli: &Cli, opts: &commands::demo::DemoOptions) -> ExitCode {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return fail("the console needs a terminal; for a headless world use modeldeck demo --serve");
    }
    let runtime = match runtime(Some(1)) {
        Ok(runtime) => runtime,
        Err(code) => return code,
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
    on_runtime(async {
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
    let session = Session::new(&settings, startup::audit_file(&process_env));
    let mut state = State::new(session, settings.ui.start_view.0);
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
    let kube = startup::ops_config(cli, &config.settings, &process_env);
    let (metrics, metrics_state) =
        MetricsState::with_source(&config.settings.metrics, &|name| std::env::var(name).ok());
    state.metrics = metrics_state;
    state.alerts = AlertsState::for_settings(&config.settings);
    state.predict = modeldeck::app::predict::PredictState::for_settings(&config.settings.predict);
    let watch = metrics.is_some().then(|| modeldeck::app::metrics_watch::WatchSetup {
        settings: config.settings.clone(),
        kube: kube.clone(),
        namespace: state.session.namespace.to_string(),
    });
    let runtime = match runtime(None) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
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
