//! The object store: every object by type, namespace and name, a global
//! resourceVersion, and a bounded history of changes that watches replay
//! from. A watch from before the history's start is answered 410 Gone, as
//! an API server answers a watch from a compacted revision.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::clock::Clock;
use super::error::ApiError;
use super::resources::{self, ResourceType};

/// Changes kept for watches to resume from.
pub const HISTORY_LIMIT: usize = 2048;
/// Events buffered per watcher before a slow one is dropped (it re-lists).
const WATCH_BUFFER: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub ty: ResourceType,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(ty: ResourceType, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            ty,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// Where a watch receives the changes still to come.
pub type WatchReceiver = broadcast::Receiver<Arc<WatchEvent>>;

#[derive(Debug)]
pub struct WatchEvent {
    pub revision: u64,
    pub kind: EventType,
    pub key: ObjectKey,
    pub object: Value,
}

/// Which part of an object a write replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Everything but `status` (kept from the stored object).
    Main,
    /// Only `status`.
    Status,
    /// Everything: controllers writing their own objects.
    Whole,
}

pub struct Store {
    objects: BTreeMap<ObjectKey, Value>,
    revision: u64,
    history: VecDeque<Arc<WatchEvent>>,
    history_limit: usize,
    /// Revision of the newest event dropped from the history.
    compacted: u64,
    events: broadcast::Sender<Arc<WatchEvent>>,
    clock: Arc<dyn Clock>,
    next_uid: u64,
    /// Seeded: a simulated world replays the same way.
    rng: fastrand::Rng,
}

impl Store {
    pub fn new(clock: Arc<dyn Clock>) -> Store {
        let (events, _) = broadcast::channel(WATCH_BUFFER);
        let mut store = Store {
            objects: BTreeMap::new(),
            revision: 1,
            history: VecDeque::new(),
            history_limit: HISTORY_LIMIT,
            compacted: 0,
            events,
            clock,
            next_uid: 1,
            rng: fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15),
        };
        for ns in ["default", "kube-system"] {
            // Cannot fail on an empty store.
            let _ = store.create(resources::NAMESPACES, "", json!({"metadata": {"name": ns}}));
        }
        store
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// Keeps at most `limit` changes for watches to resume from (at least
    /// one); tests shrink it to reach compaction quickly.
    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit.max(1);
    }

    /// Watches currently open.
    pub fn watchers(&self) -> usize {
        self.events.receiver_count()
    }

    pub fn get(&self, key: &ObjectKey) -> Result<&Value, ApiError> {
        self.objects
            .get(key)
            .ok_or_else(|| ApiError::not_found(&key.ty, &key.name))
    }

    /// Objects of `ty`, in one namespace or all, in name order.
    pub fn list(&self, ty: ResourceType, namespace: Option<&str>) -> Vec<&Value> {
        self.objects
            .iter()
            .filter(|(k, _)| k.ty == ty && namespace.is_none_or(|ns| k.namespace == ns))
            .map(|(_, v)| v)
            .collect()
    }

    /// Keys of `ty` in `namespace` (all when None).
    pub fn keys(&self, ty: ResourceType, namespace: Option<&str>) -> Vec<ObjectKey> {
        self.objects
            .keys()
            .filter(|k| k.ty == ty && namespace.is_none_or(|ns| k.namespace == ns))
            .cloned()
            .collect()
    }

    /// Creates an object, filling in what the server owns: uid, name from
    /// `generateName`, timestamps, resourceVersion, generation.
    pub fn create(&mut self, ty: ResourceType, namespace: &str, mut object: Value) -> Result<Value, ApiError> {
        let info = resources::by_type(ty).ok_or_else(|| ApiError::bad_request(format!("unknown resource {ty:?}")))?;
        check_shape(&object)?;
        if object.get("metadata").is_none_or(|m| !m.is_object()) {
            object["metadata"] = json!({});
        }
        let name = match object["metadata"]["name"].as_str() {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => match object["metadata"]["generateName"].as_str() {
                Some(prefix) if !prefix.is_empty() => format!("{prefix}{}", self.suffix()),
                _ => {
                    return Err(ApiError::invalid(
                        &ty,
                        "",
                        "metadata.name: Required value: name or generateName is required",
                    ));
                }
            },
        };
        validate_name(&ty, &name)?;
        if info.namespaced {
            let ns_key = ObjectKey::new(resources::NAMESPACES, "", namespace);
            if !self.objects.contains_key(&ns_key) {
                return Err(ApiError::not_found(&resources::NAMESPACES, namespace));
            }
        }
        let namespace = if info.namespaced { namespace } else { "" };
        let key = ObjectKey::new(ty, namespace, &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(&ty, &name));
        }
        object["apiVersion"] = json!(ty.api_version());
        object["kind"] = json!(info.kind);
        let uid = self.uid();
        let now = self.now().to_string();
        let meta = &mut object["metadata"];
        meta["name"] = json!(name);
        if info.namespaced {
            meta["namespace"] = json!(namespace);
        }
        meta["uid"] = json!(uid);
        meta["creationTimestamp"] = json!(now);
        if info.has_spec {
            meta["generation"] = json!(1);
        }
        super::defaults::apply(ty, &mut object, &mut || self.suffix());
        super::defaults::validate(ty, &object)?;
        Ok(self.commit(key, object, EventType::Added))
    }

    /// Replaces `part` of an existing object. A `resourceVersion` in the new
    /// object is a precondition: a stale one is a 409 Conflict.
    pub fn replace(&mut self, key: &ObjectKey, object: Value, part: Part) -> Result<Value, ApiError> {
        let current = self.get(key)?.clone();
        check_shape(&object)?;
        if let Some(rv) = object["metadata"]["resourceVersion"].as_str()
            && !rv.is_empty()
            && Some(rv) != current["metadata"]["resourceVersion"].as_str()
        {
            return Err(ApiError::conflict(&key.ty, &key.name));
        }
        if let Some(name) = object["metadata"]["name"].as_str()
            && name != key.name
        {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({name}) does not match the name on the URL ({})",
                key.name
            )));
        }
        let mut next = match part {
            Part::Main => {
                let mut next = object;
                if let Some(status) = current.get("status") {
                    next["status"] = status.clone();
                }
                next
            }
            Part::Status => {
                let mut next = current.clone();
                next["status"] = object.get("status").cloned().unwrap_or(Value::Null);
                next
            }
            Part::Whole => object,
        };
        // What the server owns cannot be changed by a write.
        for field in ["uid", "creationTimestamp", "namespace", "name"] {
            if let Some(v) = current["metadata"].get(field) {
                next["metadata"][field] = v.clone();
            }
        }
        next["apiVersion"] = current["apiVersion"].clone();
        next["kind"] = current["kind"].clone();
        let generation = current["metadata"]["generation"].as_i64().unwrap_or(0);
        if generation > 0 {
            let bumped = if part != Part::Status && next.get("spec") != current.get("spec") {
                generation + 1
            } else {
                generation
            };
            next["metadata"]["generation"] = json!(bumped);
        }
        super::defaults::apply(key.ty, &mut next, &mut || self.suffix());
        super::defaults::validate(key.ty, &next)?;
        // A write that changes nothing keeps the resourceVersion, as on a
        // real API server, so watchers see no event.
        if with_rv(&next, None) == with_rv(&current, None) {
            return Ok(current);
        }
        Ok(self.commit(key.clone(), next, EventType::Modified))
    }

    pub fn delete(&mut self, key: &ObjectKey) -> Result<Value, ApiError> {
        let mut object = self
            .objects
            .remove(key)
            .ok_or_else(|| ApiError::not_found(&key.ty, &key.name))?;
        self.revision += 1;
        object["metadata"]["resourceVersion"] = json!(self.revision.to_string());
        self.record(EventType::Deleted, key.clone(), object.clone());
        Ok(object)
    }

    /// Starts a watch: the changes after `since` (a resourceVersion) and a
    /// receiver of the ones to come, taken together so none falls between.
    pub fn watch(&self, since: u64) -> Result<(Vec<Arc<WatchEvent>>, WatchReceiver), ApiError> {
        if since < self.compacted {
            return Err(ApiError::gone(format!(
                "too old resource version: {since} ({})",
                self.compacted + 1
            )));
        }
        let past = self.history.iter().filter(|e| e.revision > since).cloned().collect();
        Ok((past, self.events.subscribe()))
    }

    fn commit(&mut self, key: ObjectKey, object: Value, kind: EventType) -> Value {
        self.revision += 1;
        let object = with_rv(&object, Some(self.revision));
        self.objects.insert(key.clone(), object.clone());
        self.record(kind, key, object.clone());
        object
    }

    fn record(&mut self, kind: EventType, key: ObjectKey, object: Value) {
        let event = Arc::new(WatchEvent {
            revision: self.revision,
            kind,
            key,
            object,
        });
        while self.history.len() >= self.history_limit
            && let Some(old) = self.history.pop_front()
        {
            self.compacted = old.revision;
        }
        self.history.push_back(event.clone());
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    fn uid(&mut self) -> String {
        let n = self.next_uid;
        self.next_uid += 1;
        let r = self.rng.u64(..);
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            r as u32,
            n & 0xffff,
            (r >> 32) & 0xfff,
            (r >> 44) & 0xfff,
            n
        )
    }

    /// Five characters from Kubernetes's safe alphabet, for generated names.
    pub fn suffix(&mut self) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..5)
            .map(|_| char::from(ALPHABET[self.rng.usize(..ALPHABET.len())]))
            .collect()
    }
}

fn with_rv(object: &Value, revision: Option<u64>) -> Value {
    let mut object = object.clone();
    match revision {
        Some(rv) => object["metadata"]["resourceVersion"] = json!(rv.to_string()),
        None => {
            if let Some(meta) = object["metadata"].as_object_mut() {
                meta.remove("resourceVersion");
            }
        }
    }
    object
}

/// Names are DNS-1123 subdomains: lowercase alphanumerics, '-' and '.'.
fn validate_name(ty: &ResourceType, name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            ty,
            name,
            format!(
                "metadata.name: Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case \
                 alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        ))
    }
}

/// The fields the server and the controllers write into must be objects
/// when present: `x["k"] = v` on a string panics, and a panic in a
/// controller pass would stop every later pass. Checked where objects enter
/// the store, so nothing past it has to wonder.
pub fn check_shape(object: &Value) -> Result<(), ApiError> {
    if !object.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    const OBJECTS: [&[&str]; 9] = [
        &["metadata"],
        &["metadata", "labels"],
        &["metadata", "annotations"],
        &["spec"],
        &["status"],
        &["spec", "selector"],
        &["spec", "strategy"],
        &["spec", "template"],
        &["spec", "template", "spec"],
    ];
    for path in OBJECTS {
        let value = path.iter().fold(object, |v, k| &v[*k]);
        if !(value.is_null() || value.is_object()) {
            return Err(ApiError::bad_request(format!(
                "{}: expected an object, found {value}",
                path.join(".")
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::clock::ManualClock;

    fn store() -> Store {
        Store::new(Arc::new(ManualClock::new(jiff::Timestamp::UNIX_EPOCH)))
    }

    fn service(name: &str) -> Value {
        json!({"metadata": {"name": name}, "spec": {"ports": [{"port": 80}]}})
    }

    #[test]
    fn writes_bump_resource_versions_and_a_stale_one_conflicts() {
        let mut s = store();
        let created = s.create(resources::SERVICES, "default", service("a")).unwrap();
        let key = ObjectKey::new(resources::SERVICES, "default", "a");
        let rv1 = created["metadata"]["resourceVersion"].clone();
        assert_eq!(created["metadata"]["generation"], 1);

        let mut changed = created.clone();
        changed["spec"]["ports"][0]["port"] = json!(81);
        let updated = s.replace(&key, changed, Part::Main).unwrap();
        assert_ne!(updated["metadata"]["resourceVersion"], rv1);
        assert_eq!(
            updated["metadata"]["generation"], 2,
            "a spec change bumps the generation"
        );

        let mut stale = created.clone();
        stale["spec"]["ports"][0]["port"] = json!(82);
        let err = s.replace(&key, stale, Part::Main).unwrap_err();
        assert_eq!((err.code, err.reason), (409, "Conflict"));

        let same = s.replace(&key, updated.clone(), Part::Main).unwrap();
        assert_eq!(
            same["metadata"]["resourceVersion"], updated["metadata"]["resourceVersion"],
            "no-op keeps rv"
        );
    }

    #[test]
    fn status_and_main_writes_touch_only_their_part() {
        let mut s = store();
        let created = s.create(resources::SERVICES, "default", service("a")).unwrap();
        let key = ObjectKey::new(resources::SERVICES, "default", "a");
        let mut with_status = created.clone();
        with_status["status"] = json!({"loadBalancer": {}});
        with_status["spec"]["type"] = json!("NodePort");
        let after = s.replace(&key, with_status, Part::Status).unwrap();
        assert_eq!(after["status"], json!({"loadBalancer": {}}));
        assert_eq!(after["spec"]["type"], "ClusterIP", "a status write leaves the spec");
        assert_eq!(after["metadata"]["generation"], 1);
    }

    #[test]
    fn creation_checks_names_namespaces_and_duplicates() {
        let mut s = store();
        assert_eq!(
            s.create(resources::SERVICES, "nowhere", service("a")).unwrap_err().code,
            404
        );
        assert_eq!(
            s.create(resources::SERVICES, "default", service("Bad_Name"))
                .unwrap_err()
                .code,
            422
        );
        s.create(resources::SERVICES, "default", service("a")).unwrap();
        assert_eq!(
            s.create(resources::SERVICES, "default", service("a"))
                .unwrap_err()
                .reason,
            "AlreadyExists"
        );
        let generated = s
            .create(
                resources::SERVICES,
                "default",
                json!({"metadata": {"generateName": "web-"}, "spec": {}}),
            )
            .unwrap();
        assert!(generated["metadata"]["name"].as_str().unwrap().starts_with("web-"));
    }

    #[test]
    fn watches_resume_from_history_until_it_is_compacted() {
        let mut s = store();
        s.set_history_limit(4);
        let start = s.revision();
        for n in 0..3 {
            s.create(resources::SERVICES, "default", service(&format!("s{n}")))
                .unwrap();
        }
        let (past, _) = s.watch(start).unwrap();
        assert_eq!(past.len(), 3);
        assert!(past.iter().all(|e| e.kind == EventType::Added));
        for n in 3..8 {
            s.create(resources::SERVICES, "default", service(&format!("s{n}")))
                .unwrap();
        }
        let err = s.watch(start).unwrap_err();
        assert_eq!((err.code, err.reason), (410, "Expired"));
        assert!(s.watch(s.revision()).is_ok());
    }
}
