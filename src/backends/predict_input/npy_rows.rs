//! NumPy `.npy` inputs for a one-input model, streamed by npyz: shape
//! `[rows, *row_shape]` (or `[rows, row_len]`), float32 or float64, C order.

use std::io::BufReader;
use std::path::Path;

use npyz::{NpyFile, NpyReader, Order};

use super::json_rows::CountingRead;
use super::{InputError, Rows, Shapes, finite, open_read, row_words};
use crate::domain::prediction::Batch;

type Source = BufReader<CountingRead<std::fs::File>>;

enum Values {
    F32(NpyReader<f32, Source>),
    F64(NpyReader<f64, Source>),
}

pub(super) fn open(path: &Path, shapes: Shapes) -> Result<Box<dyn Rows>, InputError> {
    let input = path.display().to_string();
    let len = shapes.single(&input, "a .npy file")?;
    let (file, _) = open_read(path)?;
    let bad = |expected: String, found: String| InputError::Bad {
        input: input.clone(),
        at: String::new(),
        expected,
        found,
    };
    let npy = NpyFile::new(BufReader::new(CountingRead::new(file)))
        .map_err(|e| bad("a NumPy .npy file".into(), crate::text::clean(&e.to_string())))?;
    let shape: Vec<u64> = npy.shape().to_vec();
    if npy.order() == Order::Fortran {
        return Err(bad("an array in C order".into(), "Fortran order".into()));
    }
    let row: Vec<u64> = shapes.row_shapes[0].iter().map(|d| *d as u64).collect();
    let words = |dims: &[u64]| {
        let dims: Vec<String> = dims.iter().map(u64::to_string).collect();
        format!("[{}]", dims.join(", "))
    };
    let rows = match shape.split_first() {
        Some((rows, rest)) if rest == row.as_slice() || rest == [len as u64] => *rows,
        _ => {
            return Err(bad(
                format!(
                    "shape [rows, {}] or [rows, {len}]",
                    words(&row).trim_matches(['[', ']'])
                ),
                words(&shape),
            ));
        }
    };
    let descr = npy.dtype().descr();
    let values = match npy.try_data::<f32>() {
        Ok(v) => Values::F32(v),
        Err(npy) => match npy.try_data::<f64>() {
            Ok(v) => Values::F64(v),
            Err(_) => return Err(bad("float32 or float64 values".into(), format!("dtype {descr}"))),
        },
    };
    Ok(Box::new(NpyRows {
        input,
        shapes,
        values,
        total: usize::try_from(rows).unwrap_or(usize::MAX),
        rows: 0,
    }))
}

struct NpyRows {
    input: String,
    shapes: Shapes,
    values: Values,
    total: usize,
    rows: usize,
}

impl Rows for NpyRows {
    fn next_batch(&mut self, max: usize) -> Result<Option<Batch>, InputError> {
        let rows = (self.total - self.rows).min(max.max(1));
        if rows == 0 {
            if self.total == 0 {
                return Err(InputError::Bad {
                    input: self.input.clone(),
                    at: String::new(),
                    expected: "rows of input".into(),
                    found: "an array of 0 rows".into(),
                });
            }
            return Ok(None);
        }
        let len = self.shapes.lens[0];
        let mut batch = self.shapes.batch(self.rows, rows);
        for r in 0..rows {
            for c in 0..len {
                let next = match &mut self.values {
                    Values::F32(v) => v.next().map(|x| x.map(f64::from)),
                    Values::F64(v) => v.next(),
                };
                let at = || format!("{}, value {}: ", row_words(self.rows + r), c + 1);
                let value = match next {
                    Some(Ok(v)) => v,
                    Some(Err(e)) => {
                        return Err(InputError::Read {
                            input: self.input.clone(),
                            reason: format!("{}{e}", at()),
                        });
                    }
                    None => {
                        return Err(InputError::Bad {
                            input: self.input.clone(),
                            at: at(),
                            expected: format!("{} rows as the header says", self.total),
                            found: "the end of the file".into(),
                        });
                    }
                };
                let value = finite(value).map_err(|found| InputError::Bad {
                    input: self.input.clone(),
                    at: at(),
                    expected: "a finite number".into(),
                    found,
                })?;
                batch.inputs[0].push(value);
            }
        }
        batch.rows = rows;
        self.rows += rows;
        Ok(Some(batch))
    }

    fn total_rows(&self) -> Option<usize> {
        Some(self.total)
    }
}
