//! Which version a pod template runs: one rule for every view, plan, audit
//! line and CLI output. By default the image tag says it (what the servers
//! load, and what they export as their `version` series label); a site
//! may choose its `version` label instead. When the two disagree — after a
//! `kubectl set image` that left the label alone — the version is still
//! decided by the rule, and the disagreement travels with it so every
//! place that shows the version can say so.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::text::Clean;

/// Where a template's version is read from (`kubernetes.version_from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionSource {
    /// The tag of the first container image that has one.
    #[default]
    Image,
    /// The pod template's label named by `kubernetes.version_label`.
    Label,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRule {
    pub source: VersionSource,
    /// The label that carries a version ("version").
    pub label: String,
}

impl Default for VersionRule {
    fn default() -> Self {
        VersionRule {
            source: VersionSource::Image,
            label: "version".into(),
        }
    }
}

/// A template's version as the rule decides it. Serialized flat into its
/// owner as `version` and `version_disagrees`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Versioned {
    /// Without a leading "v": "2.1.1".
    #[serde(rename = "version")]
    pub name: Option<Clean>,
    /// The other source, when it names another version, in words:
    /// "label version=v2.1.0".
    #[serde(rename = "version_disagrees", skip_serializing_if = "Option::is_none")]
    pub disagrees: Option<Clean>,
}

impl Versioned {
    /// "2.1.1", or "2.1.1 (label version=v2.1.0 disagrees)", or `none`.
    pub fn describe(&self, none: &str) -> String {
        let version = self.name.as_deref().unwrap_or(none);
        match &self.disagrees {
            Some(other) => format!("{version} ({other} disagrees)"),
            None => version.to_owned(),
        }
    }
}

impl VersionRule {
    /// The version of a template with these labels and container images.
    /// Both come cleaned, so the version and its disagreement are too.
    pub fn of(&self, labels: &BTreeMap<Clean, Clean>, images: &[Clean]) -> Versioned {
        let tag = images.iter().find_map(|i| image_tag(i)).map(bare);
        let label = labels.get(self.label.as_str()).map(|v| bare(v));
        let (chosen, other) = match self.source {
            // An image without a tag (a digest, or none) leaves the label.
            VersionSource::Image => (tag.clone().or(label.clone()), label.clone()),
            VersionSource::Label => (label.clone().or(tag.clone()), tag.clone()),
        };
        let disagrees = match (&chosen, &other) {
            (Some(chosen), Some(other)) if chosen != other => Some(match self.source {
                VersionSource::Image => format!(
                    "label {}={}",
                    self.label,
                    labels.get(self.label.as_str()).map_or(other.as_str(), Clean::as_str)
                ),
                VersionSource::Label => format!("image tag {other}"),
            }),
            _ => None,
        };
        Versioned {
            name: chosen.map(|v| Clean::new(&v)),
            disagrees: disagrees.map(|d| Clean::new(&d)),
        }
    }
}

/// The tag of an image reference: "reg:5000/a/b:2.1.1@sha256:…" → "2.1.1".
pub fn image_tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map(|(_, tag)| tag).filter(|t| !t.is_empty())
}

/// A version without the "v" some labels put in front: "v2.1.0" → "2.1.0".
pub fn bare(version: &str) -> String {
    match version.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest.to_owned(),
        _ => version.to_owned(),
    }
}

/// Whether two spellings name the same version ("v2.1.0" and "2.1.0").
pub fn same(a: &str, b: &str) -> bool {
    bare(a) == bare(b)
}

/// Version order, as an operator reads versions: numbers compare as
/// numbers ("2.9.0" before "2.10.0"), the rest as text, a pre-release
/// before its release; "v2.1.0" sorts
/// with "2.1.0". Any tag compares, semantic version or not.
pub fn order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Greater, Less};
    let (a, b) = (bare(a), bare(b));
    let mut a_parts = parts(&a);
    let mut b_parts = parts(&b);
    loop {
        match (a_parts.next(), b_parts.next()) {
            (None, None) => return a.cmp(&b),
            // A pre-release comes before its release: 2.9.0-rc1 < 2.9.0.
            (None, Some(y)) => return if y.starts_with('-') { Greater } else { Less },
            (Some(x), None) => return if x.starts_with('-') { Less } else { Greater },
            (Some(x), Some(y)) => {
                let by = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    _ => x.cmp(y),
                };
                if by.is_ne() {
                    return by;
                }
            }
        }
    }
}

/// Runs of digits and runs of everything else: "2.10.0-rc1" → 2 . 10 . 0 -rc 1.
fn parts(version: &str) -> impl Iterator<Item = &str> {
    let mut rest = version;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digits = first.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(rest.len());
        let (part, tail) = rest.split_at(end);
        rest = tail;
        Some(part)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_by_their_numbers() {
        let mut v = vec!["2.10.0", "v2.9.0", "2.9.0-rc1", "10", "2.9.1", "latest", "1.9.3"];
        v.sort_by(|a, b| order(a, b));
        assert_eq!(v, ["1.9.3", "2.9.0-rc1", "v2.9.0", "2.9.1", "2.10.0", "10", "latest"]);
    }

    fn labels(version: &str) -> BTreeMap<Clean, Clean> {
        [(Clean::new("version"), Clean::new(version))].into()
    }

    #[test]
    fn tags_are_read_past_registry_ports_and_digests() {
        assert_eq!(image_tag("ghcr.io/modeldeck/malaria-predictor:2.1.1"), Some("2.1.1"));
        assert_eq!(image_tag("registry:5000/a/b:2.1.1@sha256:ab"), Some("2.1.1"));
        assert_eq!(image_tag("registry:5000/a/b"), None);
        assert_eq!(image_tag("a/b@sha256:ab"), None);
        assert_eq!(image_tag("b:"), None);
    }

    #[test]
    fn the_image_decides_and_a_disagreeing_label_is_named() {
        let rule = VersionRule::default();
        let image = [Clean::new("ghcr.io/m/p:2.1.1")];
        let set_image = rule.of(&labels("v2.1.0"), &image);
        assert_eq!(set_image.name.as_deref(), Some("2.1.1"));
        assert_eq!(set_image.describe("-"), "2.1.1 (label version=v2.1.0 disagrees)");
        let agreed = rule.of(&labels("v2.1.1"), &image);
        assert_eq!((agreed.name.as_deref(), agreed.disagrees), (Some("2.1.1"), None));
        let untagged = rule.of(&labels("v2.0.5"), &[Clean::new("ghcr.io/m/p@sha256:ab")]);
        assert_eq!(untagged.describe("-"), "2.0.5");
    }

    #[test]
    fn a_site_may_choose_the_label() {
        let rule = VersionRule {
            source: VersionSource::Label,
            label: "app.kubernetes.io/version".into(),
        };
        let labels: BTreeMap<Clean, Clean> = [(Clean::new("app.kubernetes.io/version"), Clean::new("2.1.0"))].into();
        let v = rule.of(&labels, &[Clean::new("p:2.1.1")]);
        assert_eq!(v.describe("-"), "2.1.0 (image tag 2.1.1 disagrees)");
        assert_eq!(
            rule.of(&BTreeMap::new(), &[Clean::new("p:2.1.1")]).name.as_deref(),
            Some("2.1.1")
        );
    }
}
