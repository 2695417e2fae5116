//! A source that stopped answering — the cluster, Prometheus, the alert
//! rules — kept as why and since when, so the title, the notice line and
//! the log all say the same thing in the same words.

use jiff::Zoned;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outage {
    why: Option<String>,
    /// The console's clock at the first failure of this run of failures.
    since: Option<Zoned>,
}

impl Outage {
    /// Records a failure; true when the reason is new (worth a log line).
    /// The start time stays that of the first failure in a row.
    pub fn fail(&mut self, why: &str, now: Option<&Zoned>) -> bool {
        let why = crate::text::clean(why);
        let new = self.why.as_deref() != Some(why.as_str());
        if self.why.is_none() {
            self.since = now.cloned();
        }
        self.why = Some(why);
        new
    }

    /// The source answered; true when it had been failing.
    pub fn clear(&mut self) -> bool {
        self.since = None;
        self.why.take().is_some()
    }

    pub fn why(&self) -> Option<&str> {
        self.why.as_deref()
    }

    pub fn is_failing(&self) -> bool {
        self.why.is_some()
    }

    /// " since 14:02:11", or nothing when the clock was not known.
    pub fn since_words(&self) -> String {
        self.since
            .as_ref()
            .map(|t| format!(" since {}", t.strftime("%H:%M:%S")))
            .unwrap_or_default()
    }

    /// "metrics since 14:02:11: connection refused at …": the time first,
    /// so a narrow line cuts the part the view's title repeats.
    pub fn headline(&self, source: &str) -> Option<String> {
        let why = self.why.as_deref()?;
        Some(format!("{source}{}: {why}", self.since_words()))
    }

    pub fn since(&self) -> Option<&Zoned> {
        self.since.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Zoned {
        format!("2026-12-02T{s}[UTC]").parse().unwrap()
    }

    #[test]
    fn since_is_the_first_failure_and_a_new_reason_is_reported_once() {
        let mut o = Outage::default();
        assert!(o.fail("connection refused", Some(&at("10:00:00"))));
        assert!(!o.fail("connection refused", Some(&at("10:00:05"))));
        assert!(o.fail("401 Unauthorized", Some(&at("10:00:09"))));
        assert_eq!(o.since_words(), " since 10:00:00");
        assert_eq!(
            o.headline("cluster").unwrap(),
            "cluster since 10:00:00: 401 Unauthorized"
        );
        assert_eq!(o.why(), Some("401 Unauthorized"));
        assert!(o.clear());
        assert!(!o.clear());
        assert!(o.fail("x", Some(&at("11:00:00"))));
        assert_eq!(o.since_words(), " since 11:00:00");
    }
}
