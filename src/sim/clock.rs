//! Simulated time. The cluster never reads the wall clock directly: tests
//! drive a manual clock, the demo runs a scaled real one, so a rollout that
//! takes minutes on a real cluster takes seconds here, and no test sleeps.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::Timestamp;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Real time, sped up by `speed` from the moment it was made.
pub struct ScaledClock {
    start_real: Instant,
    start_sim: Timestamp,
    speed: f64,
}

impl ScaledClock {
    pub fn new(speed: f64) -> ScaledClock {
        ScaledClock {
            start_real: Instant::now(),
            start_sim: Timestamp::now(),
            speed: speed.max(0.0),
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.start_real.elapsed().mul_f64(self.speed);
        let span = jiff::SignedDuration::try_from(elapsed).unwrap_or(jiff::SignedDuration::MAX);
        self.start_sim.checked_add(span).unwrap_or(self.start_sim)
    }
}

/// Time that moves only when told to.
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock { now: Mutex::new(start) }
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.now.lock() {
            let span = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
            *now = now.checked_add(span).unwrap_or(*now);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.now.lock().map(|t| *t).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_time_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::UNIX_EPOCH);
        assert_eq!(clock.now(), Timestamp::UNIX_EPOCH);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now().as_second(), 90);
    }
}
