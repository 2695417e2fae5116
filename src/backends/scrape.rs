//! Direct scraping of `/metrics` without Prometheus: a strict parser of the text exposition format (0.0.4)
//! and the local computations panels need (rate, histogram quantile, a bounded ring). Pure, never panics.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hash;

/// One sample: metric name, labels (sorted by name), value (may be NaN, +Inf, -Inf).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Labels of a series, sorted by name.
pub type Labels = Vec<(String, String)>;
/// Cumulative histogram buckets: (le, count) sorted by le.
pub type Buckets = Vec<(f64, f64)>;

const TYPES: [&str; 5] = ["counter", "gauge", "histogram", "summary", "untyped"];

/// Parses the text format. `# HELP` and `# TYPE` lines are checked (a metric name,
/// and a known type) but not returned; other comments and blank lines are skipped.
/// A sample is `name{l="v",...} value [timestamp]`; the timestamp (integer
/// milliseconds) is checked and dropped. Any malformed line is an error naming its
/// 1-based line number and what was expected.
pub fn parse(text: &str) -> Result<Vec<Sample>, ParseError> {
    let mut samples = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let fail = |message: String| ParseError { line, message };
        let trimmed = raw.trim_start_matches([' ', '\t']);
        if trimmed.trim_end_matches([' ', '\t']).is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            check_comment(comment).map_err(fail)?;
            continue;
        }
        samples.push(parse_sample(trimmed).map_err(fail)?);
    }
    Ok(samples)
}

/// Checks `# HELP name text` and `# TYPE name type`; any other comment is free text.
fn check_comment(comment: &str) -> Result<(), String> {
    let mut words = comment.split([' ', '\t']).filter(|w| !w.is_empty());
    let Some(keyword @ ("HELP" | "TYPE")) = words.next() else {
        return Ok(());
    };
    let name = words.next().unwrap_or_default();
    if !is_metric_name(name) {
        return Err(format!("expected a metric name after # {keyword}, found {name:?}"));
    }
    if keyword == "TYPE" {
        let kind = words.next().unwrap_or_default();
        if !TYPES.contains(&kind) || words.next().is_some() {
            return Err(format!("expected one of {} after # TYPE {name}", TYPES.join(", ")));
        }
    }
    Ok(())
}

fn is_metric_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// A byte cursor over one line.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_blanks(&mut self) -> usize {
        self.take_while(|_, b| b == b' ' || b == b'\t').len()
    }

    /// Takes bytes while `ok(index_in_token, byte)` holds.
    fn take_while(&mut self, ok: impl Fn(usize, u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| ok(self.pos - start, b)) {
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or_default()
    }

    fn token(&mut self) -> &'a str {
        self.take_while(|_, b| b != b' ' && b != b'\t')
    }
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let mut cur = Cursor { s: line, pos: 0 };
    let name =
        cur.take_while(|i, b| b.is_ascii_alphabetic() || b == b'_' || b == b':' || (i > 0 && b.is_ascii_digit()));
    if name.is_empty() {
        return Err(format!("expected a metric name, found {:?}", cur.token()));
    }
    cur.skip_blanks();
    let mut labels = Vec::new();
    if cur.peek() == Some(b'{') {
        cur.pos += 1;
        labels = parse_labels(&mut cur)?;
    }
    cur.skip_blanks();
    let value_text = cur.token();
    if value_text.is_empty() {
        return Err(format!("expected a value after {name}"));
    }
    let value = parse_value(value_text).ok_or_else(|| format!("expected a number as value, found {value_text:?}"))?;
    if cur.skip_blanks() > 0 {
        let ts = cur.token();
        if !ts.is_empty() && ts.parse::<i64>().is_err() {
            return Err(format!("expected an integer timestamp in milliseconds, found {ts:?}"));
        }
        cur.skip_blanks();
    }
    if cur.peek().is_some() {
        let rest = line.get(cur.pos..).unwrap_or_default();
        return Err(format!(
            "expected end of line after value and timestamp, found {rest:?}"
        ));
    }
    labels.sort_by(|a: &(String, String), b| a.0.cmp(&b.0));
    let name = name.to_string();
    Ok(Sample { name, labels, value })
}

/// Parses `l="v",...}` (the `{` already consumed); a trailing comma is allowed.
fn parse_labels(cur: &mut Cursor) -> Result<Vec<(String, String)>, String> {
    let mut labels: Vec<(String, String)> = Vec::new();
    loop {
        cur.skip_blanks();
        if cur.peek() == Some(b'}') {
            cur.pos += 1;
            return Ok(labels);
        }
        let name = cur.take_while(|i, b| b.is_ascii_alphabetic() || b == b'_' || (i > 0 && b.is_ascii_digit()));
        if name.is_empty() {
            return Err(match cur.peek() {
                None => "expected '}' to close the label set".to_string(),
                Some(_) => format!("expected a label name or '}}', found {:?}", cur.token()),
            });
        }
        cur.skip_blanks();
        if cur.peek() != Some(b'=') {
            return Err(format!("expected '=' after label name {name}"));
        }
        cur.pos += 1;
        cur.skip_blanks();
        if cur.peek() != Some(b'"') {
            return Err(format!("expected '\"' to open the value of label {name}"));
        }
        cur.pos += 1;
        let value = parse_label_value(cur, name)?;
        if labels.iter().any(|(n, _)| n == name) {
            return Err(format!("duplicate label {name}"));
        }
        labels.push((name.to_string(), value));
        cur.skip_blanks();
        match cur.peek() {
            Some(b',') => cur.pos += 1,
            Some(b'}') => {}
            None => return Err("expected '}' to close the label set".to_string()),
            Some(_) => return Err(format!("expected ',' or '}}' after the value of label {name}")),
        }
    }
}

/// Reads a label value up to its closing quote (the opening one consumed).
fn parse_label_value(cur: &mut Cursor, name: &str) -> Result<String, String> {
    let mut out = Vec::new();
    loop {
        let Some(byte) = cur.peek() else {
            return Err(format!("unterminated string in the value of label {name}"));
        };
        cur.pos += 1;
        match byte {
            b'"' => return String::from_utf8(out).map_err(|_| format!("invalid UTF-8 in the value of label {name}")),
            b'\\' => {
                let escaped = cur.peek();
                cur.pos += 1;
                match escaped {
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'"') => out.push(b'"'),
                    Some(b'n') => out.push(b'\n'),
                    other => {
                        let found = other.map_or("end of line".to_string(), |b| format!("{:?}", b as char));
                        let expected = r#"expected an escape \\, \" or \n"#;
                        return Err(format!("{expected} in label {name}, found {found}"));
                    }
                }
            }
            _ => out.push(byte),
        }
    }
}

/// A sample value: a float, including `NaN`, `+Inf`, `-Inf` (any case, as Go's ParseFloat).
pub fn parse_value(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
}

/// Per-second rate of a counter over (time_seconds, value) points in time order.
/// A drop in value is a reset to 0, so the increase across it is the new value
/// (as Prometheus does). Unlike PromQL `rate()`, no extrapolation to the edges of
/// a range: the increase is divided by the span between the first and last points.
/// None with fewer than 2 points, a span that is not positive, or non-finite input.
pub fn rate(points: &[(f64, f64)]) -> Option<f64> {
    let (first, last) = (points.first()?, points.last()?);
    let span = last.0 - first.0;
    if points.len() < 2 || !span.is_finite() || span <= 0.0 {
        return None;
    }
    let mut increase = 0.0;
    for pair in points.windows(2) {
        let (prev, next) = (pair[0].1, pair[1].1);
        if !prev.is_finite() || !next.is_finite() {
            return None;
        }
        increase += if next < prev { next } else { next - prev };
    }
    Some(increase / span)
}

/// histogram_quantile over cumulative buckets [(le, cumulative_count)], as Prometheus
/// computes it. The q checks come first (NaN → NaN, q < 0 → -Inf, q > 1 → +Inf), as
/// in Prometheus. Then None for: no +Inf bucket, no finite bucket, zero total count,
/// a NaN bound or count. Buckets are sorted by le, equal bounds merged (counts
/// summed), counts made monotonic (max so far). Interpolates linearly within the
/// bucket (the first from 0, unless its bound is ≤ 0: then that bound); a quantile
/// in the +Inf bucket gives the upper bound of the last finite bucket.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    match q {
        _ if q.is_nan() => return Some(f64::NAN),
        _ if q < 0.0 => return Some(f64::NEG_INFINITY),
        _ if q > 1.0 => return Some(f64::INFINITY),
        _ => {}
    }
    if buckets.iter().any(|(le, count)| le.is_nan() || count.is_nan()) {
        return None;
    }
    let mut sorted = buckets.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(sorted.len());
    for (le, count) in sorted {
        match merged.last_mut() {
            Some(last) if last.0 == le => last.1 += count,
            _ => merged.push((le, count)),
        }
    }
    let mut max = f64::NEG_INFINITY;
    for bucket in &mut merged {
        max = max.max(bucket.1);
        bucket.1 = max;
    }
    let n = merged.len();
    let &(top, observations) = merged.last()?;
    if top != f64::INFINITY || n < 2 || observations <= 0.0 {
        return None;
    }
    let mut rank = q * observations;
    let b = merged[..n - 1].iter().position(|&(_, c)| c >= rank);
    let b = b.unwrap_or(n - 1);
    if b == n - 1 {
        return Some(merged[n - 2].0);
    }
    let (end, mut count) = merged[b];
    if b == 0 && end <= 0.0 {
        return Some(end);
    }
    let mut start = 0.0;
    if b > 0 {
        let (prev_le, prev_count) = merged[b - 1];
        start = prev_le;
        count -= prev_count;
        rank -= prev_count;
    }
    // An empty bucket can only be picked when rank equals its count: its lower edge.
    if count == 0.0 {
        return Some(start);
    }
    Some(start + (end - start) * (rank / count))
}

/// Groups the `{histogram}_bucket` samples by their labels other than `le`, giving
/// per group the (le, count) pairs sorted by le; groups come sorted by their labels.
/// A bucket sample whose `le` is missing or not a number is left out.
pub fn buckets_by_series(samples: &[Sample], histogram: &str) -> Vec<(Labels, Buckets)> {
    let bucket_name = format!("{histogram}_bucket");
    let mut groups: BTreeMap<Labels, Buckets> = BTreeMap::new();
    for sample in samples.iter().filter(|s| s.name == bucket_name) {
        let le = sample.labels.iter().find(|(n, _)| n == "le");
        let Some(le) = le.and_then(|(_, v)| parse_value(v)) else {
            continue;
        };
        let key: Vec<_> = sample.labels.iter().filter(|(n, _)| n != "le").cloned().collect();
        groups.entry(key).or_default().push((le, sample.value));
    }
    groups
        .into_iter()
        .map(|(key, mut pairs)| {
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            (key, pairs)
        })
        .collect()
}

/// A bounded ring of (time, value) points per series key, for direct scraping:
/// pushing beyond `capacity` drops the oldest (capacity 0 keeps nothing).
#[derive(Debug, Clone)]
pub struct Ring<K = String> {
    capacity: usize,
    /// Series kept at most: a churn of label values (a pod name, a
    /// request id) must not grow memory without end.
    max_series: usize,
    series: HashMap<K, VecDeque<(f64, f64)>>,
    /// Series dropped to stay within `max_series`.
    evicted: u64,
}

impl<K: Hash + Eq + Clone> Ring<K> {
    pub fn new(capacity: usize) -> Ring<K> {
        Ring::with_series_limit(capacity, usize::MAX)
    }

    /// `capacity` points per series, `max_series` series: past it, the
    /// series updated longest ago go first (a tenth at a time, so a churn
    /// does not scan every series on every new one).
    pub fn with_series_limit(capacity: usize, max_series: usize) -> Ring<K> {
        Ring {
            capacity,
            max_series: max_series.max(1),
            series: HashMap::new(),
            evicted: 0,
        }
    }

    /// How many series were dropped to stay within the limit.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    fn evict_oldest(&mut self) {
        let count = (self.max_series / 10).max(1);
        let mut by_age: Vec<(f64, &K)> = self
            .series
            .iter()
            .map(|(k, points)| (points.back().map_or(f64::NEG_INFINITY, |p| p.0), k))
            .collect();
        let count = count.min(by_age.len());
        if count == 0 {
            return;
        }
        by_age.select_nth_unstable_by(count - 1, |a, b| a.0.total_cmp(&b.0));
        let gone: Vec<K> = by_age[..count].iter().map(|(_, k)| (*k).clone()).collect();
        for key in gone {
            self.series.remove(&key);
        }
        self.evicted += count as u64;
    }

    pub fn push<Q>(&mut self, key: &Q, time: f64, value: f64)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if self.capacity == 0 {
            return;
        }
        if !self.series.contains_key(key) {
            if self.series.len() >= self.max_series {
                self.evict_oldest();
            }
            self.series.insert(key.to_owned(), VecDeque::new());
        }
        let Some(points) = self.series.get_mut(key) else { return };
        while points.len() >= self.capacity {
            points.pop_front();
        }
        points.push_back((time, value));
    }

    /// Points of `key` at or after `since`, oldest first.
    pub fn window<Q>(&self, key: &Q, since: f64) -> Vec<(f64, f64)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let points = self.series.get(key).into_iter().flatten();
        points.filter(|(t, _)| *t >= since).copied().collect()
    }

    pub fn len<Q>(&self, key: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.series.get(key).map_or(0, VecDeque::len)
    }

    /// Number of series keys seen.
    pub fn series(&self) -> usize {
        self.series.len()
    }

    /// Every series key and its points, oldest first, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &VecDeque<(f64, f64)>)> {
        self.series.iter()
    }
}

#[cfg(test)]
#[path = "scrape_tests.rs"]
mod tests;
