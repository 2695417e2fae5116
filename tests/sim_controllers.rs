//! The simulated cluster's controllers on a manual clock: rollouts keep to
//! their strategy's bounds at every step, deadlines and history limits
//! hold, and an hour of rollouts leaves memory flat. No sleeps: the test
//! moves simulated time itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

use std::sync::Arc;
use std::time::Duration;

use modeldeck::sim::Cluster;
use modeldeck::sim::clock::ManualClock;
use modeldeck::sim::controller::Behaviour;
use modeldeck::sim::resources::{DEPLOYMENTS, PODS, REPLICASETS};
use modeldeck::sim::store::{ObjectKey, Part};
use modeldeck::sim::world;
use serde_json::{Value, json};

struct World {
    cluster: Cluster,
    clock: Arc<ManualClock>,
}

impl World {
    fn new() -> World {
        let clock = Arc::new(ManualClock::new("2026-11-30T00:00:00Z".parse().unwrap()));
        let cluster = Cluster::new(clock.clone(), Behaviour::default());
        World { cluster, clock }
    }

    /// One simulated second, then the controllers.
    fn tick(&self) {
        self.clock.advance(Duration::from_secs(1));
        self.cluster.reconcile();
    }

    fn deployment(&self, name: &str) -> Value {
        self.cluster
            .lock()
            .get(&ObjectKey::new(DEPLOYMENTS, "default", name))
            .unwrap()
            .clone()
    }

    fn create(&self, name: &str, replicas: i64, strategy: Value) {
        let object = json!({
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "strategy": strategy,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": format!("{name}:1")}]},
                },
            },
        });
        self.cluster.lock().create(DEPLOYMENTS, "default", object).unwrap();
        self.cluster.reconcile();
    }

    fn set_image(&self, name: &str, image: &str) {
        let mut object = self.deployment(name);
        object["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
        let key = ObjectKey::new(DEPLOYMENTS, "default", name);
        self.cluster.lock().replace(&key, object, Part::Main).unwrap();
        self.cluster.reconcile();
    }

    /// (pods, ready pods) of the deployment's app label.
    fn pods(&self, app: &str) -> (usize, usize) {
        let store = self.cluster.lock();
        let pods: Vec<&Value> = store
            .list(PODS, Some("default"))
            .into_iter()
            .filter(|p| p["metadata"]["labels"]["app"] == app)
            .collect();
        let ready = pods
            .iter()
            .filter(|p| {
                p["status"]["conditions"]
                    .as_array()
                    .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
            })
            .count();
        (pods.len(), ready)
    }

    fn complete(&self, name: &str) -> bool {
        let d = self.deployment(name);
        let replicas = &d["spec"]["replicas"];
        d["status"]["updatedReplicas"] == *replicas
            && d["status"]["availableReplicas"] == *replicas
            && d["status"]["replicas"] == *replicas
            && d["status"]["observedGeneration"] == d["metadata"]["generation"]
    }

    fn settle(&self, name: &str) {
        for _ in 0..120 {
            if self.complete(name) {
                return;
            }
            self.tick();
        }
        panic!("{name} did not finish rolling out: {}", self.deployment(name)["status"]);
    }

    fn replica_sets(&self, app: &str) -> usize {
        let store = self.cluster.lock();
        store
            .list(REPLICASETS, Some("default"))
            .into_iter()
            .filter(|rs| rs["metadata"]["labels"]["app"] == app)
            .count()
    }
}

#[test]
fn a_rolling_update_stays_within_max_surge_and_max_unavailable() {
    let w = World::new();
    let strategy = json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}});
    w.create("web", 4, strategy);
    w.settle("web");
    w.set_image("web", "web:2");
    let mut steps = 0;
    while !w.complete("web") {
        let (pods, ready) = w.pods("web");
        assert!(pods <= 5, "more than replicas + maxSurge pods: {pods}");
        assert!(ready >= 4, "fewer than replicas - maxUnavailable ready: {ready}");
        w.tick();
        steps += 1;
        assert!(steps < 200, "rollout stuck");
    }
    assert!(steps > 4, "the rollout went step by step ({steps} s)");
    assert_eq!(w.pods("web"), (4, 4));
    let d = w.deployment("web");
    assert_eq!(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
    let progressing = &d["status"]["conditions"][1];
    assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
}

#[test]
fn percent_bounds_round_surge_up_and_unavailable_down() {
    let w = World::new();
    // 25% of 10: surge 3 (2.5 up), unavailable 2 (2.5 down).
    w.create("big", 10, json!({"type": "RollingUpdate"}));
    w.settle("big");
    w.set_image("big", "big:2");
    while !w.complete("big") {
        let (pods, ready) = w.pods("big");
        assert!(pods <= 13, "{pods} pods");
        assert!(ready >= 8, "{ready} ready");
        w.tick();
    }
}

#[test]
fn recreate_removes_every_old_pod_before_the_first_new_one() {
    let w = World::new();
    w.create("db", 3, json!({"type": "Recreate"}));
    w.settle("db");
    w.set_image("db", "db:2");
    while !w.complete("db") {
        let store = w.cluster.lock();
        let images: Vec<String> = store
            .list(PODS, Some("default"))
            .into_iter()
            .filter(|p| p["metadata"]["labels"]["app"] == "db")
            .map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap().to_owned())
            .collect();
        drop(store);
        assert!(
            !(images.contains(&"db:1".into()) && images.contains(&"db:2".into())),
            "old and new together: {images:?}"
        );
        w.tick();
    }
}

#[test]
fn a_failing_image_stops_at_the_progress_deadline_and_old_pods_keep_serving() {
    let w = World::new();
    w.create("api", 2, json!({"type": "RollingUpdate"}));
    w.settle("api");
    let mut d = w.deployment("api");
    d["spec"]["progressDeadlineSeconds"] = json!(60);
    w.cluster
        .lock()
        .replace(&ObjectKey::new(DEPLOYMENTS, "default", "api"), d, Part::Main)
        .unwrap();
    w.set_image("api", "api:2-fail");
    for _ in 0..50 {
        w.tick();
    }
    assert_eq!(
        w.deployment("api")["status"]["conditions"][1]["reason"],
        "ReplicaSetUpdated",
        "not yet past 60 s"
    );
    for _ in 0..20 {
        w.tick();
    }
    let d = w.deployment("api");
    let progressing = &d["status"]["conditions"][1];
    assert_eq!(progressing["status"], "False");
    assert_eq!(progressing["reason"], "ProgressDeadlineExceeded");
    assert_eq!(d["status"]["availableReplicas"], 2, "old pods still available");
}

#[test]
fn revision_history_limit_prunes_old_replica_sets() {
    let w = World::new();
    w.create("h", 1, json!({"type": "RollingUpdate"}));
    let mut d = w.deployment("h");
    d["spec"]["revisionHistoryLimit"] = json!(2);
    w.cluster
        .lock()
        .replace(&ObjectKey::new(DEPLOYMENTS, "default", "h"), d, Part::Main)
        .unwrap();
    for tag in 2..=6 {
        w.set_image("h", &format!("h:{tag}"));
        w.settle("h");
    }
    assert_eq!(w.replica_sets("h"), 3, "the current set and two old ones");
}

#[test]
fn an_hour_of_rollouts_keeps_memory_flat() {
    let w = World::new();
    world::seed(&mut w.cluster.lock()).unwrap();
    w.create("soak", 3, json!({"type": "RollingUpdate"}));
    let measure = |w: &World| {
        let store = w.cluster.lock();
        let kinds: Vec<(&'static str, usize)> = [("rs", REPLICASETS), ("pods", PODS), ("deploy", DEPLOYMENTS)]
            .into_iter()
            .map(|(n, t)| (n, store.list(t, None).len()))
            .collect();
        (store.len(), store.history_len(), store.watchers(), kinds)
    };
    // By minute 20 the history limit is full; from then on nothing may grow.
    let mut after_twenty_minutes = None;
    for second in 1..=3600u32 {
        if second % 60 == 0 {
            w.set_image("soak", &format!("soak:v{}", second / 60));
        }
        w.tick();
        if second == 1200 {
            w.settle("soak");
            after_twenty_minutes = Some(measure(&w));
        }
    }
    w.settle("soak");
    let end = measure(&w);
    let start = after_twenty_minutes.unwrap();
    assert_eq!(end.0, start.0, "objects stay flat: {:?} then {:?}", start.3, end.3);
    assert!(
        end.1 <= modeldeck::sim::store::HISTORY_LIMIT,
        "watch history is bounded: {}",
        end.1
    );
    assert_eq!(end.2, 0, "no watcher leaked");
    assert_eq!(w.replica_sets("soak"), 11, "revisionHistoryLimit 10 + the current set");
}
