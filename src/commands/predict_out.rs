//! How `modeldeck predict` writes rows: a table, CSV, JSON lines, or one
//! JSON document. Every row carries its input row number (1-based), so
//! shards of one input can be merged.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::backends::prediction::Runnable;
use crate::cli::PredictOutput;
use crate::domain::prediction::{Batch, Ran, row_abs_diff};
use crate::domain::prediction_run::values_words;

/// The models' labels, made distinct when one model is compared with itself.
pub struct Labels(Vec<String>);

impl Labels {
    pub fn of(models: &[Runnable]) -> Labels {
        let mut labels: Vec<String> = models.iter().map(|m| m.label.clone()).collect();
        if let [a, b] = labels.as_mut_slice()
            && a == b
        {
            b.push_str("#2");
        }
        Labels(labels)
    }
}

pub trait RowWriter {
    fn rows(&mut self, batch: &Batch, answers: &[Ran]) -> Result<(), String>;
    /// After the last row; `report` is the run's summary as JSON.
    fn finish(&mut self, summary: &crate::backends::prediction::Summary, report: &Value) -> Result<(), String>;
}

fn io(e: std::io::Error) -> String {
    format!("cannot write predictions: {e}")
}

/// `--out FILE` ends in .csv or .jsonl: checked before anything is made.
pub fn check_out(path: &Path) -> Result<(), String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("csv" | "jsonl") => Ok(()),
        _ => Err(format!(
            "--out {}: expected a file ending in .csv or .jsonl",
            path.display()
        )),
    }
}

/// `--out FILE`: .csv or .jsonl by its extension.
pub fn writer_for(path: &Path, labels: Labels, out: Box<dyn Write>) -> Result<Box<dyn RowWriter>, String> {
    check_out(path)?;
    Ok(match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => Box::new(Csv::new(labels, out)),
        _ => Box::new(Json {
            labels,
            out,
            lines: true,
            first: true,
        }),
    })
}

pub fn stdout_writer(output: PredictOutput, labels: Labels, out: Box<dyn Write>) -> Box<dyn RowWriter> {
    match output {
        PredictOutput::Table => Box::new(Table {
            labels,
            out,
            header: false,
        }),
        PredictOutput::Csv => Box::new(Csv::new(labels, out)),
        PredictOutput::Json => Box::new(Json {
            labels,
            out,
            lines: false,
            first: true,
        }),
    }
}

/// A value as text: a float32's own shortest form (0.16559458, not the
/// f64 widening 0.16559457778930664), else the f64's.
fn number_text(v: f64) -> String {
    let narrow = v as f32;
    if f64::from(narrow) == v {
        narrow.to_string()
    } else {
        v.to_string()
    }
}

/// The same value as JSON: the f64 nearest the short text prints as that
/// text again, so JSON and CSV carry the same digits.
fn number(v: f64) -> Value {
    number_text(v).parse::<f64>().map_or(Value::Null, |v| json!(v))
}

/// Each row's difference between two models, when there are two.
fn diff(answers: &[Ran], row: usize) -> Option<f64> {
    match answers {
        [a, b] => Some(row_abs_diff(a.outputs.first()?, b.outputs.first()?, row)),
        _ => None,
    }
}

struct Table {
    labels: Labels,
    out: Box<dyn Write>,
    header: bool,
}

impl RowWriter for Table {
    fn rows(&mut self, batch: &Batch, answers: &[Ran]) -> Result<(), String> {
        let width = self.labels.0.iter().map(String::len).max().unwrap_or(0).max(10);
        if !self.header {
            self.header = true;
            let mut line = format!("{:>6}", "ROW");
            for label in &self.labels.0 {
                line.push_str(&format!("  {label:<width$}"));
            }
            if answers.len() == 2 {
                line.push_str("  |DIFF|");
            }
            writeln!(self.out, "{}", line.trim_end()).map_err(io)?;
        }
        for r in 0..batch.rows {
            let mut line = format!("{:>6}", batch.first_row + r + 1);
            for ran in answers {
                let values = ran.outputs.first().map(|o| o.row(r)).unwrap_or(&[]);
                line.push_str(&format!("  {:<width$}", values_words(values)));
            }
            if let Some(d) = diff(answers, r) {
                line.push_str(&format!("  {d:.4}"));
            }
            writeln!(self.out, "{}", line.trim_end()).map_err(io)?;
        }
        Ok(())
    }

    fn finish(&mut self, _: &crate::backends::prediction::Summary, _: &Value) -> Result<(), String> {
        self.out.flush().map_err(io)
    }
}

struct Csv {
    labels: Labels,
    out: csv::Writer<Box<dyn Write>>,
    header: bool,
}

impl Csv {
    fn new(labels: Labels, out: Box<dyn Write>) -> Csv {
        Csv {
            labels,
            out: csv::Writer::from_writer(out),
            header: false,
        }
    }
}

fn csv_error(e: csv::Error) -> String {
    format!("cannot write predictions: {e}")
}

impl RowWriter for Csv {
    fn rows(&mut self, batch: &Batch, answers: &[Ran]) -> Result<(), String> {
        if !self.header {
            self.header = true;
            let mut names = vec!["row".to_owned()];
            for (label, ran) in self.labels.0.iter().zip(answers) {
                for o in &ran.outputs {
                    if o.per_row == 1 {
                        names.push(format!("{label}:{}", o.name));
                    } else {
                        names.extend((0..o.per_row).map(|i| format!("{label}:{}[{i}]", o.name)));
                    }
                }
            }
            if answers.len() == 2 {
                names.push("abs_diff".into());
            }
            self.out.write_record(&names).map_err(csv_error)?;
        }
        let mut record = Vec::new();
        for r in 0..batch.rows {
            record.clear();
            record.push((batch.first_row + r + 1).to_string());
            for ran in answers {
                for o in &ran.outputs {
                    record.extend(o.row(r).iter().copied().map(number_text));
                }
            }
            if let Some(d) = diff(answers, r) {
                record.push(number_text(d));
            }
            self.out.write_record(&record).map_err(csv_error)?;
        }
        Ok(())
    }

    fn finish(&mut self, _: &crate::backends::prediction::Summary, _: &Value) -> Result<(), String> {
        self.out.flush().map_err(io)
    }
}

/// JSON lines (one row a line), or one document {"rows": [...], "report"}.
struct Json {
    labels: Labels,
    out: Box<dyn Write>,
    lines: bool,
    first: bool,
}

impl RowWriter for Json {
    fn rows(&mut self, batch: &Batch, answers: &[Ran]) -> Result<(), String> {
        for r in 0..batch.rows {
            let mut models = Map::new();
            for (label, ran) in self.labels.0.iter().zip(answers) {
                let outputs: Map<String, Value> = ran
                    .outputs
                    .iter()
                    .map(|o| (o.name.to_string(), o.row(r).iter().copied().map(number).collect()))
                    .collect();
                models.insert(label.clone(), Value::Object(outputs));
            }
            let mut row = json!({"row": batch.first_row + r + 1, "outputs": models});
            if let Some(d) = diff(answers, r) {
                row["abs_diff"] = number(d);
            }
            let lead = match (self.lines, self.first) {
                (true, _) => "",
                (false, true) => "{\"rows\": [\n",
                (false, false) => ",\n",
            };
            self.first = false;
            write!(self.out, "{lead}{row}").map_err(io)?;
            if self.lines {
                writeln!(self.out).map_err(io)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, _: &crate::backends::prediction::Summary, report: &Value) -> Result<(), String> {
        if !self.lines {
            let lead = if self.first { "{\"rows\": [" } else { "\n" };
            writeln!(self.out, "{lead}], \"report\": {report}}}").map_err(io)?;
        }
        self.out.flush().map_err(io)
    }
}
