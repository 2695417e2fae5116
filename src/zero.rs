//! Go's zero values. Go clients send unset fields as zero values and Go's
//! JSON leaves them out (`omitempty`); Go code compares objects
//! semantically, so `null`, `""`, `0`, `false`, `{}` and `[]` mean "unset".
//! The sim works on JSON, so it normalises the same way where it matters.

use serde_json::Value;

/// Removes zero-valued fields, deepest first. Fields named in `keep` are
/// pointers in the API (an explicit 0 means something) and stay.
pub fn omit_empty(value: &mut Value, keep: &[&str]) {
    match value {
        Value::Object(map) => map.retain(|key, v| {
            omit_empty(v, keep);
            keep.contains(&key.as_str()) && !v.is_null() || !is_zero(v)
        }),
        Value::Array(items) => items.iter_mut().for_each(|v| omit_empty(v, keep)),
        _ => {}
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !*b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
    }
}

/// `value` without its zero-valued fields, for semantic comparison.
pub fn semantic(value: &Value) -> Value {
    let mut value = value.clone();
    omit_empty(&mut value, &[]);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn zero_values_go_and_pointers_named_stay() {
        let mut v =
            json!({"a": "", "b": 0, "c": false, "d": {"e": null, "f": []}, "replicas": 0, "g": [{"h": ""}], "i": 1});
        omit_empty(&mut v, &["replicas"]);
        assert_eq!(v, json!({"replicas": 0, "g": [{}], "i": 1}));
        assert_eq!(
            semantic(
                &json!({"metadata": {"creationTimestamp": null, "labels": {"a": "b"}}, "spec": {"resources": {}}})
            ),
            json!({"metadata": {"labels": {"a": "b"}}})
        );
    }
}
