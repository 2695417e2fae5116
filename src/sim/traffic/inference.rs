//! Real answers for the simulated traffic: the demo models run in ONNX
//! Runtime on requests drawn from a synthetic patient population made the
//! way scripts/make_demo_models.py makes its data (same recurrences,
//! standardisation, labelling rule and 5% label noise), so a model's
//! measured accuracy is its held-out accuracy and 2.1.1's really is bad.
//! Without the runtime, the profiles' draws stand in (see profile.rs).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use fastrand::Rng;

use super::profile::normal;
use crate::backends::onnx::Model;

const STEPS: usize = 8;
const FEATURES: usize = 4;
const ROW: usize = STEPS * FEATURES;
const POPULATION: usize = 4000;
const LABEL_NOISE: f64 = 0.05;

/// Labelled requests: rows of 8×4 standardised values and 0/1 labels.
pub struct Population {
    rows: Vec<f32>,
    labels: Vec<bool>,
}

impl Population {
    /// make_data(n, seed) of the generator script, in Rust.
    pub fn generate(seed: u64) -> Population {
        let n = POPULATION;
        let mut rng = Rng::with_seed(seed);
        let mut x = vec![0.0f64; n * ROW];
        for p in 0..n {
            let base = normal(&mut rng);
            let growth = 0.5 * normal(&mut rng);
            let mut prev = [0.0f64; FEATURES];
            for t in 0..STEPS {
                let e: Vec<f64> = (0..FEATURES).map(|_| normal(&mut rng)).collect();
                let now = [
                    0.6 * base + 0.4 * prev[0] + 0.5 * e[0],
                    prev[1] + growth + 0.4 * e[1],
                    0.7 * prev[2] + 0.6 * e[2],
                    0.8 * prev[3] + 0.6 * e[3],
                ];
                x[p * ROW + t * FEATURES..p * ROW + (t + 1) * FEATURES].copy_from_slice(&now);
                prev = now;
            }
        }
        // Standardise each feature over all rows and steps.
        for f in 0..FEATURES {
            let values = || (0..n * STEPS).map(|i| x[i * FEATURES + f]);
            let mean = values().sum::<f64>() / (n * STEPS) as f64;
            let sd = (values().map(|v| (v - mean).powi(2)).sum::<f64>() / (n * STEPS) as f64).sqrt();
            for i in 0..n * STEPS {
                x[i * FEATURES + f] = ((x[i * FEATURES + f] - mean) / sd * 10_000.0).round() / 10_000.0;
            }
        }
        let at = |p: usize, t: usize, f: usize| x[p * ROW + t * FEATURES + f];
        let score: Vec<f64> = (0..n)
            .map(|p| (4..STEPS).map(|t| at(p, t, 1)).sum::<f64>() / 4.0 + 0.5 * at(p, 7, 2) - 0.3 * at(p, 0, 0))
            .collect();
        let mut sorted = score.clone();
        sorted.sort_by(f64::total_cmp);
        // numpy's default (linear) quantile at 0.55.
        let pos = 0.55 * (n - 1) as f64;
        let (lo, frac) = (pos.floor() as usize, pos.fract());
        let cut = sorted[lo] + frac * (sorted[(lo + 1).min(n - 1)] - sorted[lo]);
        let labels = score
            .iter()
            .map(|s| {
                let label = *s > cut;
                if rng.f64() < LABEL_NOISE { !label } else { label }
            })
            .collect();
        Population {
            rows: x.into_iter().map(|v| v as f32).collect(),
            labels,
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.rows[i * ROW..(i + 1) * ROW]
    }

    pub fn label(&self, i: usize) -> bool {
        self.labels[i]
    }
}

/// One batch of answers from a model: per request, probability and label.
pub struct Answers {
    pub probabilities: Vec<f32>,
    pub labels: Vec<bool>,
    /// Seconds the batch took in the runtime, per request.
    pub seconds_each: f64,
}

/// The demo models by version, and the population they answer.
pub struct Inference {
    models: HashMap<String, Arc<Model>>,
    population: Population,
    /// The runtime's library, for the demo's info.
    pub library: String,
}

impl Inference {
    /// Loads `DIR/<version>.onnx` for every model file in `dir`. Fails when
    /// the runtime is missing or no model loads.
    pub fn load(dir: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Inference, String> {
        let library = crate::backends::onnx::runtime(env).map_err(|e| e.to_string())?;
        let mut models = HashMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().is_some_and(|e| e == "onnx")
                && let Some(version) = path.file_stem().and_then(|s| s.to_str())
            {
                models.insert(
                    version.to_owned(),
                    Arc::new(Model::load(&path, 1).map_err(|e| e.to_string())?),
                );
            }
        }
        if models.is_empty() {
            return Err(format!("no .onnx models in {}", dir.display()));
        }
        Ok(Inference {
            models,
            population: Population::generate(7),
            library: library.display().to_string(),
        })
    }

    /// `count` requests from the population, answered by `version`'s model.
    pub fn answer(&self, version: &str, count: usize, rng: &mut Rng) -> Option<Result<Answers, String>> {
        let model = self.models.get(version)?;
        if count == 0 || self.population.is_empty() {
            return None;
        }
        let picks: Vec<usize> = (0..count).map(|_| rng.usize(..self.population.len())).collect();
        let rows: Vec<f32> = picks
            .iter()
            .flat_map(|i| self.population.row(*i).iter().copied())
            .collect();
        let started = Instant::now();
        let probabilities = match model.run(&rows) {
            Ok(p) => p,
            Err(e) => return Some(Err(e.to_string())),
        };
        Some(Ok(Answers {
            seconds_each: started.elapsed().as_secs_f64() / count as f64,
            labels: picks.iter().map(|i| self.population.label(*i)).collect(),
            probabilities,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_population_is_labelled_as_the_generator_script_labels() {
        let p = Population::generate(7);
        assert_eq!(p.len(), POPULATION);
        // 45% positive by the quantile cut, moved toward 50% by 5% flips.
        let positive = (0..p.len()).filter(|i| p.label(*i)).count() as f64 / p.len() as f64;
        assert!((positive - 0.455).abs() < 0.03, "{positive}");
        // Standardised: every feature near mean 0, sd 1.
        for f in 0..FEATURES {
            let v: Vec<f64> = (0..p.len() * STEPS)
                .map(|i| f64::from(p.rows[i * FEATURES + f]))
                .collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            assert!(mean.abs() < 1e-3, "{mean}");
        }
    }
}
