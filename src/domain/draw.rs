//! Seeded random draws shared by the sim's traffic and `--random` inputs.

use fastrand::Rng;

/// A standard normal draw (Box–Muller).
pub fn normal(rng: &mut Rng) -> f64 {
    let u1 = rng.f64().max(f64::MIN_POSITIVE);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
