//! The simulated world behind `modeldeck demo` and the tests: a Kubernetes
//! API server on loopback (object store, watches, discovery, patches,
//! RBAC-like read-only users) with Deployment, ReplicaSet and pod
//! controllers running on injectable simulated time. The real `kubectl`
//! is its referee. A separable module: nothing here knows about the UI.

pub mod api;
pub mod clock;
pub mod controller;
mod defaults;
pub mod error;
pub mod kubeconfig;
pub mod resources;
pub mod store;
pub mod tls;
pub mod traffic;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use api::auth::Users;
use clock::Clock;
use controller::Behaviour;
use store::Store;

/// Real time between controller passes when nothing prompts one sooner.
const RESYNC: Duration = Duration::from_millis(100);

/// Failures a test (or a demo of failure handling) asks the API server to
/// show: answers with an error code, slow answers, dropped watches.
#[derive(Debug, Default)]
struct Faults {
    /// The next `n` resource requests answer with this code.
    fail: Option<(u16, usize)>,
    delay: Option<Duration>,
}

/// The shared state of a running simulated cluster.
pub struct Cluster {
    store: Mutex<Store>,
    pub behaviour: Behaviour,
    pub users: Users,
    kick: Notify,
    faults: Mutex<Faults>,
    /// Bumped to end every open watch, as an API server restart does.
    watch_epoch: tokio::sync::watch::Sender<u64>,
    /// Watches ended by `drop_watches`, so a test can tell it ended some.
    watches_dropped: std::sync::atomic::AtomicU64,
}

impl Cluster {
    pub fn new(clock: Arc<dyn Clock>, behaviour: Behaviour) -> Cluster {
        Cluster {
            store: Mutex::new(Store::new(clock)),
            behaviour,
            users: Users::demo(),
            kick: Notify::new(),
            faults: Mutex::new(Faults::default()),
            watch_epoch: tokio::sync::watch::channel(0).0,
            watches_dropped: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The next `count` resource requests fail with HTTP `code`.
    pub fn fail_next(&self, code: u16, count: usize) {
        if let Ok(mut faults) = self.faults.lock() {
            faults.fail = Some((code, count));
        }
    }

    /// Every resource request waits `delay` before it is answered.
    pub fn slow_down(&self, delay: Option<Duration>) {
        if let Ok(mut faults) = self.faults.lock() {
            faults.delay = delay;
        }
    }

    /// Ends every open watch; clients must reconnect.
    pub fn drop_watches(&self) {
        self.watch_epoch.send_modify(|epoch| *epoch += 1);
    }

    pub fn watch_epoch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.watch_epoch.subscribe()
    }

    /// A watch ended because of `drop_watches`.
    fn watch_dropped(&self) {
        self.watches_dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Watches `drop_watches` has ended since start.
    pub fn watches_dropped(&self) -> u64 {
        self.watches_dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The injected delay, and the injected failure if one is due.
    fn fault(&self) -> (Option<Duration>, Option<u16>) {
        let Ok(mut faults) = self.faults.lock() else {
            return (None, None);
        };
        let fail = match &mut faults.fail {
            Some((code, left)) if *left > 0 => {
                *left -= 1;
                Some(*code)
            }
            _ => None,
        };
        (faults.delay, fail)
    }

    /// The store, for a short critical section (never held across an await).
    /// A panic while it was held cannot leave it half-written for readers
    /// that matter here, so a poisoned lock is taken over.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks for a controller pass soon (after a write).
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// One pass of every controller, settled: passes repeat while they
    /// change something, a bounded number of times.
    pub fn reconcile(&self) {
        let mut store = self.lock();
        for _ in 0..8 {
            let before = store.revision();
            controller::reconcile(&mut store, &self.behaviour);
            if store.revision() == before {
                break;
            }
        }
    }
}

/// A running simulated API server; stopped when dropped.
pub struct SimServer {
    pub addr: SocketAddr,
    pub cluster: Arc<Cluster>,
    /// The CA certificate (PEM) that clients must trust.
    pub ca_pem: String,
    tasks: Vec<JoinHandle<()>>,
}

impl SimServer {
    /// Serves `cluster` on `addr` (port 0: any free port) and runs its
    /// controllers.
    pub async fn start(addr: SocketAddr, cluster: Arc<Cluster>) -> std::io::Result<SimServer> {
        let tls = tls::generate().map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(api::serve(listener, tls.acceptor, cluster.clone()));
        let controllers = {
            let cluster = cluster.clone();
            tokio::spawn(async move {
                loop {
                    cluster.reconcile();
                    tokio::select! {
                        _ = cluster.kick.notified() => {}
                        _ = tokio::time::sleep(RESYNC) => {}
                    }
                }
            })
        };
        Ok(SimServer {
            addr,
            cluster,
            ca_pem: tls.ca_pem,
            tasks: vec![server, controllers],
        })
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The demo world on a manual clock, seeded and settled: every pod
/// started and ready (a minute of simulated time), for tests that need
/// the world as the demo shows it without running servers.
pub fn settled_demo() -> Result<Cluster, error::ApiError> {
    let start = jiff::Timestamp::from_second(1_767_225_600).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let clock = Arc::new(clock::ManualClock::new(start));
    let cluster = Cluster::new(clock.clone(), Behaviour::default());
    world::seed(&mut cluster.lock())?;
    for _ in 0..30 {
        cluster.reconcile();
        clock.advance(Duration::from_secs(2));
    }
    cluster.reconcile();
    Ok(cluster)
}
