//! `modeldeck demo --serve`: the simulated world, headless on loopback, with
//! the files that let kubectl, the CLI and a second console attach to it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde_json::json;

use crate::sim::clock::ScaledClock;
use crate::sim::controller::Behaviour;
use crate::sim::traffic::inference::Inference;
use crate::sim::traffic::{MetricsServer, Traffic};
use crate::sim::{Cluster, SimServer, kubeconfig, world};

pub struct DemoOptions {
    pub dir: PathBuf,
    pub port: u16,
    pub speed: f64,
    pub info_file: Option<PathBuf>,
    /// The registry the written config points at.
    pub registry: PathBuf,
    /// Port of the /metrics listener on 127.0.0.1 (0: any free port).
    pub metrics_port: u16,
    /// Requests per second arriving at each route.
    pub rate: f64,
}

/// What a client needs to attach, as printed and as written to --info-file.
pub struct Running {
    pub server: SimServer,
    pub metrics: MetricsServer,
    pub info: serde_json::Value,
}

/// Starts the world and writes the kubeconfig, the modeldeck config and the
/// info file.
pub async fn start(opts: &DemoOptions) -> anyhow::Result<Running> {
    anyhow::ensure!(
        opts.rate.is_finite() && opts.rate >= 0.0,
        "--rate: expected requests per second (0 or more), found {}",
        opts.rate
    );
    std::fs::create_dir_all(&opts.dir).with_context(|| format!("cannot create {}", opts.dir.display()))?;
    let cluster = Arc::new(Cluster::new(
        Arc::new(ScaledClock::new(opts.speed)),
        Behaviour::default(),
    ));
    world::seed(&mut cluster.lock()).context("cannot seed the demo world")?;
    cluster.reconcile();
    let addr = SocketAddr::from(([127, 0, 0, 1], opts.port));
    let server = SimServer::start(addr, cluster.clone())
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let metrics_addr = SocketAddr::from(([127, 0, 0, 1], opts.metrics_port));
    let mut traffic = Traffic::new(opts.rate, 1);
    let env = |name: &str| std::env::var(name).ok();
    match Inference::load(&opts.registry.join("malaria_lstm"), &env) {
        Ok(inference) => traffic = traffic.with_inference(inference),
        Err(e) => tracing::info!("demo traffic without ONNX Runtime: {e}"),
    }
    let answered_by = traffic.answered_by();
    let traffic = Arc::new(traffic);
    let metrics = MetricsServer::start(metrics_addr, cluster.clone(), traffic)
        .await
        .with_context(|| format!("cannot listen on {metrics_addr}"))?;
    let metrics_urls = metrics.urls(&cluster.lock());

    let kubeconfig_path = opts.dir.join("kubeconfig");
    kubeconfig::write(&kubeconfig_path, &server.url(), &server.ca_pem, world::NAMESPACE)
        .with_context(|| format!("cannot write {}", kubeconfig_path.display()))?;
    let config_path = opts.dir.join("modeldeck.toml");
    write_atomically(
        &config_path,
        &modeldeck_config(&kubeconfig_path, &opts.registry, &metrics_urls),
    )?;
    let info = json!({
        "api_server": server.url(),
        "kubeconfig": kubeconfig_path,
        "context": kubeconfig::CONTEXT,
        "readonly_context": kubeconfig::READONLY_CONTEXT,
        "namespace": world::NAMESPACE,
        "config": config_path,
        "speed": opts.speed,
        "metrics": metrics_urls,
        "inference": answered_by,
    });
    if let Some(file) = &opts.info_file {
        write_atomically(file, &format!("{}\n", serde_json::to_string_pretty(&info)?))?;
    }
    Ok(Running { server, metrics, info })
}

fn modeldeck_config(kubeconfig: &Path, registry: &Path, metrics_urls: &[String]) -> String {
    format!(
        "# Written by `modeldeck demo --serve`: points modeldeck at the simulated world.\n\
         # Use it with: modeldeck --config {config}\n\n\
         [registry]\npath = {registry}\n\n\
         [kubernetes]\nkubeconfig = {kubeconfig}\ncontext = \"{context}\"\nnamespace = \"{namespace}\"\n\n\
         [rollouts.{app}]\nrouter = \"gateway-api\"\nroute = \"{app}\"\nstable = \"{app}-blue\"\ncanary = \"{app}-green\"\n\
         shadow = \"{app}-shadow\"\n\n\
         [metrics]\nsource = \"scrape\"\nrefresh = 2\n\n[metrics.scrape]\nurls = {urls}\n\n\
         # The guide's alert rules, held for less time than in production so\n\
         # the demo shows them firing within a minute or two.\n\
         [[alerts]]\nname = \"ModelAccuracyDegraded\"\npanel = \"accuracy\"\nbelow = 0.85\nfor = \"1m\"\n\
         summary = \"Model accuracy below threshold\"\n\n\
         [[alerts]]\nname = \"HighPredictionLatency\"\npanel = \"latency\"\nstat = \"p95\"\nabove = 0.5\nfor = \"30s\"\n\
         summary = \"95th percentile latency > 500ms\"\n\n\
         # A bad release into the canary is rolled back on its own.\n\
         [guard.{app}-canary]\nalert = \"ModelAccuracyDegraded\"\ntrack = \"canary\"\naction = \"undo\"\n",
        urls = toml::Value::Array(metrics_urls.iter().map(|u| toml::Value::String(u.clone())).collect()),
        app = world::APP,
        config = kubeconfig.with_file_name("modeldeck.toml").display(),
        registry = toml_string(registry),
        kubeconfig = toml_string(kubeconfig),
        context = kubeconfig::CONTEXT,
        namespace = world::NAMESPACE,
    )
}

fn toml_string(path: &Path) -> String {
    toml::Value::String(path.display().to_string()).to_string()
}

fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// How to attach, for people.
pub fn describe(info: &serde_json::Value) -> String {
    let s = |k: &str| info[k].as_str().unwrap_or_default().to_owned();
    format!(
        "modeldeck simulated cluster is running ({}x real time)\n\
         api server   {}\n\
         kubeconfig   {}\n\
         context      {} (read-only user: {})\n\
         namespace    {}\n\
         config       {}\n\
         metrics      {}\n\
         answers by   {}\n\n\
         try: kubectl --kubeconfig {} get deploy,rs,pods,svc\n\
         a bad release into the canary:\n\
         \x20    kubectl --kubeconfig {} -n {} set image deployment/{}-canary predictor=ghcr.io/modeldeck/malaria-predictor:2.1.1\n\
         which a console or `modeldeck --config {} guard` rolls back on its own about a minute later\n\
         stop with ctrl-c\n",
        info["speed"],
        s("api_server"),
        s("kubeconfig"),
        s("context"),
        s("readonly_context"),
        s("namespace"),
        s("config"),
        info["metrics"]
            .as_array()
            .map(|urls| urls
                .iter()
                .filter_map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join("\n             "))
            .unwrap_or_default(),
        s("inference"),
        s("kubeconfig"),
        s("kubeconfig"),
        s("namespace"),
        world::APP,
        s("config"),
    )
}
