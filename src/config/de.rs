//! Serde over a [`Node`] tree, with errors that say exactly which key is at
//! fault and what is wrong with it, so the loader can take that key out
//! alone: an unknown key carries the known ones (for "did you mean"), and a
//! bad value says what was expected and what was found, in an operator's
//! words rather than Rust's.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Unexpected, Visitor};

use super::tree::{Node, Segment, Value};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum DeErrorKind {
    /// A key the settings do not have; `expected` are the ones they do.
    UnknownKey { expected: &'static [&'static str] },
    /// A value that cannot be used.
    Unusable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct DeError {
    pub kind: DeErrorKind,
    /// Where, outermost first.
    pub path: Vec<Segment>,
    /// How many leading segments lead to the list or named entry that holds
    /// the fault (a panel, a rule, `[rollouts.NAME]`), if one does.
    pub entry_len: Option<usize>,
}

impl DeError {
    fn unusable(message: String) -> DeError {
        DeError {
            kind: DeErrorKind::Unusable(message),
            path: Vec::new(),
            entry_len: None,
        }
    }

    /// The same error one level further out, under `segment`; `entry` when
    /// that segment names a list or named entry.
    fn within(mut self, segment: Segment, entry: bool) -> DeError {
        self.path.insert(0, segment);
        // The outermost entry is the one left out.
        self.entry_len = if entry {
            Some(1)
        } else {
            self.entry_len.map(|len| len + 1)
        };
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DeErrorKind::UnknownKey { .. } => f.write_str("unknown key"),
            DeErrorKind::Unusable(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::unusable(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::unusable(format!(
            "expected {}, found {}",
            expected_words(exp),
            found_words(&unexp)
        ))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::invalid_type(unexp, exp)
    }

    fn invalid_length(len: usize, exp: &dyn de::Expected) -> Self {
        DeError::unusable(format!("expected {}, found {len} items", expected_words(exp)))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::unusable(format!("expected one of {}, found {variant:?}", expected.join(", ")))
    }

    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            kind: DeErrorKind::UnknownKey { expected },
            path: Vec::new(),
            entry_len: None,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::unusable(format!("expected a key `{field}`, found none"))
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::unusable(format!("`{field}` is given twice"))
    }
}

/// What serde's visitors expect, as an operator would say it.
fn expected_words(exp: &dyn de::Expected) -> String {
    let rust = exp.to_string();
    let words = match rust.as_str() {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" | "usize" => "a whole number (0 or more)",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a sequence" => "a list [..]",
        "a map" => "a table",
        s if s.starts_with("struct ") => "a table",
        _ => return rust,
    };
    words.to_owned()
}

fn found_words(unexp: &Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Str(s) => format!("{s:?}"),
        Unexpected::Signed(i) => i.to_string(),
        Unexpected::Unsigned(u) => u.to_string(),
        Unexpected::Float(x) => x.to_string(),
        Unexpected::Bool(b) => b.to_string(),
        Unexpected::Seq => "a list".to_owned(),
        Unexpected::Map => "a table".to_owned(),
        other => other.to_string(),
    }
}

/// Deserializes from one node.
pub(super) struct NodeDeserializer<'a>(pub &'a Node);

impl<'de> de::Deserializer<'de> for NodeDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0.value {
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Integer(i) => visitor.visit_i64(*i),
            Value::Float(x) => visitor.visit_f64(*x),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Datetime(d) => visitor.visit_borrowed_str(d),
            Value::Array(items) => visitor.visit_seq(ListAccess {
                items: items.iter().enumerate(),
            }),
            Value::Table(entries) => visitor.visit_map(TableAccess {
                entries: entries.iter(),
                current: None,
                named_entries: false,
            }),
        }
    }

    /// A map's keys are names the user chose (`[rollouts.NAME]`): each of
    /// its values is an entry, left out whole when it cannot be used.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0.value {
            Value::Table(entries) => visitor.visit_map(TableAccess {
                entries: entries.iter(),
                current: None,
                named_entries: true,
            }),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.0.value {
            Value::String(s) => {
                let word: StrDeserializer<'_, DeError> = s.as_str().into_deserializer();
                visitor.visit_enum(word)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct struct identifier
    }
}

struct TableAccess<'a> {
    entries: std::slice::Iter<'a, (String, Node)>,
    current: Option<&'a (String, Node)>,
    named_entries: bool,
}

impl<'de> de::MapAccess<'de> for TableAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        let key: BorrowedStrDeserializer<'de, DeError> = BorrowedStrDeserializer::new(&entry.0);
        seed.deserialize(key)
            .map(Some)
            .map_err(|e| e.within(Segment::Key(entry.0.clone()), false))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((key, node)) = self.current.take() else {
            return Err(DeError::unusable("a value without a key".into()));
        };
        seed.deserialize(NodeDeserializer(node))
            .map_err(|e| e.within(Segment::Key(key.clone()), self.named_entries))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct ListAccess<'a> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
}

impl<'de> de::SeqAccess<'de> for ListAccess<'de> {
    type Error = DeError;

    /// A table in a list (`[[metrics.panels]]`) is an entry; a plain value
    /// in one (a percent of the ladder) is part of the list's value.
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        let entry = matches!(node.value, Value::Table(_));
        seed.deserialize(NodeDeserializer(node))
            .map(Some)
            .map_err(|e| e.within(Segment::Index(index), entry))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::config::tree::{Source, parse};

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read only through the errors
    struct Outer {
        #[serde(default)]
        rate: u16,
        #[serde(default)]
        named: std::collections::BTreeMap<String, Inner>,
        #[serde(default)]
        list: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        kind: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Kind {
        Rate,
        Quantile,
    }

    fn error(text: &str) -> DeError {
        let node = parse(text, Source::User, &mut 0).unwrap();
        Outer::deserialize(NodeDeserializer(&node)).unwrap_err()
    }

    #[test]
    fn errors_name_the_key_and_the_entry_holding_it() {
        let e = error("rate = \"fast\"\n");
        assert_eq!(e.to_string(), "expected a whole number from 0 to 65535, found \"fast\"");
        assert_eq!((e.path.len(), e.entry_len), (1, None));

        let e = error("rate = 70000\n");
        assert_eq!(e.to_string(), "expected a whole number from 0 to 65535, found 70000");

        let e = error("[named.a]\nkind = \"histo\"\n");
        assert!(e.to_string().starts_with("expected one of rate, quantile"), "{e}");
        assert_eq!(
            e.path,
            [
                Segment::Key("named".into()),
                Segment::Key("a".into()),
                Segment::Key("kind".into())
            ]
        );
        assert_eq!(e.entry_len, Some(2), "[named.a] is the entry");

        let e = error("[[list]]\nkind = \"rate\"\n[[list]]\nknd = \"rate\"\n");
        assert_eq!(
            e.path,
            [
                Segment::Key("list".into()),
                Segment::Index(1),
                Segment::Key("knd".into())
            ]
        );
        assert_eq!(e.kind, DeErrorKind::UnknownKey { expected: &["kind"] });
    }
}
