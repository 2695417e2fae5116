//! Decodes the Kubernetes protobuf request bodies kubectl's typed clients send
//! (`kubectl create deployment|namespace|service`, `kubectl auth can-i`) into
//! the JSON form the API uses, so the store never sees protobuf.
//!
//! A body is the magic `k8s\0` then a `runtime.Unknown` whose `raw` holds the
//! object message. Objects are decoded by table: field number, JSON name, kind.
//! Absent fields are omitted; present ones are kept even when empty, as proto2
//! `optional` says (Go writes every non-pointer field, so `uid: ""` arrives).
//! `status` is server-owned and skipped, as are fields not in the tables.
//!
//! Field numbers are from the real definitions, kubernetes/kubernetes staging/src/k8s.io/:
//! apimachinery/pkg/runtime/generated.proto (Unknown, TypeMeta),
//! apimachinery/pkg/apis/meta/v1/generated.proto (ObjectMeta, OwnerReference, LabelSelector, Time),
//! apimachinery/pkg/util/intstr/generated.proto, apimachinery/pkg/api/resource/generated.proto,
//! api/apps/v1/generated.proto, api/authorization/v1/generated.proto and api/core/v1/generated.proto,
//! the last also as k8s.io/api v0.26.0 for ProbeHandler, ServiceSpec.clusterIPs and friends.

use std::fmt;

use serde_json::{Map, Value};

use crate::backends::protowire::{self, Wire, WireError};

use Kind::*;

/// The protobuf media type kubectl's typed clients send.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

const MAGIC: &[u8] = b"k8s\0";
/// The tables nest far less deeply; this only guards against a cyclic table.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// Not a well-formed Kubernetes protobuf body: answer 400.
    Malformed(String),
    /// Well-formed, but of a kind this decoder has no table for: answer 415.
    UnsupportedKind(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "malformed protobuf body: {why}"),
            Self::UnsupportedKind(kind) => write!(f, "protobuf bodies of kind {kind} are not supported"),
        }
    }
}

impl std::error::Error for DecodeError {}

fn malformed(why: impl Into<String>) -> DecodeError {
    DecodeError::Malformed(why.into())
}

type Field = (u64, &'static str, Kind);
type Fields = &'static [Field];

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int32,
    Int64,
    Bool,
    /// meta.v1.Time {seconds=1, nanos=2}: RFC 3339 to the second, null when zero (empty).
    Time,
    /// intstr.IntOrString {type=1 (0 int, 1 string), intVal=2, strVal=3}: a number or a string.
    IntOrStr,
    /// resource.Quantity {string=1}.
    Quantity,
    Msg(Fields),
    /// An embedded message whose fields JSON inlines into the parent.
    Inline(Fields),
    RepStr,
    RepMsg(Fields),
    /// map<string, V>: repeated entries {key=1, value=2}.
    MapOf(&'static Kind),
}

/// One table per message type: (field number, JSON name, kind).
#[rustfmt::skip]
mod tables {
    use super::Fields;
    use super::Kind::{self, *};

    const STR_MAP: Kind = MapOf(&Str);
    const QTY_MAP: Kind = MapOf(&Quantity);

    pub(super) const UNKNOWN: Fields = &[(1, "typeMeta", Msg(&[(1, "apiVersion", Str), (2, "kind", Str)])),
        (3, "contentEncoding", Str), (4, "contentType", Str)];
    pub(super) const TIME: Fields = &[(1, "seconds", Int64), (2, "nanos", Int32)];
    pub(super) const INT_OR_STRING: Fields = &[(1, "type", Int64), (2, "intVal", Int32), (3, "strVal", Str)];
    pub(super) const QUANTITY: Fields = &[(1, "string", Str)];

    const OBJECT_META: Fields = &[(1, "name", Str), (2, "generateName", Str), (3, "namespace", Str), (5, "uid", Str),
        (6, "resourceVersion", Str), (7, "generation", Int64), (8, "creationTimestamp", Time),
        (9, "deletionTimestamp", Time), (10, "deletionGracePeriodSeconds", Int64), (11, "labels", STR_MAP),
        (12, "annotations", STR_MAP), (13, "ownerReferences", RepMsg(OWNER_REFERENCE)), (14, "finalizers", RepStr)];
    const OWNER_REFERENCE: Fields = &[(5, "apiVersion", Str), (1, "kind", Str), (3, "name", Str), (4, "uid", Str),
        (6, "controller", Bool), (7, "blockOwnerDeletion", Bool)];
    const LABEL_SELECTOR: Fields = &[(1, "matchLabels", STR_MAP),
        (2, "matchExpressions", RepMsg(&[(1, "key", Str), (2, "operator", Str), (3, "values", RepStr)]))];

    const DEPLOYMENT: Fields = &[(1, "metadata", Msg(OBJECT_META)), (2, "spec", Msg(DEPLOYMENT_SPEC))];
    const DEPLOYMENT_SPEC: Fields = &[(1, "replicas", Int32), (2, "selector", Msg(LABEL_SELECTOR)),
        (3, "template", Msg(POD_TEMPLATE_SPEC)), (4, "strategy", Msg(DEPLOYMENT_STRATEGY)),
        (5, "minReadySeconds", Int32), (6, "revisionHistoryLimit", Int32), (7, "paused", Bool),
        (9, "progressDeadlineSeconds", Int32)];
    const DEPLOYMENT_STRATEGY: Fields = &[(1, "type", Str),
        (2, "rollingUpdate", Msg(&[(1, "maxUnavailable", IntOrStr), (2, "maxSurge", IntOrStr)]))];

    const POD_TEMPLATE_SPEC: Fields = &[(1, "metadata", Msg(OBJECT_META)), (2, "spec", Msg(POD_SPEC))];
    const POD_SPEC: Fields = &[(1, "volumes", RepMsg(VOLUME)), (20, "initContainers", RepMsg(CONTAINER)),
        (2, "containers", RepMsg(CONTAINER)), (3, "restartPolicy", Str), (4, "terminationGracePeriodSeconds", Int64),
        (5, "activeDeadlineSeconds", Int64), (6, "dnsPolicy", Str), (7, "nodeSelector", STR_MAP),
        (8, "serviceAccountName", Str), (21, "automountServiceAccountToken", Bool), (10, "nodeName", Str),
        (15, "imagePullSecrets", RepMsg(&[(1, "name", Str)])), (16, "hostname", Str), (17, "subdomain", Str),
        (19, "schedulerName", Str), (24, "priorityClassName", Str)];
    const VOLUME: Fields = &[(1, "name", Str), (2, "volumeSource", Inline(&[
        (1, "hostPath", Msg(&[(1, "path", Str), (2, "type", Str)])),
        (2, "emptyDir", Msg(&[(1, "medium", Str), (2, "sizeLimit", Quantity)])),
        (6, "secret", Msg(&[(1, "secretName", Str), (3, "defaultMode", Int32), (4, "optional", Bool)])),
        (19, "configMap", Msg(&[(1, "localObjectReference", Inline(&[(1, "name", Str)])), (3, "defaultMode", Int32),
            (4, "optional", Bool)])),
    ]))];
    const CONTAINER: Fields = &[(1, "name", Str), (2, "image", Str), (3, "command", RepStr), (4, "args", RepStr),
        (5, "workingDir", Str), (6, "ports", RepMsg(&[(1, "name", Str), (2, "hostPort", Int32),
            (3, "containerPort", Int32), (4, "protocol", Str), (5, "hostIP", Str)])),
        (7, "env", RepMsg(&[(1, "name", Str), (2, "value", Str)])),
        (8, "resources", Msg(&[(1, "limits", QTY_MAP), (2, "requests", QTY_MAP)])),
        (9, "volumeMounts", RepMsg(&[(1, "name", Str), (2, "readOnly", Bool), (3, "mountPath", Str),
            (4, "subPath", Str)])),
        (10, "livenessProbe", Msg(PROBE)), (11, "readinessProbe", Msg(PROBE)), (13, "terminationMessagePath", Str),
        (20, "terminationMessagePolicy", Str), (14, "imagePullPolicy", Str)];
    // Probe embeds ProbeHandler (formerly Handler) at field 1; JSON inlines it.
    const PROBE: Fields = &[(1, "handler", Inline(PROBE_HANDLER)), (2, "initialDelaySeconds", Int32),
        (3, "timeoutSeconds", Int32), (4, "periodSeconds", Int32), (5, "successThreshold", Int32),
        (6, "failureThreshold", Int32), (7, "terminationGracePeriodSeconds", Int64)];
    const PROBE_HANDLER: Fields = &[(1, "exec", Msg(&[(1, "command", RepStr)])),
        (2, "httpGet", Msg(&[(1, "path", Str), (2, "port", IntOrStr), (3, "host", Str), (4, "scheme", Str),
            (5, "httpHeaders", RepMsg(&[(1, "name", Str), (2, "value", Str)]))])),
        (3, "tcpSocket", Msg(&[(1, "port", IntOrStr), (2, "host", Str)]))];

    const NAMESPACE: Fields = &[(1, "metadata", Msg(OBJECT_META)), (2, "spec", Msg(&[(1, "finalizers", RepStr)]))];

    const SERVICE: Fields = &[(1, "metadata", Msg(OBJECT_META)), (2, "spec", Msg(SERVICE_SPEC))];
    const SERVICE_SPEC: Fields = &[(1, "ports", RepMsg(SERVICE_PORT)), (2, "selector", STR_MAP), (3, "clusterIP", Str),
        (18, "clusterIPs", RepStr), (4, "type", Str), (5, "externalIPs", RepStr), (7, "sessionAffinity", Str),
        (10, "externalName", Str), (11, "externalTrafficPolicy", Str), (19, "ipFamilies", RepStr),
        (17, "ipFamilyPolicy", Str), (22, "internalTrafficPolicy", Str)];
    const SERVICE_PORT: Fields = &[(1, "name", Str), (2, "protocol", Str), (6, "appProtocol", Str), (3, "port", Int32),
        (4, "targetPort", IntOrStr), (5, "nodePort", Int32)];

    const SELF_SUBJECT_ACCESS_REVIEW: Fields = &[(1, "metadata", Msg(OBJECT_META)), (2, "spec", Msg(&[
        (1, "resourceAttributes", Msg(&[(1, "namespace", Str), (2, "verb", Str), (3, "group", Str),
            (4, "version", Str), (5, "resource", Str), (6, "subresource", Str), (7, "name", Str)])),
        (2, "nonResourceAttributes", Msg(&[(1, "path", Str), (2, "verb", Str)])),
    ]))];

    /// The object tables by apiVersion and kind. `status` is server-owned: not decoded.
    pub(super) fn schema(api_version: &str, kind: &str) -> Option<Fields> {
        match (api_version, kind) {
            ("apps/v1", "Deployment") => Some(DEPLOYMENT),
            ("v1", "Namespace") => Some(NAMESPACE),
            ("v1", "Service") => Some(SERVICE),
            ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => Some(SELF_SUBJECT_ACCESS_REVIEW),
            _ => None,
        }
    }
}

/// Decodes a Kubernetes protobuf request body into the object's JSON form.
/// Errors say what is wrong (bad magic, truncated message, unsupported kind
/// "apps/v1 StatefulSet") so the server can answer 400 or 415 with it.
pub fn decode(body: &[u8]) -> Result<Value, DecodeError> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| malformed("missing the k8s\\0 magic prefix"))?;
    let unknown = Value::Object(message(envelope, tables::UNKNOWN, 0)?);
    let get = |pointer: &str| unknown.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
    let (api_version, kind) = (get("/typeMeta/apiVersion"), get("/typeMeta/kind"));
    let (encoding, content_type) = (get("/contentEncoding"), get("/contentType"));
    if !encoding.is_empty() {
        return Err(malformed(format!("unsupported contentEncoding {encoding:?}")));
    }
    if !content_type.is_empty() && content_type != CONTENT_TYPE {
        return Err(malformed(format!("unsupported contentType {content_type:?}")));
    }
    if kind.is_empty() {
        return Err(malformed("typeMeta names no kind"));
    }
    let unsupported = || DecodeError::UnsupportedKind(format!("{api_version} {kind}"));
    let fields = tables::schema(api_version, kind).ok_or_else(unsupported)?;
    // `raw` is bytes, which JSON cannot hold, so the UNKNOWN table leaves it out.
    let (mut raw, mut r) = (&[][..], protowire::Fields::new(envelope));
    while let Some((num, field)) = r.field()? {
        if num == 2 {
            raw = field.bytes("raw")?;
        }
    }
    let mut out = Map::new();
    out.insert("apiVersion".into(), api_version.into());
    out.insert("kind".into(), kind.into());
    decode_into(raw, fields, &mut out, 0)?;
    Ok(Value::Object(out))
}

fn message(buf: &[u8], fields: &[Field], depth: usize) -> Result<Map<String, Value>, DecodeError> {
    let mut out = Map::new();
    decode_into(buf, fields, &mut out, depth)?;
    Ok(out)
}

fn decode_into(buf: &[u8], fields: &[Field], out: &mut Map<String, Value>, depth: usize) -> Result<(), DecodeError> {
    if depth > MAX_DEPTH {
        return Err(malformed("messages nest too deeply"));
    }
    let mut r = protowire::Fields::new(buf);
    while let Some((num, field)) = r.field()? {
        let Some(&(_, name, kind)) = fields.iter().find(|f| f.0 == num) else {
            continue;
        };
        match kind {
            Inline(sub) => decode_into(field.bytes(name)?, sub, out, depth + 1)?,
            // A message field seen twice merges, as protobuf says.
            Msg(sub) => {
                if let Value::Object(map) = slot(out, name, Value::Object(Map::new())) {
                    decode_into(field.bytes(name)?, sub, map, depth + 1)?;
                }
            }
            RepStr | RepMsg(_) => {
                let item = match kind {
                    RepMsg(sub) => Value::Object(message(field.bytes(name)?, sub, depth + 1)?),
                    _ => Value::String(text(field.bytes(name)?)),
                };
                if let Value::Array(items) = slot(out, name, Value::Array(Vec::new())) {
                    items.push(item);
                }
            }
            MapOf(value_kind) => {
                let entry_fields = [(1, "key", Str), (2, "value", *value_kind)];
                let mut entry = message(field.bytes(name)?, &entry_fields, depth + 1)?;
                let key = entry
                    .remove("key")
                    .and_then(|k| k.as_str().map(String::from))
                    .unwrap_or_default();
                let zero = if matches!(value_kind, Quantity) { "0" } else { "" };
                let value = entry.remove("value").unwrap_or_else(|| Value::from(zero));
                if let Value::Object(map) = slot(out, name, Value::Object(Map::new())) {
                    map.insert(key, value);
                }
            }
            _ => {
                let value = scalar(kind, field, name, depth)?;
                out.insert(name.into(), value);
            }
        }
    }
    Ok(())
}

/// The named entry, replaced by `empty` unless it already holds that JSON type.
fn slot<'m>(out: &'m mut Map<String, Value>, name: &str, empty: Value) -> &'m mut Value {
    let slot = out.entry(name).or_insert(Value::Null);
    if std::mem::discriminant(slot) != std::mem::discriminant(&empty) {
        *slot = empty;
    }
    slot
}

fn scalar(kind: Kind, field: Wire<'_>, name: &str, depth: usize) -> Result<Value, DecodeError> {
    let sub = |fields| message(field.bytes(name)?, fields, depth + 1);
    Ok(match kind {
        Str => Value::String(text(field.bytes(name)?)),
        // int32 travels sign-extended to 64 bits, so truncation recovers it.
        Int32 => Value::from(field.varint(name)? as i32),
        Int64 => Value::from(field.varint(name)? as i64),
        Bool => Value::Bool(field.varint(name)? != 0),
        Time => {
            let time = sub(tables::TIME)?;
            if time.is_empty() {
                return Ok(Value::Null); // Go writes the zero Time as an empty message
            }
            let secs = time.get("seconds").and_then(Value::as_i64).unwrap_or(0);
            Value::String(rfc3339(secs).ok_or_else(|| malformed(format!("{name}: time out of range")))?)
        }
        IntOrStr => {
            let mut v = sub(tables::INT_OR_STRING)?;
            match v.get("type").and_then(Value::as_i64) {
                Some(1) => v.remove("strVal").unwrap_or_else(|| Value::from("")),
                _ => v.remove("intVal").unwrap_or_else(|| Value::from(0)),
            }
        }
        Quantity => sub(tables::QUANTITY)?
            .remove("string")
            .unwrap_or_else(|| Value::from("0")),
        Msg(_) | Inline(_) | RepStr | RepMsg(_) | MapOf(_) => return Err(malformed(format!("{name}: not a scalar"))),
    })
}

/// Go does not check UTF-8 in these strings and encoding/json replaces bad bytes: so do we.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// RFC 3339 in UTC, to the second, as meta.v1.Time marshals; None outside years 1..=9999.
fn rfc3339(secs: i64) -> Option<String> {
    if !(-62_135_596_800..=253_402_300_799).contains(&secs) {
        return None;
    }
    // A civil (zone-less) date time: jiff's Timestamp stops a day short
    // of 9999-12-31 to leave room for offsets.
    let epoch = jiff::civil::DateTime::constant(1970, 1, 1, 0, 0, 0, 0);
    let at = epoch.checked_add(jiff::SignedDuration::from_secs(secs)).ok()?;
    Some(at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// A field's payload as the decoder needs it, or which field was not.
trait Payload<'a> {
    fn bytes(self, name: &str) -> Result<&'a [u8], DecodeError>;
    fn varint(self, name: &str) -> Result<u64, DecodeError>;
}

impl<'a> Payload<'a> for Wire<'a> {
    fn bytes(self, name: &str) -> Result<&'a [u8], DecodeError> {
        match self {
            Wire::Bytes(b) => Ok(b),
            _ => Err(malformed(format!("{name}: expected a length-delimited field"))),
        }
    }

    fn varint(self, name: &str) -> Result<u64, DecodeError> {
        match self {
            Wire::Varint(v) => Ok(v),
            _ => Err(malformed(format!("{name}: expected a varint field"))),
        }
    }
}

impl From<WireError> for DecodeError {
    fn from(e: WireError) -> DecodeError {
        malformed(e.to_string())
    }
}

#[cfg(test)]
#[path = "protobuf_tests.rs"]
mod tests;
