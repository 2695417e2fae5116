//! What writes share: the field manager they record, and how to say what
//! changed when a write is refused because someone else wrote first.

use serde_json::Value;

/// The field manager recorded on every write, so `kubectl get
/// --show-managed-fields` tells who changed what.
pub const FIELD_MANAGER: &str = "modeldeck";

/// The leaf fields that differ between two versions of an object, outside
/// what the server rewrites on every write, as `path: old -> new`.
pub fn changed_fields(before: &Value, now: &Value) -> Vec<String> {
    const IGNORED: [&str; 5] = [
        "/metadata/resourceVersion",
        "/metadata/managedFields",
        "/metadata/generation",
        "/status",
        "/metadata/creationTimestamp",
    ];
    let mut out = Vec::new();
    diff("", before, now, &mut out);
    out.retain(|line| !IGNORED.iter().any(|p| line.starts_with(p)));
    out
}

fn diff(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (va, vb) = (x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null));
                diff(&format!("{path}/{k}"), va, vb, out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}/{i}"), va, vb, out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} -> {b}")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_the_fields_and_skip_server_bookkeeping() {
        let a = json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 3, "template": {"c": [{"image": "a:1"}]}}});
        let b = json!({"metadata": {"resourceVersion": "9"}, "spec": {"replicas": 5, "template": {"c": [{"image": "a:2"}]}}});
        assert_eq!(
            changed_fields(&a, &b),
            ["/spec/replicas: 3 -> 5", "/spec/template/c/0/image: \"a:1\" -> \"a:2\""]
        );
    }
}
