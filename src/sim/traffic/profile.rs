//! How each demo model version behaves under traffic: serving latency, the
//! confidence of its answers, its errors, and whether an answer matches the
//! synthetic ground truth. Accuracies are the held-out figures in
//! models/registry.toml, so the bad candidate 2.1.1 (0.729) is visibly
//! below the seed guide's 0.85 alert line; 2.1.1 also has a slow tail.

use fastrand::Rng;

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Median serving latency, seconds (log-normal around it).
    pub latency_median: f64,
    pub latency_sigma: f64,
    /// Fraction of requests that hit the slow path, and its median.
    pub slow_fraction: f64,
    pub slow_median: f64,
    /// Probability that an answer matches the ground truth.
    pub accuracy: f64,
    /// Probability that a request fails (counted as an error, no answer).
    pub error_rate: f64,
}

/// What one request did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub latency: f64,
    pub confidence: f64,
    pub correct: bool,
    pub error: bool,
}

impl Profile {
    pub fn for_version(version: &str) -> Profile {
        let base = Profile {
            latency_median: 0.035,
            latency_sigma: 0.45,
            slow_fraction: 0.01,
            slow_median: 0.2,
            accuracy: 0.9,
            error_rate: 0.002,
        };
        match version {
            "1.9.3" => Profile {
                accuracy: 0.868,
                ..base
            },
            "2.0.5" => Profile {
                accuracy: 0.896,
                ..base
            },
            "2.1.0" => Profile {
                accuracy: 0.909,
                latency_median: 0.032,
                ..base
            },
            "2.1.1" => Profile {
                accuracy: 0.729,
                slow_fraction: 0.12,
                slow_median: 0.7,
                error_rate: 0.02,
                ..base
            },
            _ => base,
        }
    }

    pub fn draw(&self, rng: &mut Rng) -> Outcome {
        let median = if rng.f64() < self.slow_fraction {
            self.slow_median
        } else {
            self.latency_median
        };
        let latency = median * (self.latency_sigma * normal(rng)).exp();
        let correct = rng.f64() < self.accuracy;
        // Right answers tend to be confident, wrong ones near the fence.
        let confidence = if correct {
            1.0 - 0.5 * rng.f64().powi(3)
        } else {
            0.5 + 0.3 * rng.f64()
        };
        Outcome {
            latency,
            confidence,
            correct,
            error: rng.f64() < self.error_rate,
        }
    }
}

/// A standard normal draw (Box–Muller).
pub(super) use crate::domain::draw::normal;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bad_candidate_is_measurably_worse() {
        let mut rng = Rng::with_seed(1);
        let rate = |version: &str, rng: &mut Rng| {
            let profile = Profile::for_version(version);
            let draws: Vec<Outcome> = (0..20_000).map(|_| profile.draw(rng)).collect();
            let correct = draws.iter().filter(|o| o.correct).count() as f64 / draws.len() as f64;
            let mut latencies: Vec<f64> = draws.iter().map(|o| o.latency).collect();
            latencies.sort_by(f64::total_cmp);
            (correct, latencies[latencies.len() * 95 / 100])
        };
        let (good_accuracy, good_p95) = rate("2.0.5", &mut rng);
        let (bad_accuracy, bad_p95) = rate("2.1.1", &mut rng);
        assert!((good_accuracy - 0.896).abs() < 0.01, "{good_accuracy}");
        assert!((bad_accuracy - 0.729).abs() < 0.01, "{bad_accuracy}");
        assert!(good_p95 < 0.1, "{good_p95}");
        assert!(bad_p95 > 0.5, "the seed's HighPredictionLatency line: {bad_p95}");
    }
}
