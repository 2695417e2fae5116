//! Kubernetes label and field selectors, following apimachinery's
//! `pkg/labels/selector.go` and `pkg/fields/selector.go`.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// A parsed label selector: all requirements must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabelSelector {
    reqs: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SelectorError(pub String);

fn err(msg: impl Into<String>) -> SelectorError {
    SelectorError(msg.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    NotEq,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// `values` is a set so Display is sorted and duplicates collapse, as upstream.
#[derive(Debug, Clone, PartialEq)]
struct Requirement {
    key: String,
    op: Op,
    values: BTreeSet<String>,
}

impl Requirement {
    fn new(key: &str, op: Op, values: BTreeSet<String>) -> Result<Self, String> {
        validate_key(key)?;
        let problem = match op {
            Op::In | Op::NotIn if values.is_empty() => Some("values set can't be empty for 'in' and 'notin'"),
            Op::Eq | Op::NotEq if values.len() != 1 => Some("exactly one value is required for '=' and '!='"),
            Op::Exists | Op::DoesNotExist if !values.is_empty() => Some("values must be empty for exists/not exists"),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(format!("key {key:?}: {problem}"));
        }
        values.iter().try_for_each(|v| validate_value(key, v))?;
        Ok(Requirement {
            key: key.to_string(),
            op,
            values,
        })
    }

    fn matches(&self, labels: Option<&Value>) -> bool {
        let got = labels.and_then(|l| l.get(&self.key)).and_then(Value::as_str);
        let hit = got.is_some_and(|v| self.values.contains(v));
        // Absent labels satisfy the negative operators, as upstream.
        match self.op {
            Op::Eq | Op::In => hit,
            Op::NotEq | Op::NotIn => !hit,
            Op::Exists => got.is_some(),
            Op::DoesNotExist => got.is_none(),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.key;
        let vals = self.values.iter().map(String::as_str).collect::<Vec<_>>().join(",");
        match self.op {
            Op::Eq => write!(f, "{k}={vals}"),
            Op::NotEq => write!(f, "{k}!={vals}"),
            Op::In => write!(f, "{k} in ({vals})"),
            Op::NotIn => write!(f, "{k} notin ({vals})"),
            Op::Exists => write!(f, "{k}"),
            Op::DoesNotExist => write!(f, "!{k}"),
        }
    }
}

const SHAPE: &str = "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";

/// Upstream's qualified-name / label-value shape: `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn label_shaped(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_alphanumeric();
    s.starts_with(edge) && s.ends_with(edge) && s.chars().all(|c| edge(c) || matches!(c, '-' | '_' | '.'))
}

/// Lowercase RFC 1123 subdomain, required of a key's `example.com/` prefix.
fn dns_subdomain(s: &str) -> bool {
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let part = |p: &str| p.starts_with(edge) && p.ends_with(edge) && p.chars().all(|c| edge(c) || c == '-');
    s.len() <= 253 && s.split('.').all(part)
}

fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = key.split_once('/').map_or((None, key), |(p, n)| (Some(p), n));
    let problem = if prefix.is_some_and(|p| !dns_subdomain(p)) {
        "prefix part must be a lowercase DNS subdomain like 'example.com'".to_string()
    } else if name.len() > 63 {
        "name part must be no more than 63 characters".to_string()
    } else if !label_shaped(name) {
        format!("name part must consist of {SHAPE}")
    } else {
        return Ok(());
    };
    Err(format!("invalid label key {key:?}: {problem}"))
}

fn validate_value(key: &str, v: &str) -> Result<(), String> {
    let problem = if v.len() > 63 {
        "must be no more than 63 characters".to_string()
    } else if !v.is_empty() && !label_shaped(v) {
        format!("must be empty or consist of {SHAPE}")
    } else {
        return Ok(());
    };
    Err(format!("invalid label value {v:?} for key {key:?}: {problem}"))
}

fn special(c: char) -> bool {
    "!=(),<>".contains(c)
}

/// Tokens are symbols (`!`, `!=`, `=`, `==`, `(`, `)`, `,`, `<`, `>`) or identifiers (runs of
/// anything else up to whitespace); `in`/`notin` are keywords only where an operator belongs.
fn lex(s: &str) -> Vec<String> {
    let mut toks = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let mut tok = String::from(c);
        if c.is_whitespace() {
            continue;
        } else if special(c) {
            if matches!(c, '!' | '=') && chars.next_if_eq(&'=').is_some() {
                tok.push('=');
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace() && !special(*c)) {
                tok.push(c);
            }
        }
        toks.push(tok);
    }
    toks
}

struct Parser {
    toks: Vec<String>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(String::as_str)
    }

    fn unexpected(&self, expected: &str) -> String {
        let found = self.peek().map_or("end of string".to_string(), |t| format!("'{t}'"));
        format!("found {found}, expected: {expected}")
    }

    /// Takes the next token if it is an identifier (keywords included).
    fn ident(&mut self) -> Option<String> {
        let t = self.peek().filter(|t| !t.starts_with(special))?.to_string();
        self.pos += 1;
        Some(t)
    }

    fn eat(&mut self, sym: &str) -> bool {
        let hit = self.peek() == Some(sym);
        self.pos += usize::from(hit);
        hit
    }

    fn at_term_end(&self) -> bool {
        matches!(self.peek(), None | Some(","))
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let negated = self.eat("!");
        let key = if matches!(self.peek(), Some("in" | "notin")) {
            None
        } else {
            self.ident()
        };
        let key = key.ok_or_else(|| self.unexpected(if negated { "identifier" } else { "'!' or identifier" }))?;
        if negated || self.at_term_end() {
            let op = if negated { Op::DoesNotExist } else { Op::Exists };
            return Requirement::new(&key, op, BTreeSet::new());
        }
        let op = match self.peek() {
            Some("=" | "==") => Op::Eq,
            Some("!=") => Op::NotEq,
            Some("in") => Op::In,
            Some("notin") => Op::NotIn,
            _ => return Err(self.unexpected("'=', '==', '!=', 'in' or 'notin'")),
        };
        self.pos += 1;
        let values = match op {
            Op::In | Op::NotIn => self.set()?,
            // `a=` followed by ',' or the end is the empty value, as upstream.
            _ if self.at_term_end() => BTreeSet::from([String::new()]),
            _ => BTreeSet::from([self.ident().ok_or_else(|| self.unexpected("identifier"))?]),
        };
        Requirement::new(&key, op, values)
    }

    /// `( v1, v2 )`; an empty slot (`()`, `(a,)`) is the empty value, as upstream.
    fn set(&mut self) -> Result<BTreeSet<String>, String> {
        if !self.eat("(") {
            return Err(self.unexpected("'('"));
        }
        let mut values = BTreeSet::new();
        loop {
            match self.ident() {
                Some(v) => values.insert(v),
                None if matches!(self.peek(), Some("," | ")")) => values.insert(String::new()),
                None => return Err(self.unexpected("',', ')' or identifier")),
            };
            if self.eat(")") {
                return Ok(values);
            }
            if !self.eat(",") {
                return Err(self.unexpected("',' or ')'"));
            }
        }
    }
}

impl LabelSelector {
    /// Parses the `labelSelector` query syntax: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x,y)`, `a`, `!a`, comma-separated. Empty string = matches everything.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        let mut p = Parser { toks: lex(s), pos: 0 };
        let mut reqs = Vec::new();
        while p.peek().is_some() {
            if !reqs.is_empty() && !p.eat(",") {
                return Err(err(p.unexpected("',' or end of string")));
            }
            let req = p.requirement().map_err(|e| format!("unable to parse requirement: {e}"));
            reqs.push(req.map_err(err)?);
        }
        Ok(Self::sorted(reqs))
    }

    fn sorted(mut reqs: Vec<Requirement>) -> Self {
        // Upstream sorts by key; this fixes the Display form.
        reqs.sort_by(|a, b| a.key.cmp(&b.key));
        LabelSelector { reqs }
    }

    /// From a `metav1.LabelSelector` value (`matchLabels` / `matchExpressions`)
    /// or a plain label map (a Service's `spec.selector`). Null = everything.
    pub fn from_value(v: &Value) -> Result<LabelSelector, SelectorError> {
        if !(v.is_object() || v.is_null()) {
            return Err(err("label selector must be an object"));
        }
        // A Service map may hold a label literally named "matchLabels", but then its value is a string.
        let field = |k: &str| v.get(k).is_some_and(|x| !x.is_string());
        let structured = field("matchLabels") || field("matchExpressions");
        // Indexing a Value (not a Map) yields Null for absent keys instead of panicking.
        let (labels, exprs) = if structured {
            (&v["matchLabels"], &v["matchExpressions"])
        } else {
            (v, &Value::Null)
        };
        if !(labels.is_object() || labels.is_null()) || !(exprs.is_array() || exprs.is_null()) {
            return Err(err("matchLabels must be an object and matchExpressions an array"));
        }
        let mut reqs = Vec::new();
        for (k, val) in labels.as_object().into_iter().flatten() {
            let val = val
                .as_str()
                .ok_or_else(|| err(format!("label {k:?} is not a string")))?;
            reqs.push(Requirement::new(k, Op::Eq, BTreeSet::from([val.to_string()])).map_err(err)?);
        }
        for e in exprs.as_array().into_iter().flatten() {
            reqs.push(expression(e)?);
        }
        Ok(Self::sorted(reqs))
    }

    /// Matches a labels map (absent or null = no labels).
    pub fn matches_labels(&self, labels: Option<&Value>) -> bool {
        self.reqs.iter().all(|r| r.matches(labels))
    }

    /// Matches an object by its `metadata.labels`.
    pub fn matches(&self, object: &Value) -> bool {
        self.matches_labels(object.get("metadata").and_then(|m| m.get("labels")))
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }
}

fn expression(e: &Value) -> Result<Requirement, SelectorError> {
    let key = e["key"].as_str().ok_or_else(|| err("matchExpressions: missing key"))?;
    let bad = |what: String| err(format!("matchExpressions key {key:?}: {what}"));
    let op = match e["operator"].as_str() {
        Some("In") => Op::In,
        Some("NotIn") => Op::NotIn,
        Some("Exists") => Op::Exists,
        Some("DoesNotExist") => Op::DoesNotExist,
        _ => return Err(bad(format!("invalid operator {}", e["operator"]))),
    };
    let values = match &e["values"] {
        Value::Null => Some(BTreeSet::new()),
        Value::Array(vs) => vs.iter().map(|v| v.as_str().map(str::to_string)).collect(),
        _ => None,
    };
    let values = values.ok_or_else(|| bad("values must be an array of strings".to_string()))?;
    Requirement::new(key, op, values).map_err(err)
}

/// Canonical form (sorted by key, sorted set values), as in a Scale's `status.selector`.
impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.reqs.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// A parsed field selector: `field=value`, `field==value`, `field!=value`,
/// comma-separated, values using `\,` `\=` `\\` escapes. Empty = everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldSelector {
    /// (field, negated, value)
    terms: Vec<(String, bool, String)>,
}

/// Splits on commas not escaped by a backslash.
fn split_terms(s: &str) -> Vec<&str> {
    let (mut terms, mut start, mut escaped) = (Vec::new(), 0, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                terms.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Upstream `UnescapeValue`: only `\\`, `\,`, `\=` escapes; bare `,`/`=` are errors.
fn unescape(raw: &str) -> Result<String, SelectorError> {
    let bad = |why: String| err(format!("invalid field selector value {raw:?}: {why}"));
    let (mut out, mut chars) = (String::new(), raw.chars());
    while let Some(c) = chars.next() {
        match (c, if c == '\\' { chars.next() } else { None }) {
            ('\\', Some(e @ ('\\' | ',' | '='))) => out.push(e),
            ('\\', Some(e)) => return Err(bad(format!("invalid escape '\\{e}'"))),
            ('\\', None) => return Err(bad("trailing '\\'".to_string())),
            (',' | '=', _) => return Err(bad(format!("unescaped '{c}'"))),
            _ => out.push(c),
        }
    }
    Ok(out)
}

impl FieldSelector {
    pub fn parse(s: &str) -> Result<FieldSelector, SelectorError> {
        let mut terms = Vec::new();
        for part in split_terms(s).into_iter().filter(|p| !p.is_empty()) {
            // The first `=` ends the operator (`=`, `==` or `!=`), like upstream's first-match scan.
            let (field, negated, raw) = match part.split_once('=') {
                Some((f, r)) if f.ends_with('!') => (&f[..f.len() - 1], true, r),
                Some((f, r)) => (f, false, r.strip_prefix('=').unwrap_or(r)),
                None => return Err(err(format!("invalid field selector {s:?}: can't understand {part:?}"))),
            };
            let field = field.trim();
            if field.is_empty() {
                return Err(err(format!("invalid field selector {s:?}: no field name in {part:?}")));
            }
            terms.push((field.to_string(), negated, unescape(raw)?));
        }
        Ok(FieldSelector { terms })
    }

    /// Missing or null fields compare as "", as the API server does.
    pub fn matches(&self, object: &Value) -> bool {
        self.terms.iter().all(|(field, negated, want)| {
            let have = match field.split('.').try_fold(object, |v, seg| v.get(seg)) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            (&have == want) != *negated
        })
    }

    pub fn fields(&self) -> Vec<&str> {
        self.terms.iter().map(|t| t.0.as_str()).collect()
    }

    /// Some(name) when the selector is exactly `metadata.name=NAME` (a watch of one object).
    pub fn single_name(&self) -> Option<&str> {
        match self.terms.as_slice() {
            [(field, false, name)] if field == "metadata.name" => Some(name),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ls(s: &str) -> LabelSelector {
        LabelSelector::parse(s).unwrap()
    }

    fn perr(s: &str) -> String {
        LabelSelector::parse(s).unwrap_err().0
    }

    #[test]
    fn operators() {
        let l = json!({"app": "web", "env": "prod"});
        let m = |s: &str| ls(s).matches_labels(Some(&l));
        assert!(m("app=web") && m("app==web") && !m("app=db"));
        assert!(m("app!=db") && !m("app!=web") && m("missing!=x"));
        assert!(m("env in (prod,staging)") && !m("env in (dev)") && !m("missing in (x)"));
        assert!(m("env notin (dev)") && !m("env notin (prod)") && m("missing notin (x)"));
        assert!(m("app") && !m("missing") && m("!missing") && !m("!app"));
        assert!(m("env in ( prod , staging )") && m("env  notin(dev,qa)") && m("app in (in,notin,web)"));
        assert!(m("app=web, env in (prod), !missing") && !m("app=web,env=dev"));
    }

    #[test]
    fn empty_and_absent_labels() {
        assert!(ls("").is_empty() && ls("  ").matches(&json!({})));
        assert!(ls("!a").matches(&json!({"metadata": {"labels": null}})));
        assert!(ls("a!=b").matches(&json!({"metadata": {}})));
        assert!(!ls("a").matches_labels(None));
        assert!(ls("a=").matches_labels(Some(&json!({"a": ""}))));
        assert!(ls("a in (x,)").matches_labels(Some(&json!({"a": ""}))));
    }

    #[test]
    fn display_is_canonical() {
        let s = ls("z=1, b in (y, x), !c, a, d!=2, e notin (q)");
        assert_eq!(s.to_string(), "a,b in (x,y),!c,d!=2,e notin (q),z=1");
        assert_eq!(ls("app==web").to_string(), "app=web");
        assert_eq!(ls(&s.to_string()), s);
    }

    #[test]
    fn from_value() {
        let sel = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "example.com/team", "operator": "Exists", "values": []}
            ]
        });
        let s = LabelSelector::from_value(&sel).unwrap();
        assert_eq!(s.to_string(), "app=web,!canary,example.com/team,tier in (be,fe)");
        let obj = json!({"metadata": {"labels": {"app": "web", "tier": "fe", "example.com/team": "ml"}}});
        assert!(s.matches(&obj) && !s.matches(&json!({"metadata": {"labels": {"app": "web"}}})));
        let svc = LabelSelector::from_value(&json!({"app": "web", "matchLabels": "x"})).unwrap();
        assert_eq!(svc.to_string(), "app=web,matchLabels=x");
        assert!(LabelSelector::from_value(&Value::Null).unwrap().is_empty());
        assert!(LabelSelector::from_value(&json!({})).unwrap().matches(&obj));
        let bad = |v: Value| LabelSelector::from_value(&v).unwrap_err().0;
        assert!(bad(json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})).contains("empty"));
        assert!(
            bad(json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})).contains("empty")
        );
        assert!(bad(json!({"matchExpressions": [{"key": "a", "operator": "Gt"}]})).contains(r#"operator "Gt""#));
        assert!(bad(json!({"matchLabels": [1]})).contains("matchLabels must be an object"));
        assert!(bad(json!({"Bad Key": "x"})).contains(r#"invalid label key "Bad Key""#));
        assert!(bad(json!({"app": 3})).contains("is not a string"));
    }

    #[test]
    fn parse_errors_name_the_problem() {
        assert!(perr("a in (").contains("found end of string, expected: ',', ')' or identifier"));
        assert!(perr("=b").contains("found '=', expected: '!' or identifier"));
        assert!(perr("a=b=c").contains("found '=', expected: ',' or end of string"));
        assert!(perr("in (x)").contains("found 'in'"));
        assert!(perr("a in x").contains("found 'x', expected: '('"));
        assert!(perr("a b").contains("found 'b', expected: '='"));
        assert!(perr("a=b,").contains("found end of string"));
        assert!(perr("n>5").contains("found '>'"));
        assert!(perr("Bad@Key=x").contains(r#"invalid label key "Bad@Key""#));
        assert!(perr("Example.com/a=x").contains("prefix part"));
        assert!(perr("a/b/c").contains("name part"));
        assert!(perr("a=-x").contains(r#"invalid label value "-x""#));
        assert!(perr(&format!("a={}", "v".repeat(64))).contains("no more than 63"));
        assert!(perr(&format!("{}=x", "k".repeat(64))).contains("invalid label key"));
        assert!(LabelSelector::parse(&format!("a={}", "v".repeat(63))).is_ok());
    }

    #[test]
    fn field_selectors() {
        let pod = json!({"metadata": {"name": "web-1", "namespace": "ml"}, "status": {"phase": "Running"},
                         "spec": {"replicas": 3}});
        let m = |s: &str| FieldSelector::parse(s).unwrap().matches(&pod);
        assert!(m("metadata.name=web-1") && !m("metadata.name=web-2") && m(""));
        assert!(m("metadata.namespace==ml,status.phase!=Pending") && !m("status.phase!=Running"));
        assert!(m("spec.nodeName=") && m("spec.nodeName!=node-1") && m("spec.replicas=3"));
        let esc = FieldSelector::parse(r"metadata.name=a\,b\=c\\d,status.phase=x").unwrap();
        assert_eq!(esc.fields(), vec!["metadata.name", "status.phase"]);
        assert!(esc.matches(&json!({"metadata": {"name": r"a,b=c\d"}, "status": {"phase": "x"}})));
        let bad = |s: &str| FieldSelector::parse(s).unwrap_err().0;
        assert!(bad("metadata.name").contains("can't understand"));
        assert!(bad("a=b=c").contains("unescaped '='"));
        assert!(bad(r"a=b\x").contains(r"invalid escape '\x'"));
        assert!(bad("=x").contains("no field name"));
    }

    #[test]
    fn single_name() {
        let sn = |s: &str| FieldSelector::parse(s).unwrap().single_name().map(str::to_string);
        assert_eq!(sn("metadata.name=web").as_deref(), Some("web"));
        assert_eq!(sn("metadata.name==web").as_deref(), Some("web"));
        assert_eq!(sn("metadata.name!=web"), None);
        assert_eq!(sn("metadata.name=web,status.phase=Running"), None);
        assert_eq!(sn(""), None);
    }
}
