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

/// Age the way kubectl prints it: `45s`, `3m20s`, `17m`, `5h12m`, `3d4h`.
pub fn human_age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if d < 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        format!("{}y", d / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_age(45), "45s");
        assert_eq!(human_age(200), "3m20s");
        assert_eq!(human_age(17 * 60), "17m");
        assert_eq!(human_age(5 * 3600 + 12 * 60), "5h12m");
        assert_eq!(human_age(20 * 3600), "20h");
        assert_eq!(human_age(3 * 86400 + 4 * 3600), "3d4h");
    }

    #[test]
    fn manual_time_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp::UNIX_EPOCH);
        assert_eq!(clock.now(), Timestamp::UNIX_EPOCH);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now().as_second(), 90);
    }
}
