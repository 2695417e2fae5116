//! A configuration file as a tree of values that remember where they were
//! written, so that one bad key can be taken out (and named by file and
//! line) while the rest of the file still applies.

use std::fmt;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Which file a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    BuiltIn,
    User,
}

/// Where a value was written: its key, or for a list entry the entry itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Origin {
    pub source: Source,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    /// Unique across the files of one load, so a node can be taken out of
    /// the file it came from after the files were merged.
    pub id: usize,
    pub origin: Origin,
    /// Its place in the list that holds it, in its own file (0 outside
    /// lists): how messages number entries, whatever was merged or taken out.
    pub pos: usize,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub(super) enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Node>),
    /// Keys are unique (TOML guarantees it).
    Table(Vec<(String, Node)>),
}

/// One step of a key path: `metrics`, `panels`, `[2]`, `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

impl Segment {
    pub fn key(key: &str) -> Segment {
        Segment::Key(key.to_owned())
    }
}

/// A key path, shown as `metrics.panels[2].kind`.
pub(super) struct KeyPath<'a>(pub &'a [Segment]);

impl fmt::Display for KeyPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Parses `text` (a syntax error is the caller's to report); ids continue
/// from `next_id`.
pub(super) fn parse(text: &str, source: Source, next_id: &mut usize) -> Result<Node, toml::de::Error> {
    let document = DeTable::parse(text)?;
    let lines = LineIndex::new(text);
    let mut builder = Builder {
        source,
        lines: &lines,
        next_id,
    };
    let origin = builder.origin(0);
    let table = builder.table(document.into_inner());
    Ok(builder.node(origin, 0, table))
}

struct Builder<'a> {
    source: Source,
    lines: &'a LineIndex,
    next_id: &'a mut usize,
}

impl Builder<'_> {
    fn origin(&self, offset: usize) -> Origin {
        let (line, col) = self.lines.line_col(offset);
        Origin {
            source: self.source,
            line,
            col,
        }
    }

    fn node(&mut self, origin: Origin, pos: usize, value: Value) -> Node {
        *self.next_id += 1;
        Node {
            id: *self.next_id,
            origin,
            pos,
            value,
        }
    }

    fn table(&mut self, table: DeTable<'_>) -> Value {
        let mut entries: Vec<(String, Node)> = Vec::new();
        for (key, value) in table {
            let origin = self.origin(key.span().start);
            let name = key.into_inner().into_owned();
            let value = self.value(value.into_inner());
            entries.push((name, self.node(origin, 0, value)));
        }
        // The parser keeps keys sorted; warnings read best in file order.
        entries.sort_by_key(|(_, node)| (node.origin.line, node.origin.col));
        Value::Table(entries)
    }

    fn value(&mut self, value: DeValue<'_>) -> Value {
        match value {
            DeValue::String(s) => Value::String(s.into_owned()),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(i) => Value::Integer(i),
                // Only beyond i64, which no setting takes; keep it for the message.
                Err(_) => Value::String(i.to_string()),
            },
            DeValue::Float(f) => Value::Float(f.as_str().parse().unwrap_or(f64::NAN)),
            DeValue::Boolean(b) => Value::Boolean(b),
            DeValue::Datetime(d) => Value::Datetime(d.to_string()),
            DeValue::Array(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(pos, item): (usize, Spanned<DeValue<'_>>)| {
                        let origin = self.origin(item.span().start);
                        let value = self.value(item.into_inner());
                        self.node(origin, pos, value)
                    })
                    .collect(),
            ),
            DeValue::Table(table) => self.table(table),
        }
    }
}

impl Node {
    pub fn get(&self, path: &[Segment]) -> Option<&Node> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        let child = match (&self.value, first) {
            (Value::Table(entries), Segment::Key(key)) => entries.iter().find(|(k, _)| k == key).map(|(_, n)| n),
            (Value::Array(items), Segment::Index(i)) => items.get(*i),
            _ => None,
        }?;
        child.get(rest)
    }

    /// `path` as the user wrote it: list entries numbered in their own
    /// file, whatever was merged before them or taken out.
    pub fn show_path(&self, path: &[Segment]) -> String {
        let mut shown = Vec::with_capacity(path.len());
        let mut node = Some(self);
        for segment in path {
            let next = node.and_then(|n| n.get(std::slice::from_ref(segment)));
            shown.push(match (segment, next) {
                (Segment::Index(_), Some(n)) => Segment::Index(n.pos),
                (segment, _) => segment.clone(),
            });
            node = next;
        }
        KeyPath(&shown).to_string()
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.value {
            Value::Table(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, n)| n),
            _ => None,
        }
    }

    /// Sets the value of the node with `id`, wherever it is at or below
    /// this one.
    pub fn set(&mut self, id: usize, value: Value) -> bool {
        if self.id == id {
            self.value = value;
            return true;
        }
        match &mut self.value {
            Value::Table(entries) => entries.iter_mut().any(|(_, n)| n.set(id, value.clone())),
            Value::Array(items) => items.iter_mut().any(|n| n.set(id, value.clone())),
            _ => false,
        }
    }

    /// Takes out the node with `id`, wherever it is below this one.
    pub fn remove(&mut self, id: usize) -> bool {
        match &mut self.value {
            Value::Table(entries) => {
                if let Some(at) = entries.iter().position(|(_, n)| n.id == id) {
                    entries.remove(at);
                    return true;
                }
                entries.iter_mut().any(|(_, n)| n.remove(id))
            }
            Value::Array(items) => {
                if let Some(at) = items.iter().position(|n| n.id == id) {
                    items.remove(at);
                    return true;
                }
                items.iter_mut().any(|n| n.remove(id))
            }
            _ => false,
        }
    }

    /// Lays `over` onto this node: tables merge key by key, anything else
    /// replaces.
    pub fn merge(&mut self, over: Node) {
        match (&mut self.value, over.value) {
            (Value::Table(base), Value::Table(entries)) => {
                for (key, node) in entries {
                    match base.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, existing)) => existing.merge(node),
                        None => base.push((key, node)),
                    }
                }
            }
            (_, value) => {
                *self = Node {
                    id: over.id,
                    origin: over.origin,
                    pos: over.pos,
                    value,
                };
            }
        }
    }

    /// The value as it would be written in TOML, for scalars and lists of
    /// them ("5", "\"default\"", "[5, 10]"); None for tables.
    pub fn render(&self) -> Option<String> {
        Some(match &self.value {
            Value::String(s) => format!("{s:?}"),
            Value::Integer(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Boolean(b) => b.to_string(),
            Value::Datetime(d) => d.clone(),
            Value::Array(items) => {
                let items: Option<Vec<String>> = items.iter().map(Node::render).collect();
                format!("[{}]", items?.join(", "))
            }
            Value::Table(_) => return None,
        })
    }
}

/// Byte offset to line and column, for many lookups in one text.
struct LineIndex {
    starts: Vec<usize>,
    text: String,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            starts,
            text: text.to_owned(),
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|start| *start <= offset).max(1);
        let start = self.starts[line - 1];
        let col = self.text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_remember_their_lines_and_merge_key_by_key() {
        let mut ids = 0;
        let text = "[metrics]\nrefresh = 5\n\n[[metrics.panels]]\nname = \"a\"\nq = [1, 2]\n";
        let mut base = parse(text, Source::BuiltIn, &mut ids).unwrap();
        let key = |k: &str| Segment::Key(k.into());
        let panel = base.get(&[key("metrics"), key("panels"), Segment::Index(0)]).unwrap();
        assert_eq!(panel.origin.line, 4, "a list entry is where its header is");
        let refresh = base.get(&[key("metrics"), key("refresh")]).unwrap();
        assert_eq!((refresh.origin.line, refresh.origin.col), (2, 1));

        let over = parse("metrics.timeout = 3\n", Source::User, &mut ids).unwrap();
        base.merge(over);
        let timeout = base.get(&[key("metrics"), key("timeout")]).unwrap();
        assert_eq!(timeout.origin.source, Source::User);
        assert_eq!(timeout.render().as_deref(), Some("3"));
        let id = timeout.id;
        assert!(base.remove(id));
        assert!(base.get(&[key("metrics"), key("timeout")]).is_none());
        assert!(base.get(&[key("metrics"), key("refresh")]).is_some());
        assert_eq!(
            KeyPath(&[key("metrics"), key("panels"), Segment::Index(2), key("kind")]).to_string(),
            "metrics.panels[2].kind"
        );
    }
}
