//! Predictions as plain data: rows going in, values coming out, and the
//! report that compares two versions on the same rows. No IO.

use std::time::Duration;

use crate::text::Clean;

/// Rows for a model, validated against its signature: per input (in the
/// signature's order), the values of `rows` rows, flattened row-major.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    /// The number (0-based) of the first row in the whole input, so output
    /// rows can say which input row they answer.
    pub first_row: usize,
    pub rows: usize,
    pub inputs: Vec<Vec<f32>>,
}

/// One output of one run: `per_row` values for each row.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputValues {
    pub name: Clean,
    pub per_row: usize,
    pub values: Vec<f64>,
}

impl OutputValues {
    pub fn row(&self, row: usize) -> &[f64] {
        let start = row * self.per_row;
        self.values.get(start..start + self.per_row).unwrap_or(&[])
    }
}

/// What a run of one batch gave, and how long the runtime took.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub rows: usize,
    pub outputs: Vec<OutputValues>,
    pub elapsed: Duration,
}

/// Latency of a whole prediction: per call and per row.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Latency {
    pub calls: usize,
    pub rows: usize,
    pub total: Duration,
}

impl Latency {
    pub fn add(&mut self, ran: &Ran) {
        self.calls += 1;
        self.rows += ran.rows;
        self.total += ran.elapsed;
    }

    pub fn per_call_ms(&self) -> f64 {
        ms(self.total) / self.calls.max(1) as f64
    }

    pub fn per_row_ms(&self) -> f64 {
        ms(self.total) / self.rows.max(1) as f64
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The threshold two versions' scores are compared at, unless asked.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// How two versions differ on the same rows, from their first outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub rows: usize,
    pub threshold: f64,
    /// Rows whose decision is the same: both scores on the same side of the
    /// threshold (one value per row), or the same largest class.
    pub agreeing: usize,
    pub max_abs_diff: f64,
    pub mean_abs_diff: f64,
    /// (row, |a - b| at its largest in that row), largest first.
    pub most_different: Vec<(usize, f64)>,
}

impl Agreement {
    /// This report and the next batch's, as one over all their rows.
    pub fn merge(self, next: &Agreement, top: usize) -> Agreement {
        let values_a = self.mean_abs_diff * self.rows as f64;
        let values_b = next.mean_abs_diff * next.rows as f64;
        let rows = self.rows + next.rows;
        let mut most_different = self.most_different;
        most_different.extend_from_slice(&next.most_different);
        most_different.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        most_different.truncate(top);
        Agreement {
            rows,
            threshold: self.threshold,
            agreeing: self.agreeing + next.agreeing,
            max_abs_diff: self.max_abs_diff.max(next.max_abs_diff),
            mean_abs_diff: if rows == 0 {
                0.0
            } else {
                (values_a + values_b) / rows as f64
            },
            most_different,
        }
    }

    pub fn rate(&self) -> f64 {
        if self.rows == 0 {
            return 1.0;
        }
        self.agreeing as f64 / self.rows as f64
    }
}

/// Why two runs cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error("expected outputs of the same shape, found {a} values per row against {b}")]
    Shape { a: usize, b: usize },
    #[error("expected answers for the same rows, found {a} against {b}")]
    Rows { a: usize, b: usize },
}

/// The decision a row's values make: above the threshold or not for one
/// value, else the index of the largest.
/// Whether two models' answers for one row lead to the same decision.
pub fn agrees(a: &[f64], b: &[f64], threshold: f64) -> bool {
    decision(a, threshold) == decision(b, threshold)
}

fn decision(values: &[f64], threshold: f64) -> usize {
    match values {
        [one] => usize::from(*one >= threshold),
        many => many
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i),
    }
}

/// The largest |a - b| in one row: the row's difference in every report.
pub fn row_abs_diff(a: &OutputValues, b: &OutputValues, row: usize) -> f64 {
    a.row(row)
        .iter()
        .zip(b.row(row))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f64, f64::max)
}

/// Compares `a` and `b` row by row; the `top` rows that differ most are kept.
pub fn compare(a: &OutputValues, b: &OutputValues, threshold: f64, top: usize) -> Result<Agreement, CompareError> {
    if a.per_row != b.per_row {
        return Err(CompareError::Shape {
            a: a.per_row,
            b: b.per_row,
        });
    }
    if a.values.len() != b.values.len() {
        let rows = |o: &OutputValues| o.values.len() / o.per_row.max(1);
        return Err(CompareError::Rows { a: rows(a), b: rows(b) });
    }
    let rows = a.values.len() / a.per_row.max(1);
    let mut agreeing = 0;
    let mut sum = 0.0;
    let mut max = 0.0f64;
    let mut per_row = Vec::with_capacity(rows);
    for row in 0..rows {
        let (ra, rb) = (a.row(row), b.row(row));
        if agrees(ra, rb, threshold) {
            agreeing += 1;
        }
        let diff = row_abs_diff(a, b, row);
        sum += ra.iter().zip(rb).map(|(x, y)| (x - y).abs()).sum::<f64>();
        max = max.max(diff);
        per_row.push((row, diff));
    }
    per_row.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    per_row.truncate(top);
    Ok(Agreement {
        rows,
        threshold,
        agreeing,
        max_abs_diff: max,
        mean_abs_diff: if a.values.is_empty() {
            0.0
        } else {
            sum / a.values.len() as f64
        },
        most_different: per_row,
    })
}

/// How a run went: per model its latency, and for two models how they
/// agreed, over every row done.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    pub rows: usize,
    pub latency: Vec<Latency>,
    pub agreement: Option<Agreement>,
    /// True when the caller stopped before the input's end.
    pub stopped: bool,
    /// (bytes read, file size) of a streamed file, after the last batch.
    pub read: Option<(u64, u64)>,
}

impl Latency {
    /// "12 rows, 1 call, 0.210 ms/call, 0.0175 ms/row".
    pub fn words(&self) -> String {
        format!(
            "{}, {}, {:.3} ms/call, {:.4} ms/row",
            crate::text::count(self.rows, "row", "rows"),
            crate::text::count(self.calls, "call", "calls"),
            self.per_call_ms(),
            self.per_row_ms(),
        )
    }
}

impl Agreement {
    /// "agreement at 0.5: 31/32 rows (96.9%), max |diff| 0.4410, mean |diff| 0.0320".
    pub fn words(&self) -> String {
        format!(
            "agreement at {}: {}/{} rows ({:.1}%), max |diff| {:.4}, mean |diff| {:.4}",
            self.threshold,
            self.agreeing,
            self.rows,
            self.rate() * 100.0,
            self.max_abs_diff,
            self.mean_abs_diff
        )
    }

    /// "rows that differ most: 17 (0.8600), 3 (0.4100)", rows 1-based,
    /// with as many rows as fit in `width` characters (at least one).
    pub fn most_different_words(&self, width: usize) -> String {
        let mut out = String::from("rows that differ most:");
        for (i, (row, diff)) in self.most_different.iter().enumerate() {
            let piece = format!("{} {} ({diff:.4})", if i == 0 { "" } else { "," }, row + 1);
            if i > 0 && out.chars().count() + piece.chars().count() > width {
                break;
            }
            out.push_str(&piece);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn out(per_row: usize, values: &[f64]) -> OutputValues {
        OutputValues {
            name: Clean::new("output"),
            per_row,
            values: values.to_vec(),
        }
    }

    #[test]
    fn agreement_counts_decisions_and_names_the_rows_that_differ_most() {
        let a = out(1, &[0.9, 0.2, 0.51, 0.1]);
        let b = out(1, &[0.8, 0.3, 0.49, 0.1]);
        let report = compare(&a, &b, 0.5, 2).unwrap();
        assert_eq!(report.rows, 4);
        assert_eq!(report.agreeing, 3, "row 2 crosses the threshold");
        assert!((report.rate() - 0.75).abs() < 1e-12);
        assert!((report.max_abs_diff - 0.1).abs() < 1e-12);
        assert!((report.mean_abs_diff - 0.22 / 4.0).abs() < 1e-12);
        assert_eq!(report.most_different.iter().map(|r| r.0).collect::<Vec<_>>(), [0, 1]);
        let high = compare(&a, &b, 0.85, 4).unwrap();
        assert_eq!(high.agreeing, 3, "row 0: 0.9 against 0.8 at 0.85");
    }

    #[test]
    fn classes_agree_on_the_largest_and_shapes_must_match() {
        let a = out(3, &[0.1, 0.7, 0.2, 0.5, 0.4, 0.1]);
        let b = out(3, &[0.2, 0.6, 0.2, 0.3, 0.6, 0.1]);
        assert_eq!(compare(&a, &b, 0.5, 1).unwrap().agreeing, 1);
        assert_eq!(
            compare(&a, &out(1, &[0.1, 0.2]), 0.5, 1),
            Err(CompareError::Shape { a: 3, b: 1 })
        );
        assert_eq!(
            compare(&a, &out(3, &[0.1, 0.2, 0.3]), 0.5, 1),
            Err(CompareError::Rows { a: 2, b: 1 })
        );
    }
}
