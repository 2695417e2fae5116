//! A cluster the console cannot read says what failed, in words an
//! operator acts on, and since when, where the list would be — never an
//! empty namespace. Against the simulated cluster: a closed port, a CA the
//! server's certificate is not signed by, and a token it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad data

mod console_common;
mod sim_common;

use console_common::{Attach, Console};
use sim_common::Sim;

fn console_on(sim: &Sim, kubeconfig: std::path::PathBuf) -> Console {
    Console::start(Attach::operator(kubeconfig, sim.dir.path()))
}

/// The sim's kubeconfig with `from` replaced by `to`, written beside it.
fn altered(sim: &Sim, name: &str, from: &str, to: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(&sim.kubeconfig).unwrap();
    assert!(text.contains(from), "{from:?} not in the kubeconfig");
    let path = sim.dir.path().join(name);
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
}

/// A loopback port nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn screen_when_stale(console: &mut Console) -> String {
    console.press("2");
    console.until("the watch's error", |s| s.rollouts.stale.is_failing());
    console.render(80, 24)
}

#[test]
fn a_closed_port_says_connection_refused_not_no_deployments() {
    let Some(sim) = Sim::start() else { return };
    let closed = closed_port();
    let url = sim.server.url();
    let kubeconfig = altered(&sim, "closed", &url, &format!("https://127.0.0.1:{closed}"));
    let mut console = console_on(&sim, kubeconfig);
    let screen = screen_when_stale(&mut console);
    assert!(!screen.contains("No deployments"), "{screen}");
    assert!(screen.contains("Cannot read the cluster's deployments."), "{screen}");
    assert!(
        screen.contains(&format!("connection refused at https://127.0.0.1:{closed}")),
        "{screen}"
    );
    assert!(screen.contains("STALE since "), "says since when: {screen}");
    assert!(screen.lines().nth(1).unwrap().contains("cluster since "), "{screen}");
}

#[test]
fn a_foreign_ca_says_unknown_authority() {
    let Some(sim) = Sim::start() else { return };
    let Some(other) = Sim::start() else { return };
    // The other cluster's CA: the server's certificate is not signed by it.
    let ours = std::fs::read_to_string(&sim.kubeconfig).unwrap();
    let theirs = std::fs::read_to_string(&other.kubeconfig).unwrap();
    let ca = |text: &str| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["clusters"][0]["cluster"]["certificate-authority-data"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let kubeconfig = altered(&sim, "foreign-ca", &ca(&ours), &ca(&theirs));
    let mut console = console_on(&sim, kubeconfig);
    let screen = screen_when_stale(&mut console);
    assert!(screen.contains("TLS: unknown authority"), "{screen}");
}

#[test]
fn a_refused_token_says_401_unauthorized() {
    let Some(sim) = Sim::start() else { return };
    let text = std::fs::read_to_string(&sim.kubeconfig).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let token = v["users"][0]["user"]["token"].as_str().unwrap().to_owned();
    let kubeconfig = altered(&sim, "bad-token", &token, "not-a-token");
    let mut console = console_on(&sim, kubeconfig);
    let screen = screen_when_stale(&mut console);
    assert!(screen.contains("401 Unauthorized"), "{screen}");
}

/// Prometheus on a closed port: the notice line says what failed and since
/// when, over the kept charts — as the cluster's does.
#[test]
fn a_closed_prometheus_says_what_failed_and_since_when() {
    let Some(sim) = Sim::start() else { return };
    let closed = closed_port();
    let mut settings = modeldeck::config::load(&Default::default()).unwrap().config.settings;
    settings.metrics.source = modeldeck::config::metrics::MetricsSource::Prometheus;
    settings.metrics.prometheus.url = format!("http://127.0.0.1:{closed}");
    let mut attach = Attach::operator(sim.kubeconfig.clone(), sim.dir.path());
    attach.metrics = Some(settings);
    let mut console = Console::start(attach);
    console.press("3");
    console.tick();
    console.until("every panel's error", |s| {
        s.metrics.panels.iter().all(|p| p.error.is_failing()) && s.alerts.error.is_failing()
    });
    let screen = console.render(80, 24);
    let notice = screen.lines().nth(1).unwrap();
    assert!(notice.contains("metrics since "), "{screen}");
    assert!(notice.contains(": connection refused at http://127.0"), "{screen}");
    // The whole notice is in the log view, which wraps.
    let full = console.state.notices()[0].text.clone();
    assert!(full.contains("(every panel); nothing read yet, retrying"), "{full}");
    assert!(
        console
            .state
            .notices()
            .iter()
            .any(|n| n.text.starts_with("alerts since ")),
        "{:?}",
        console.state.notices()
    );
    // The log keeps the reason once, not once per panel.
    let logged = console
        .state
        .messages
        .iter()
        .filter(|m| m.text.starts_with("cannot read the metrics"))
        .count();
    assert_eq!(logged, 1, "{:?}", console.state.messages);
}
