//! How a rollout's requests are split, and what each Deployment is to the
//! rollout whose traffic it serves: plain data, read from the cluster's
//! watch and shown on every row it concerns.

use serde::Serialize;

/// How requests are split now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrafficSplit {
    /// Percent of requests served by the stable side.
    pub stable: u32,
    /// Percent served by the canary, as set.
    pub canary: u32,
    /// Percent mirrored to a shadow (served by nobody), when mirroring.
    pub shadow: Option<u32>,
    pub stable_backend: String,
    pub canary_backend: String,
    /// Where mirrored requests go, as the object names it.
    pub shadow_backend: Option<String>,
    /// For a split made of pods (the replicas router): the canary's share
    /// of the ready pods, which is what it serves while pods start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective: Option<u32>,
}

impl TrafficSplit {
    /// `canary` percent to the canary backend, the rest to stable.
    pub fn new(canary: u32, shadow: Option<u32>, stable_backend: &str, canary_backend: &str) -> TrafficSplit {
        TrafficSplit {
            stable: 100 - canary.min(100),
            canary,
            shadow,
            stable_backend: stable_backend.to_owned(),
            canary_backend: canary_backend.to_owned(),
            shadow_backend: None,
            effective: None,
        }
    }

    /// The same split, naming the backend its mirror copies requests to.
    pub fn mirrored_to(self, backend: Option<&str>) -> TrafficSplit {
        TrafficSplit {
            shadow_backend: backend.map(crate::text::clean),
            ..self
        }
    }

    /// "10% 2/5": the canary's percent and its rung on `ladder`, or the
    /// rung it steps to next when it sits between two ("12% (next 25%)").
    pub fn canary_step(&self, ladder: &[u32]) -> String {
        let on = ladder.iter().position(|p| *p == self.canary);
        let mut text = match (on, next_rung(ladder, self.canary)) {
            (Some(i), _) => format!("{}% {}/{}", self.canary, i + 1, ladder.len()),
            (None, Some(next)) if self.canary > 0 => format!("{}% (next {next}%)", self.canary),
            (None, _) => format!("{}%", self.canary),
        };
        if let Some(ready) = self.effective.filter(|e| *e != self.canary) {
            text.push_str(&format!(" (ready pods: {ready}%)"));
        }
        text
    }
}

/// The next rung above `now`, if any.
pub fn next_rung(ladder: &[u32], now: u32) -> Option<u32> {
    ladder.iter().copied().filter(|p| *p > now && *p <= 100).min()
}

/// The part a version plays in a rollout's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Track {
    Stable,
    Canary,
    Shadow,
}

impl Track {
    pub fn name(self) -> &'static str {
        match self {
            Track::Stable => "stable",
            Track::Canary => "canary",
            Track::Shadow => "shadow",
        }
    }

    /// The track a series' or pod's track label names: its own name, or
    /// a blue-green colour (blue the side serving, green the new one).
    /// One reading for the charts, the plots and the A/B pair.
    pub fn of_label(label: &str) -> Option<Track> {
        match label {
            "stable" | "blue" => Some(Track::Stable),
            "canary" | "green" => Some(Track::Canary),
            "shadow" => Some(Track::Shadow),
            _ => None,
        }
    }
}

/// Why a rollout's split cannot be read or set, in the words an operator
/// fixes it by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The object is there but not shaped as the router needs.
    #[error("{kind} {name:?} {problem}")]
    Shape {
        kind: &'static str,
        name: String,
        problem: String,
    },
    #[error("the {router} router cannot mirror traffic; shadow traffic needs the gateway-api or istio router")]
    CannotMirror { router: &'static str },
    #[error("deployments {stable:?} and {canary:?} have no replicas between them to share")]
    NoReplicas { stable: String, canary: String },
    #[error("the router's object was not read")]
    NotRead,
    #[error("{noun} is not watched")]
    NotWatched { noun: String },
    #[error("cannot watch {noun}s: {error}")]
    Unwatchable { noun: String, error: String },
    #[error("{noun} {namespace}/{name} not found")]
    NotFound {
        noun: String,
        namespace: String,
        name: String,
    },
}

impl SplitError {
    pub fn shape(kind: &'static str, name: &str, problem: impl Into<String>) -> SplitError {
        SplitError::Shape {
            kind,
            name: name.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A configured rollout's traffic, as the watch last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    pub split: Result<TrafficSplit, SplitError>,
    /// The percents a canary step moves through (the rollout's own
    /// ladder, else `[canary]`'s).
    pub ladder: Vec<u32>,
}

/// What a Deployment is to a configured rollout: the one whose Service is
/// the rollout's canary or shadow backend (or stable, when the rollout is
/// named after another Deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The rollout (its `[rollouts.NAME]`) in the same namespace.
    pub rollout: String,
    pub track: Track,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_reads_as_a_rung_of_the_ladder() {
        let ladder = [5, 10, 25, 50, 100];
        let split = |canary| TrafficSplit::new(canary, None, "blue", "green");
        assert_eq!(split(10).canary_step(&ladder), "10% 2/5");
        assert_eq!(split(100).canary_step(&ladder), "100% 5/5");
        assert_eq!(split(12).canary_step(&ladder), "12% (next 25%)");
        assert_eq!(split(0).canary_step(&ladder), "0%");
        let mut starting = split(25);
        starting.effective = Some(0);
        assert_eq!(starting.canary_step(&ladder), "25% 3/5 (ready pods: 0%)");
    }

    #[test]
    fn steps_climb_the_ladder_from_anywhere() {
        let ladder = [5, 10, 25, 50, 100];
        assert_eq!(next_rung(&ladder, 0), Some(5));
        assert_eq!(next_rung(&ladder, 10), Some(25));
        assert_eq!(
            next_rung(&ladder, 12),
            Some(25),
            "an off-ladder percent steps to the next rung"
        );
        assert_eq!(next_rung(&ladder, 100), None);
    }
}
