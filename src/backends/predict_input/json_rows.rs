//! JSON inputs: an object of input name → rows (batch first), a list of
//! rows (objects of input name → one row, or bare rows of a one-input
//! model), a named sample (`{"input_name", "inputs": rows, ...}`); and JSON
//! lines, one row per line, streamed. A row is nested to the input's row
//! shape, or flat (row-major).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

use super::{InputError, Rows, Shapes, finite, open_read, row_words};
use crate::domain::prediction::Batch;

/// A .json file is parsed whole; larger inputs stream as .jsonl, .csv or .npy.
const MAX_JSON_BYTES: u64 = 256 << 20;

pub(super) fn open(path: &Path, shapes: Shapes, lines: bool) -> Result<Box<dyn Rows>, InputError> {
    let input = path.display().to_string();
    let (file, size) = open_read(path)?;
    if lines {
        return Ok(Box::new(JsonLines {
            input,
            shapes,
            reader: BufReader::new(CountingRead::lines(file)),
            line: 0,
            rows: 0,
            size,
        }));
    }
    if size > MAX_JSON_BYTES {
        return Err(InputError::Bad {
            input,
            at: String::new(),
            expected: "a .json file of at most 256 MiB (stream larger inputs as .jsonl, .csv or .npy)".into(),
            found: format!("{size} bytes"),
        });
    }
    let mut text = String::new();
    BufReader::new(file)
        .read_to_string(&mut text)
        .map_err(|e| InputError::Read {
            input: input.clone(),
            reason: e.to_string(),
        })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| InputError::Bad {
        input: input.clone(),
        at: format!("line {}, column {}: ", e.line(), e.column()),
        expected: "valid JSON".into(),
        found: syntax_words(&e),
    })?;
    let all = whole(&input, &shapes, &value)?;
    Ok(Box::new(InMemory { all, next: 0 }))
}

/// serde_json's words without the position, which the message gives first.
fn syntax_words(e: &serde_json::Error) -> String {
    let words = e.to_string();
    let words = words.split(" at line ").next().unwrap_or_default();
    format!("a syntax error: {}", crate::text::clean(words))
}

/// What is wrong at a place inside one row.
struct Misfit {
    at: String,
    expected: String,
    found: String,
}

fn found_words(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{:?}", crate::text::clean(s)),
        Value::Array(items) => format!("a list of {}", crate::text::count(items.len(), "item", "items")),
        Value::Object(_) => "an object".into(),
    }
}

fn number(value: &Value, at: &str) -> Result<f32, Misfit> {
    let misfit = |expected: &str, found: String| Misfit {
        at: at.to_owned(),
        expected: expected.to_owned(),
        found,
    };
    match value.as_f64() {
        Some(v) => finite(v).map_err(|found| misfit("a finite number", found)),
        None => Err(misfit("a number", found_words(value))),
    }
}

/// Appends one row, nested to `shape` or flat, to `out`.
fn row_values(value: &Value, shape: &[usize], out: &mut Vec<f32>) -> Result<(), Misfit> {
    let len: usize = shape.iter().product();
    if shape.len() > 1
        && let Some(flat) = value
            .as_array()
            .filter(|v| v.len() == len && v.first().is_some_and(Value::is_number))
    {
        for (i, v) in flat.iter().enumerate() {
            out.push(number(v, &format!("[{i}]"))?);
        }
        return Ok(());
    }
    nested(value, shape, &mut String::new(), out)
}

fn nested(value: &Value, shape: &[usize], at: &mut String, out: &mut Vec<f32>) -> Result<(), Misfit> {
    let Some((&n, rest)) = shape.split_first() else {
        out.push(number(value, at)?);
        return Ok(());
    };
    let expected = || format!("a list of {n} items");
    match value.as_array() {
        Some(items) if items.len() == n => {
            for (i, item) in items.iter().enumerate() {
                let mark = at.len();
                at.push_str(&format!("[{i}]"));
                nested(item, rest, at, out)?;
                at.truncate(mark);
            }
            Ok(())
        }
        _ => Err(Misfit {
            at: at.clone(),
            expected: expected(),
            found: found_words(value),
        }),
    }
}

/// Every row of a whole .json document, checked.
fn whole(input: &str, shapes: &Shapes, value: &Value) -> Result<Batch, InputError> {
    let bad = |at: String, expected: String, found: String| InputError::Bad {
        input: input.to_owned(),
        at,
        expected,
        found,
    };
    let by_input = |name: &str, rows: &Value, batch: &mut Batch| -> Result<usize, InputError> {
        let i = shapes.names.iter().position(|n| n == name).ok_or_else(|| {
            bad(
                String::new(),
                format!("keys that name inputs ({})", shapes.names.join(", ")),
                format!("{:?}", crate::text::clean(name)),
            )
        })?;
        let rows = rows
            .as_array()
            .ok_or_else(|| bad(format!("input {name:?}: "), "a list of rows".into(), found_words(rows)))?;
        for (r, row) in rows.iter().enumerate() {
            row_values(row, &shapes.row_shapes[i], &mut batch.inputs[i]).map_err(|m| misfit(input, r, name, m))?;
        }
        Ok(rows.len())
    };
    let mut batch = shapes.batch(0, 0);
    match value {
        Value::Object(object) if object.contains_key("inputs") && !shapes.names.iter().any(|n| n == "inputs") => {
            let name = match object.get("input_name") {
                Some(Value::String(name)) => name.clone(),
                _ => shapes.names[0].clone(),
            };
            shapes.single(input, "a sample")?;
            batch.rows = by_input(&name, &object["inputs"], &mut batch)?;
        }
        Value::Object(object) => {
            let mut counts = Vec::new();
            for (name, rows) in object {
                counts.push((name.clone(), by_input(name, rows, &mut batch)?));
            }
            if let Some(missing) = shapes.names.iter().find(|n| !object.contains_key(*n)) {
                return Err(bad(
                    String::new(),
                    format!("a key for every input ({})", shapes.names.join(", ")),
                    format!("no {missing:?}"),
                ));
            }
            batch.rows = counts.first().map_or(0, |c| c.1);
            if let Some((name, n)) = counts.iter().find(|c| c.1 != batch.rows) {
                return Err(bad(
                    format!("input {name:?}: "),
                    format!(
                        "{} like the other inputs",
                        crate::text::count(batch.rows, "row", "rows")
                    ),
                    n.to_string(),
                ));
            }
        }
        Value::Array(rows) => {
            for (r, row) in rows.iter().enumerate() {
                one_row(input, shapes, r, row, &mut batch)?;
            }
            batch.rows = rows.len();
        }
        other => {
            return Err(bad(
                String::new(),
                "an object of input name → rows, or a list of rows".into(),
                found_words(other),
            ));
        }
    }
    if batch.rows == 0 {
        return Err(bad(String::new(), "rows of input".into(), "none".into()));
    }
    Ok(batch)
}

fn misfit(input: &str, row: usize, name: &str, m: Misfit) -> InputError {
    InputError::Bad {
        input: input.to_owned(),
        at: format!("{}, input {name:?}{}: ", row_words(row), m.at),
        expected: m.expected,
        found: m.found,
    }
}

/// One row: an object of input name → values, or a bare row of a
/// one-input model.
fn one_row(input: &str, shapes: &Shapes, r: usize, row: &Value, batch: &mut Batch) -> Result<(), InputError> {
    match row {
        Value::Object(object) => {
            for (i, name) in shapes.names.iter().enumerate() {
                let value = object.get(name).ok_or_else(|| InputError::Bad {
                    input: input.to_owned(),
                    at: format!("{}: ", row_words(r)),
                    expected: format!("a key for every input ({})", shapes.names.join(", ")),
                    found: format!("no {name:?}"),
                })?;
                row_values(value, &shapes.row_shapes[i], &mut batch.inputs[i])
                    .map_err(|m| misfit(input, r, name, m))?;
            }
            Ok(())
        }
        bare => {
            shapes.single(input, "rows without input names")?;
            row_values(bare, &shapes.row_shapes[0], &mut batch.inputs[0])
                .map_err(|m| misfit(input, r, &shapes.names[0], m))
        }
    }
}

/// A parsed .json, served in batches.
struct InMemory {
    all: Batch,
    next: usize,
}

impl Rows for InMemory {
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>, InputError> {
        let rows = (self.all.rows - self.next).min(max.max(1));
        if rows == 0 {
            return Ok(None);
        }
        let inputs = self
            .all
            .inputs
            .iter()
            .map(|values| {
                let len = values.len() / self.all.rows.max(1);
                values[self.next * len..(self.next + rows) * len].to_vec()
            })
            .collect();
        let batch = Batch {
            first_row: self.next,
            rows,
            inputs,
        };
        self.next += rows;
        Ok(Some(batch))
    }

    fn total_rows(&self) -> Option<usize> {
        Some(self.all.rows)
    }
}

/// Counts the bytes a reader has given, for progress over a file.
pub(super) struct CountingRead<R> {
    inner: R,
    pub read: u64,
    /// Bytes since the last newline, for text read line by line.
    line: Option<u64>,
}

/// The longest line a streamed input may have. Readers keep a whole line
/// (a CSV record, a JSON line) in memory: without a bound, a file with no
/// newline would be loaded whole.
pub(super) const MAX_LINE_BYTES: u64 = 64 << 20;

impl<R> CountingRead<R> {
    /// Binary data: no line bound.
    pub fn new(inner: R) -> CountingRead<R> {
        CountingRead {
            inner,
            read: 0,
            line: None,
        }
    }

    /// Text read a line at a time: lines of at most [`MAX_LINE_BYTES`].
    pub fn lines(inner: R) -> CountingRead<R> {
        CountingRead {
            inner,
            read: 0,
            line: Some(0),
        }
    }
}

impl<R: Read> Read for CountingRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if let Some(line) = self.line.as_mut() {
            *line = match buf[..n].iter().rposition(|b| *b == b'\n') {
                Some(at) => (n - at - 1) as u64,
                None => *line + n as u64,
            };
            if *line > MAX_LINE_BYTES {
                return Err(std::io::Error::other(format!(
                    "a line longer than {} MiB from byte {}; expected one row per line",
                    MAX_LINE_BYTES >> 20,
                    self.read - *line
                )));
            }
        }
        Ok(n)
    }
}

/// JSON lines: one row per line, read as they come.
struct JsonLines {
    input: String,
    shapes: Shapes,
    reader: BufReader<CountingRead<std::fs::File>>,
    line: usize,
    rows: usize,
    size: u64,
}

impl Rows for JsonLines {
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>, InputError> {
        let mut batch = self.shapes.batch(self.rows, max);
        let mut text = String::new();
        while batch.rows < max.max(1) {
            text.clear();
            let n = self.reader.read_line(&mut text).map_err(|e| InputError::Read {
                input: self.input.clone(),
                reason: format!("line {}: {e}", self.line + 1),
            })?;
            if n == 0 {
                break;
            }
            self.line += 1;
            if text.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(&text).map_err(|e| InputError::Bad {
                input: self.input.clone(),
                at: format!("line {}: ", self.line),
                expected: "one row of valid JSON".into(),
                found: syntax_words(&e),
            })?;
            one_row(&self.input, &self.shapes, self.rows, &value, &mut batch)?;
            batch.rows += 1;
            self.rows += 1;
        }
        if batch.rows == 0 && self.rows == 0 {
            return Err(InputError::Bad {
                input: self.input.clone(),
                at: String::new(),
                expected: "rows of input".into(),
                found: "none".into(),
            });
        }
        Ok((batch.rows > 0).then_some(batch))
    }

    fn total_rows(&self) -> Option<usize> {
        None
    }

    fn bytes(&self) -> Option<(u64, u64)> {
        Some((self.reader.get_ref().read, self.size))
    }
}
