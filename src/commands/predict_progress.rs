//! What a long `modeldeck predict` shows and hears while it runs: a
//! progress bar on stderr when that is a terminal, and SIGINT/SIGTERM
//! taken as "stop after the batch in flight".

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::backends::predict_input::Rows;
use crate::backends::prediction::Summary;

/// Rows/s and ETA over what the input can tell: its rows, else its bytes.
pub struct Progress {
    bar: Option<ProgressBar>,
    by_bytes: bool,
}

impl Progress {
    /// A bar only when stderr is a terminal and stdout is not that same
    /// terminal receiving rows (a bar through printed rows is noise).
    pub fn start(rows: &dyn Rows, rows_on_stdout: bool) -> Progress {
        let wanted = std::io::stderr().is_terminal() && !(rows_on_stdout && std::io::stdout().is_terminal());
        if !wanted {
            return Progress {
                bar: None,
                by_bytes: false,
            };
        }
        let (bar, by_bytes) = match (rows.total_rows(), rows.bytes()) {
            (Some(total), _) => (ProgressBar::new(total as u64), false),
            (None, Some((_, size))) => (ProgressBar::new(size), true),
            (None, None) => (ProgressBar::no_length(), false),
        };
        // Over SSH a bar redrawn 20 times a second is bandwidth: 4 is enough.
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        // The bar takes what the terminal's width leaves, so 80 columns
        // never wrap.
        let template = if by_bytes {
            "{wide_bar} {percent:>3}%  {msg}  eta {eta}"
        } else {
            "{wide_bar} {pos}/{len} rows  {per_sec}  eta {eta}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress {
            bar: Some(bar),
            by_bytes,
        }
    }

    pub fn update(&self, done: &Summary) {
        let Some(bar) = &self.bar else { return };
        if self.by_bytes {
            if let Some((read, _)) = done.read {
                bar.set_position(read);
            }
            let secs = bar.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{} rows  {:.0} rows/s", done.rows, done.rows as f64 / secs));
        } else {
            bar.set_position(done.rows as u64);
        }
    }

    /// Clears the bar so the summary that follows stands alone.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The first SIGINT or SIGTERM asks the run to stop between batches; a
/// second one ends the process at once (status 130), as an operator
/// expects of a second ctrl-c. The pattern is signal-hook's own
/// (`flag::register_conditional_shutdown` before `flag::register`).
pub struct StopSignal(Arc<AtomicUsize>);

impl StopSignal {
    pub fn listen() -> StopSignal {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let caught = Arc::new(AtomicUsize::new(0));
        let once = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            // Registration fails only for forbidden signals; these are not.
            let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, once.clone());
            let _ = signal_hook::flag::register(signal, once.clone());
            let _ = signal_hook::flag::register_usize(signal, caught.clone(), signal as usize);
        }
        StopSignal(caught)
    }

    /// The signal's name once one has come.
    pub fn caught(&self) -> Option<&'static str> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            n if n == signal_hook::consts::SIGTERM as usize => Some("SIGTERM"),
            _ => Some("SIGINT"),
        }
    }
}
