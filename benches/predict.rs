//! One prediction call at batch sizes 1, 32 and 1024 on a demo model:
//! modeldeck's call (the signature-checked batch in, every output out as
//! numbers) against the bare `ort` session run on the same library and
//! thread count, in the same run. scripts/bench adds Python onnxruntime,
//! the client operators would otherwise script, and prints the ratios.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use modeldeck::backends::onnx::{Model, runtime};
use modeldeck::domain::prediction::Batch;
use ort::session::Session;
use ort::value::TensorRef;

const MODEL: &str = "models/malaria_lstm/2.0.5.onnx";
const BATCHES: [usize; 3] = [1, 32, 1024];

fn rows(n: usize) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(11);
    (0..n * 32).map(|_| rng.f32() * 4.0 - 2.0).collect()
}

fn predictions(c: &mut Criterion) {
    let env = |name: &str| std::env::var(name).ok();
    if let Err(e) = runtime(&env) {
        eprintln!("skipping the prediction benchmarks: {e}");
        return;
    }
    let model = Model::load(Path::new(MODEL), 1).unwrap_or_else(|e| panic!("{MODEL}: {e}"));
    let mut bare = Session::builder()
        .and_then(|b| b.with_intra_threads(1)?.commit_from_file(MODEL))
        .unwrap_or_else(|e| panic!("{MODEL}: {e}"));
    for n in BATCHES {
        let values = rows(n);
        let batch = Batch {
            first_row: 0,
            rows: n,
            inputs: vec![values.clone()],
        };
        let mut group = c.benchmark_group(format!("predict_batch_{n}"));
        group.measurement_time(Duration::from_secs(3));
        group.bench_function("modeldeck", |b| {
            b.iter(|| black_box(model.run_batch(black_box(&batch)).map(|r| r.rows)))
        });
        group.bench_function("bare_ort", |b| {
            b.iter(|| {
                let input = TensorRef::from_array_view(([n, 8, 4], black_box(values.as_slice())));
                let outputs = input.and_then(|t| bare.run(ort::inputs!["input" => t]));
                let first = outputs.map(|o| o["output"].try_extract_tensor::<f32>().map(|(_, v)| v[0]).ok());
                black_box(first.ok().flatten())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, predictions);
criterion_main!(benches);
