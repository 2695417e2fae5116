//! A value of the configuration that cannot be used, and what is taken out
//! for it: what each check reports and `settle` acts on.

use super::de::{DeError, DeErrorKind};
use super::tree::Segment;

/// Something that cannot be used, and what is taken out for it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Problem {
    /// The key at fault: where the warning points.
    pub at: Vec<Segment>,
    /// What is taken out: `at` itself, or the entry holding it.
    pub unit: Vec<Segment>,
    /// Whether `unit` is a list or named entry (left out) rather than a key
    /// (which falls back to the built-in value).
    pub unit_is_entry: bool,
    pub kind: DeErrorKind,
    /// What leaving it out means, when that is not plain.
    pub consequence: Option<String>,
}

impl Problem {
    /// A key whose value cannot be used: it falls back to the built-in one.
    pub fn key(at: Vec<Segment>, message: String) -> Problem {
        Problem {
            unit: at.clone(),
            at,
            unit_is_entry: false,
            kind: DeErrorKind::Unusable(message),
            consequence: None,
        }
    }

    /// A value at `field` of the entry `entry` that cannot be used: the
    /// entry is left out.
    pub fn entry(entry: Vec<Segment>, field: &[Segment], message: String) -> Problem {
        let mut at = entry.clone();
        at.extend_from_slice(field);
        Problem {
            at,
            unit: entry,
            unit_is_entry: true,
            kind: DeErrorKind::Unusable(message),
            consequence: None,
        }
    }

    pub fn meaning(mut self, consequence: String) -> Problem {
        self.consequence = Some(consequence);
        self
    }
}

impl From<DeError> for Problem {
    fn from(e: DeError) -> Problem {
        let unit = match (&e.kind, e.entry_len) {
            (DeErrorKind::UnknownKey { .. }, _) => e.path.clone(),
            (DeErrorKind::Unusable(_), Some(len)) => e.path[..len].to_vec(),
            // A bad percent in a ladder: the whole ladder falls back.
            (DeErrorKind::Unusable(_), None) => {
                let key_len = e.path.iter().rposition(|s| matches!(s, Segment::Key(_)));
                e.path[..key_len.map_or(0, |i| i + 1)].to_vec()
            }
        };
        Problem {
            unit_is_entry: e.entry_len.is_some() && matches!(e.kind, DeErrorKind::Unusable(_)),
            at: e.path,
            unit,
            kind: e.kind,
            consequence: None,
        }
    }
}
