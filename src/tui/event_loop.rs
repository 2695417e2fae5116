//! The event loop. Keys are read on their own thread; effect answers come
//! from tokio tasks; both arrive as messages. The loop drains what is
//! waiting, runs `update`, and redraws only when something changed, at most
//! `frame_rate` times a second. It never waits on the network.
//!
//! However it ends (quit, a signal, the terminal gone), a dialog nobody
//! answered is declined and the actions already confirmed get to finish and
//! write their audit line, within a deadline, before it returns.

use std::io::Write;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until};

use super::terminal;
use crate::app::effects::EffectRunner;
use crate::app::{Action, State, keys, update};
use crate::config::Config;
use crate::ops::op::OpsConfig;
use crate::ui::{self, Glyphs, Ui};

/// Most terminal events handled before a redraw, so a paste or key repeat
/// cannot starve the screen.
const EVENT_BATCH: usize = 64;

/// The cluster client's own request timeout when none is configured.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the console stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// SIGTERM, SIGINT or SIGHUP (the SSH session went away).
    Signal(&'static str),
    /// The terminal stopped answering.
    TerminalLost,
}

pub async fn run(
    mut state: State,
    config: &Config,
    kube: OpsConfig,
    metrics: Option<std::sync::Arc<crate::backends::metrics::MetricsBackend>>,
    watch: Option<crate::app::metrics_watch::WatchSetup>,
) -> anyhow::Result<Exit> {
    let mut guard = terminal::enter()?;
    let size = guard.terminal.size()?;
    state.size = (size.width, size.height);
    state.clock = Some(local_now());

    let (answers_tx, mut answers) = mpsc::unbounded_channel();
    let kube_timeout = kube.target.timeout;
    let runner = EffectRunner::new(answers_tx, kube, metrics, watch);
    let mut events = spawn_input_thread();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;

    for effect in update::init(&mut state) {
        runner.spawn(effect);
    }
    let ui = Ui {
        theme: &config.theme,
        keymap: &config.keymap,
        glyphs: Glyphs::new(config.settings.ui.ascii),
    };
    let frame_budget = Duration::from_secs(1) / u32::from(config.settings.ui.frame_rate.max(1));
    let mut clock = interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut next_frame = Instant::now();

    let exit = loop {
        if dirty && Instant::now() >= next_frame {
            if guard.terminal.draw(|frame| ui::draw(frame, &state, &ui)).is_err() {
                break Exit::TerminalLost;
            }
            dirty = false;
            next_frame = Instant::now() + frame_budget;
            // Scrolling stops at the last line the frame drew.
            let measured = ui::measure(&state, &ui, state.size);
            if measured != state.measured {
                apply(&mut state, &runner, Action::Measured(measured));
            }
        }
        if state.quit {
            break Exit::Quit;
        }
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break Exit::TerminalLost };
                dirty |= handle_event(&mut state, config, &runner, event);
                for _ in 1..EVENT_BATCH {
                    match events.try_recv() {
                        Ok(event) => dirty |= handle_event(&mut state, config, &runner, event),
                        Err(_) => break,
                    }
                }
            }
            Some(action) = answers.recv() => {
                dirty |= apply(&mut state, &runner, action);
            }
            _ = clock.tick() => {
                dirty |= apply(&mut state, &runner, Action::Tick(local_now()));
            }
            _ = sleep_until(next_frame), if dirty => {}
            _ = sigterm.recv() => break Exit::Signal("SIGTERM"),
            _ = sigint.recv() => break Exit::Signal("SIGINT"),
            _ = sighup.recv() => break Exit::Signal("SIGHUP"),
        }
    };
    if exit == Exit::TerminalLost {
        tracing::info!("the terminal went away");
    }
    // From here on no key is read and nothing new starts. A dialog nobody
    // answered is declined, which audits it as cancelled.
    if state.rollouts.pending.is_some() {
        apply(&mut state, &runner, Action::Decline);
    }
    drop(guard);
    // Background loops stop at their next answer, so the guard's watch
    // starts no rollback while the actions below finish.
    drop(answers);
    let_actions_finish(&runner, action_deadline(kube_timeout), [&mut sigint, &mut sigterm]).await;
    Ok(exit)
}

/// Waits, up to `deadline`, for the confirmed and declined actions still
/// running, so each writes its audit line before the process exits. A
/// ctrl-c or SIGTERM meanwhile stops the wait; what is still running then
/// is logged and named on stderr.
async fn let_actions_finish(runner: &EffectRunner, deadline: Duration, [sigint, sigterm]: [&mut Signal; 2]) {
    let waiting = runner.actions_running();
    if waiting.is_empty() {
        return;
    }
    tracing::info!("waiting up to {deadline:?} for {} to finish", waiting.join("; "));
    // Seen after a quit; a lost terminal takes the message with it.
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "modeldeck: waiting for confirmed actions to finish (ctrl-c stops waiting):"
    );
    for plan in &waiting {
        let _ = writeln!(stderr, "  {plan}");
    }
    let unfinished = tokio::select! {
        unfinished = runner.finish_actions(deadline) => unfinished,
        _ = sigint.recv() => runner.actions_running(),
        _ = sigterm.recv() => runner.actions_running(),
    };
    for plan in unfinished {
        tracing::warn!("{plan}: still running at exit; its outcome is not in the audit log");
        let _ = writeln!(stderr, "modeldeck: still running at exit, check the cluster: {plan}");
    }
}

/// How long confirmed actions may take to finish on the way out: a plan's
/// writes each end within the request timeout, and most plans write once
/// or twice.
fn action_deadline(request_timeout: Option<Duration>) -> Duration {
    2 * request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT)
}

/// Runs `update` and hands its effects to the runner. Returns true: an
/// action may have changed what is shown, so a redraw is due (bounded by the
/// frame budget); keys bound to nothing never get here.
fn apply(state: &mut State, runner: &EffectRunner, action: Action) -> bool {
    for effect in update(state, action) {
        runner.spawn(effect);
    }
    true
}

fn handle_event(state: &mut State, config: &Config, runner: &EffectRunner, event: Event) -> bool {
    match event {
        Event::Key(key) => match keys::resolve(state, &config.keymap, &key) {
            Some(action) => apply(state, runner, action),
            None => false,
        },
        Event::Resize(width, height) => apply(state, runner, Action::Resize(width, height)),
        _ => false,
    }
}

/// Reads terminal events on a thread of its own (crossterm's reads block).
/// The thread ends when the loop stops listening or the terminal fails.
fn spawn_input_thread() -> UnboundedReceiver<Event> {
    let (tx, rx): (UnboundedSender<Event>, _) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            match event::poll(Duration::from_millis(200)) {
                Ok(true) => match event::read() {
                    Ok(event) => {
                        if tx.send(event).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                },
                Ok(false) if tx.is_closed() => return,
                Ok(false) => {}
                Err(_) => return,
            }
        }
    });
    rx
}

fn local_now() -> jiff::Zoned {
    jiff::Zoned::now()
}
