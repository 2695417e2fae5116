//! Every traffic router, and shadow traffic, through the CLI against the
//! simulated cluster, with kubectl reading the objects as referee.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod sim_common;

use sim_common::Sim;

const CONFIG: &str = r#"
[rollouts.malaria-predictor]
router = "gateway-api"
route = "malaria-predictor"
stable = "malaria-predictor-blue"
canary = "malaria-predictor-green"
shadow = "malaria-predictor-shadow"

[rollouts.reviews]
router = "istio"
route = "reviews"
stable = "v1"
canary = "v2"
shadow = "v3"

[rollouts.web]
router = "ingress-nginx"
route = "web-canary"
stable = "web"
canary = "web-canary"

[rollouts.iris]
router = "kserve"
route = "iris"
stable = "previous"
canary = "latest"

[rollouts.shop]
router = "replicas"
stable = "shop"
canary = "shop-canary"
"#;

fn start() -> Option<Sim> {
    let sim = Sim::start()?;
    let dir = sim.dir.path().join("config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), CONFIG).unwrap();
    Some(sim)
}

fn create(sim: &Sim, name: &str, json: &str) {
    let file = sim.write_file(name, json);
    sim.ok(&["create", "-f", &file]);
}

fn ok(sim: &Sim, args: &[&str]) -> String {
    let (code, out, err) = sim.modeldeck(args);
    assert_eq!(code, 0, "modeldeck {}: {err}", args.join(" "));
    out
}

#[test]
fn shadow_mirrors_on_the_http_route_and_stops() {
    let Some(sim) = start() else { return };
    let ns = ["-n", "ml-serving"];
    let out = ok(
        &sim,
        &[&ns[..], &["shadow", "on", "malaria-predictor", "20", "--yes"]].concat(),
    );
    assert!(
        out.contains(
            "mirror 20% of the requests of deployment ml-serving/malaria-predictor to malaria-predictor-shadow"
        ),
        "{out}"
    );
    let mirror = sim.ok(&[
        &ns[..],
        &[
            "get",
            "httproute",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.rules[0].filters[0].requestMirror}",
        ],
    ]
    .concat());
    let mirror: serde_json::Value = serde_json::from_str(&mirror).unwrap();
    assert_eq!(mirror["backendRef"]["name"], "malaria-predictor-shadow");
    assert_eq!(mirror["percent"], 20);
    let status = ok(&sim, &[&ns[..], &["canary", "status", "malaria-predictor"]].concat());
    assert!(status.contains("shadow") && status.contains("20%"), "{status}");

    ok(
        &sim,
        &[&ns[..], &["shadow", "off", "malaria-predictor", "--yes"]].concat(),
    );
    let filters = sim.ok(&[
        &ns[..],
        &[
            "get",
            "httproute",
            "malaria-predictor",
            "-o",
            "jsonpath={.spec.rules[0].filters}",
        ],
    ]
    .concat());
    assert_eq!(filters, "[]");
    let out = ok(
        &sim,
        &[&ns[..], &["shadow", "off", "malaria-predictor", "--yes"]].concat(),
    );
    assert!(out.contains("mirrors no traffic"), "{out}");
}

#[test]
fn istio_virtual_service_weights_and_mirror() {
    let Some(sim) = start() else { return };
    create(
        &sim,
        "vs.json",
        r#"{"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"reviews"},
        "spec":{"hosts":["reviews"],"http":[{"route":[
          {"destination":{"host":"reviews","subset":"v1"},"weight":80},
          {"destination":{"host":"reviews","subset":"v2"},"weight":20}]}]}}"#,
    );
    ok(&sim, &["canary", "set", "reviews", "40", "--yes"]);
    assert_eq!(
        sim.ok(&[
            "get",
            "virtualservice",
            "reviews",
            "-o",
            "jsonpath={.spec.http[0].route[*].weight}"
        ]),
        "60 40"
    );
    ok(&sim, &["shadow", "on", "reviews", "10", "--yes"]);
    assert_eq!(
        sim.ok(&["get", "vs", "reviews", "-o", "jsonpath={.spec.http[0].mirror.subset}"]),
        "v3"
    );
    assert_eq!(
        sim.ok(&[
            "get",
            "vs",
            "reviews",
            "-o",
            "jsonpath={.spec.http[0].mirrorPercentage.value}"
        ]),
        "10"
    );
}

#[test]
fn ingress_nginx_canary_weight() {
    let Some(sim) = start() else { return };
    create(
        &sim,
        "ing.json",
        r#"{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web-canary",
        "annotations":{"nginx.ingress.kubernetes.io/canary":"true","nginx.ingress.kubernetes.io/canary-weight":"10"}},
        "spec":{"rules":[{"host":"web.local","http":{"paths":[{"path":"/","pathType":"Prefix",
          "backend":{"service":{"name":"web-canary","port":{"number":80}}}}]}}]}}"#,
    );
    ok(&sim, &["canary", "step", "web", "--yes"]);
    let weight = sim.ok(&[
        "get",
        "ingress",
        "web-canary",
        "-o",
        r"jsonpath={.metadata.annotations.nginx\.ingress\.kubernetes\.io/canary-weight}",
    ]);
    assert_eq!(weight, "25", "10% steps to the next rung");
    let (code, _, err) = sim.modeldeck(&["shadow", "on", "web", "5", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot mirror traffic"), "{err}");
}

#[test]
fn kserve_canary_traffic_percent() {
    let Some(sim) = start() else { return };
    create(
        &sim,
        "isvc.json",
        r#"{"apiVersion":"serving.kserve.io/v1beta1","kind":"InferenceService","metadata":{"name":"iris"},
        "spec":{"predictor":{"canaryTrafficPercent":10,"model":{"modelFormat":{"name":"onnx"},"storageUri":"s3://models/iris"}}}}"#,
    );
    ok(&sim, &["canary", "set", "iris", "50", "--yes"]);
    assert_eq!(
        sim.ok(&[
            "get",
            "isvc",
            "iris",
            "-o",
            "jsonpath={.spec.predictor.canaryTrafficPercent}"
        ]),
        "50"
    );
    ok(&sim, &["canary", "abort", "iris", "--yes"]);
    assert_eq!(
        sim.ok(&[
            "get",
            "isvc",
            "iris",
            "-o",
            "jsonpath={.spec.predictor.canaryTrafficPercent}"
        ]),
        "0"
    );
}

#[test]
fn replica_ratio_shows_the_achievable_percent() {
    let Some(sim) = start() else { return };
    sim.ok(&["create", "deployment", "shop", "--image=shop:1", "--replicas=4"]);
    sim.ok(&["create", "deployment", "shop-canary", "--image=shop:2", "--replicas=0"]);
    let out = ok(&sim, &["canary", "set", "shop", "10", "--yes"]);
    assert!(out.contains("asked 10%, achievable 25%: 1 of 4 replicas"), "{out}");
    let replicas = |name: &str| sim.ok(&["get", "deploy", name, "-o", "jsonpath={.spec.replicas}"]);
    assert_eq!((replicas("shop"), replicas("shop-canary")), ("3".into(), "1".into()));
    ok(&sim, &["canary", "set", "shop", "50", "--yes"]);
    assert_eq!((replicas("shop"), replicas("shop-canary")), ("2".into(), "2".into()));
    let (code, _, err) = sim.modeldeck(&["canary", "promote", "shop", "--yes"]);
    assert_eq!(code, 1);
    assert!(err.contains("promote is not built for the replicas router"), "{err}");
}
