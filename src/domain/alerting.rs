//! Evaluating an alert rule over one version's points, as Prometheus does
//! with `for`: the rule is pending from the first point of the current run
//! of points that satisfy it, and firing once that run has lasted `for`.
//! Data older than `max_age` is stale: a stale rule is never firing.

/// How old data may be before it is stale, for a source refreshed every
/// `refresh` seconds: three refreshes and some slack. The one rule for the
/// views' stale marks and for rules that must not fire on old data.
pub fn stale_after(refresh: f64) -> f64 {
    3.0 * refresh.max(1.0) + 5.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleState {
    Inactive,
    Pending,
    Firing,
    /// The newest point is too old to say anything.
    Stale,
}

impl RuleState {
    pub fn name(self) -> &'static str {
        match self {
            RuleState::Inactive => "inactive",
            RuleState::Pending => "pending",
            RuleState::Firing => "firing",
            RuleState::Stale => "stale",
        }
    }

    /// The state as Prometheus's `/api/v1/alerts` and `/api/v1/rules`
    /// name it (they have no stale).
    pub fn from_prometheus(word: &str) -> Option<RuleState> {
        match word {
            "inactive" => Some(RuleState::Inactive),
            "pending" => Some(RuleState::Pending),
            "firing" => Some(RuleState::Firing),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    pub state: RuleState,
    /// Start of the run of points satisfying the rule (Unix seconds).
    pub since: Option<f64>,
    /// The newest value.
    pub value: Option<f64>,
}

/// `points` in time order; `below`: the rule holds when value < threshold
/// (else when value > threshold); `hold`: the rule's `for`, seconds.
pub fn evaluate(points: &[(f64, f64)], below: bool, threshold: f64, hold: f64, now: f64, max_age: f64) -> Evaluation {
    let holds = |v: f64| if below { v < threshold } else { v > threshold };
    let Some(&(newest_t, newest)) = points.last() else {
        return Evaluation {
            state: RuleState::Stale,
            since: None,
            value: None,
        };
    };
    if now - newest_t > max_age {
        return Evaluation {
            state: RuleState::Stale,
            since: None,
            value: Some(newest),
        };
    }
    let since = points
        .iter()
        .rev()
        .take_while(|(_, v)| holds(*v))
        .last()
        .map(|(t, _)| *t);
    let state = match since {
        None => RuleState::Inactive,
        Some(start) if newest_t - start >= hold => RuleState::Firing,
        Some(_) => RuleState::Pending,
    };
    Evaluation {
        state,
        since,
        value: Some(newest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Vec<(f64, f64)> {
        values.iter().enumerate().map(|(i, v)| (i as f64 * 10.0, *v)).collect()
    }

    #[test]
    fn pending_then_firing_after_for() {
        // Below 0.85 from t=20 on; for = 30 s.
        let points = series(&[0.9, 0.9, 0.8, 0.8, 0.8]);
        let e = evaluate(&points, true, 0.85, 30.0, 40.0, 15.0);
        assert_eq!((e.state, e.since, e.value), (RuleState::Pending, Some(20.0), Some(0.8)));
        let points = series(&[0.9, 0.9, 0.8, 0.8, 0.8, 0.8]);
        assert_eq!(evaluate(&points, true, 0.85, 30.0, 50.0, 15.0).state, RuleState::Firing);
    }

    #[test]
    fn a_recovery_resets_the_run() {
        let points = series(&[0.8, 0.8, 0.8, 0.9, 0.8]);
        let e = evaluate(&points, true, 0.85, 30.0, 40.0, 15.0);
        assert_eq!((e.state, e.since), (RuleState::Pending, Some(40.0)));
        assert_eq!(
            evaluate(&series(&[0.8, 0.9]), true, 0.85, 0.0, 10.0, 15.0).state,
            RuleState::Inactive
        );
        // above: p95 > 0.5
        assert_eq!(
            evaluate(&series(&[0.6, 0.7]), false, 0.5, 10.0, 10.0, 15.0).state,
            RuleState::Firing
        );
    }

    #[test]
    fn stale_data_never_fires() {
        let points = series(&[0.8, 0.8, 0.8, 0.8, 0.8]);
        // The newest point is 100 s old, more than max_age 15 s.
        let e = evaluate(&points, true, 0.85, 10.0, 140.0, 15.0);
        assert_eq!(e.state, RuleState::Stale);
        assert_eq!(evaluate(&[], true, 0.85, 10.0, 0.0, 15.0).state, RuleState::Stale);
    }
}
