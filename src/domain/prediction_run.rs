//! A prediction run as the console keeps it: the input it read, the
//! report, and the first rows of its answers to show. Plain data.

use std::path::PathBuf;

use super::prediction::{Batch, Ran, Summary, row_abs_diff};
use crate::text::Clean;

/// Where a prediction's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSource {
    File(PathBuf),
    /// A named sample: NAME.json in the samples folder.
    Sample(String),
    /// `rows` rows of standard normal draws, from `seed`.
    Random {
        rows: usize,
        seed: u64,
    },
}

impl InputSource {
    /// How the input is named in messages and reports.
    pub fn words(&self) -> String {
        match self {
            InputSource::File(path) => path.display().to_string(),
            InputSource::Sample(name) => format!("sample {name}"),
            InputSource::Random { seed, .. } => format!("random draws (seed {seed})"),
        }
    }
}

/// A row's values as a table cell shows them: up to four, 4 decimals,
/// then how many more ("+6"), in ASCII for any terminal.
pub fn values_words(values: &[f64]) -> String {
    let mut words: Vec<String> = values.iter().take(4).map(|v| format!("{v:.4}")).collect();
    if values.len() > 4 {
        words.push(format!("+{}", values.len() - 4));
    }
    words.join(" ")
}

/// A run's models in words: "A vs B" (the status line, the log, titles).
pub fn vs_words(labels: &[Clean]) -> String {
    labels.iter().map(Clean::as_str).collect::<Vec<_>>().join(" vs ")
}

/// Rows of a run the console keeps to show; the report covers them all.
pub const SHOWN_ROWS: usize = 1000;

/// One input row's answers: per model, its first output's values.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownRow {
    /// 1-based, as the input numbers it.
    pub row: usize,
    pub values: Vec<Vec<f64>>,
    /// |A - B| when two models ran.
    pub diff: Option<f64>,
}

/// A finished run: which models (A, B), on what, how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub labels: Vec<Clean>,
    pub input: String,
    pub summary: Summary,
    /// The first [`SHOWN_ROWS`] rows.
    pub rows: Vec<ShownRow>,
}

impl RunReport {
    pub fn new(labels: Vec<Clean>, input: String, summary: Summary) -> RunReport {
        RunReport {
            labels,
            input,
            summary,
            rows: Vec::new(),
        }
    }

    /// Keeps the batch's rows while fewer than [`SHOWN_ROWS`] are kept.
    pub fn keep(&mut self, batch: &Batch, answers: &[Ran]) {
        let room = SHOWN_ROWS.saturating_sub(self.rows.len()).min(batch.rows);
        for r in 0..room {
            let values = answers
                .iter()
                .map(|ran| ran.outputs.first().map(|o| o.row(r).to_vec()).unwrap_or_default())
                .collect();
            let diff = match answers {
                [a, b] => a
                    .outputs
                    .first()
                    .zip(b.outputs.first())
                    .map(|(a, b)| row_abs_diff(a, b, r)),
                _ => None,
            };
            self.rows.push(ShownRow {
                row: batch.first_row + r + 1,
                values,
                diff,
            });
        }
    }
}
