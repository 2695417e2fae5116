//! CSV inputs, streamed: one row per example, its columns the inputs'
//! rows flattened (row-major, inputs in the signature's order). A header is
//! optional; when there is one, every column names the input it belongs
//! to by starting with its name (`input`, `input_0`, `input[3][1]`).

use std::path::Path;

use super::json_rows::CountingRead;
use super::{InputError, Rows, Shapes, finite, open_read, row_words};
use crate::domain::prediction::Batch;

pub(super) fn open(path: &Path, shapes: Shapes) -> Result<Box<dyn Rows>, InputError> {
    let (file, size) = open_read(path)?;
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        // Ragged rows are found here, to name the row and both counts.
        .flexible(true)
        // Fields are trimmed where they are read: the reader's own trim
        // rewrites every record, a tenth of a large file's time.
        .from_reader(CountingRead::lines(file));
    Ok(Box::new(CsvRows {
        input: path.display().to_string(),
        shapes,
        reader,
        columns: None,
        record: csv::StringRecord::new(),
        rows: 0,
        size,
    }))
}

struct CsvRows {
    input: String,
    shapes: Shapes,
    reader: csv::Reader<CountingRead<std::fs::File>>,
    /// Per column, the input it feeds; set by the header or the first row.
    columns: Option<Vec<usize>>,
    record: csv::StringRecord,
    rows: usize,
    size: u64,
}

impl CsvRows {
    fn bad(&self, at: String, expected: String, found: String) -> InputError {
        InputError::Bad {
            input: self.input.clone(),
            at,
            expected,
            found,
        }
    }

    fn line(&self) -> u64 {
        self.record.position().map_or(0, |p| p.line())
    }

    /// The first record: a header when none of its fields is a number.
    fn columns_from_first(&mut self) -> Result<bool, InputError> {
        let numbers = self.record.iter().filter(|f| f.trim().parse::<f64>().is_ok()).count();
        let total: usize = self.shapes.lens.iter().sum();
        if numbers > 0 {
            // Data: the columns are the inputs in order.
            let columns = self
                .shapes
                .lens
                .iter()
                .enumerate()
                .flat_map(|(i, len)| std::iter::repeat_n(i, *len))
                .collect::<Vec<_>>();
            debug_assert_eq!(columns.len(), total);
            self.columns = Some(columns);
            return Ok(false);
        }
        let mut columns = Vec::with_capacity(self.record.len());
        for (c, field) in self.record.iter().map(str::trim).enumerate() {
            // The longest input name the column starts with.
            let input = (0..self.shapes.names.len())
                .filter(|i| field.starts_with(self.shapes.names[*i].as_str()))
                .max_by_key(|i| self.shapes.names[*i].len());
            match input {
                Some(i) => columns.push(i),
                None => {
                    return Err(self.bad(
                        format!("header, column {}: ", c + 1),
                        format!("a column named after an input ({})", self.shapes.names.join(", ")),
                        format!("{:?}", crate::text::clean(field)),
                    ));
                }
            }
        }
        for (i, name) in self.shapes.names.iter().enumerate() {
            let n = columns.iter().filter(|c| **c == i).count();
            if n != self.shapes.lens[i] {
                return Err(self.bad(
                    "header: ".into(),
                    format!("{} columns for input {name:?}", self.shapes.lens[i]),
                    n.to_string(),
                ));
            }
        }
        self.columns = Some(columns);
        Ok(true)
    }

    /// Appends the current record as one row.
    fn take_row(&self, columns: &[usize], batch: &mut Batch) -> Result<(), InputError> {
        let at = |c: usize| format!("{} (line {}), column {}: ", row_words(self.rows), self.line(), c + 1);
        if self.record.len() != columns.len() {
            return Err(self.bad(
                format!("{} (line {}): ", row_words(self.rows), self.line()),
                format!("{} columns", columns.len()),
                self.record.len().to_string(),
            ));
        }
        for (c, (field, input)) in self.record.iter().map(str::trim).zip(columns).enumerate() {
            let value = field
                .parse::<f64>()
                .map_err(|_| self.bad(at(c), "a number".into(), format!("{:?}", crate::text::clean(field))))?;
            let value = finite(value).map_err(|found| self.bad(at(c), "a finite number".into(), found))?;
            batch.inputs[*input].push(value);
        }
        Ok(())
    }
}

impl Rows for CsvRows {
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>, InputError> {
        let mut batch = self.shapes.batch(self.rows, max);
        while batch.rows < max.max(1) {
            let more = self
                .reader
                .read_record(&mut self.record)
                .map_err(|e| InputError::Read {
                    input: self.input.clone(),
                    reason: crate::text::clean(&e.to_string()),
                })?;
            if !more {
                break;
            }
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if self.columns.is_none() && self.columns_from_first()? {
                continue;
            }
            let columns = self.columns.take().unwrap_or_default();
            let taken = self.take_row(&columns, &mut batch);
            self.columns = Some(columns);
            taken?;
            batch.rows += 1;
            self.rows += 1;
        }
        if batch.rows == 0 && self.rows == 0 {
            return Err(self.bad(String::new(), "rows of input".into(), "none".into()));
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
