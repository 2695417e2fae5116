//! The actions still running that write to the cluster or the audit log,
//! so the console can wait for them before it exits.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

/// The actions that write to the cluster or the audit log and are still
/// running, by plan summary: the console lets them finish before it exits.
#[derive(Clone, Default)]
pub(super) struct InFlight {
    running: Arc<watch::Sender<BTreeMap<u64, String>>>,
    next: Arc<AtomicU64>,
}

/// One running action; it counts as finished when dropped, so a task that
/// ends any way at all (done, failed, panicked) leaves the set.
pub(super) struct Running {
    id: u64,
    running: Arc<watch::Sender<BTreeMap<u64, String>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.running.send_modify(|running| {
            running.remove(&self.id);
        });
    }
}

impl InFlight {
    pub(super) fn start(&self, summary: String) -> Running {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.running.send_modify(|running| {
            running.insert(id, summary);
        });
        Running {
            id,
            running: self.running.clone(),
        }
    }

    pub(super) fn running(&self) -> Vec<String> {
        self.running.borrow().values().cloned().collect()
    }

    pub(super) async fn settled(&self) {
        // The sender lives in self, so the wait ends only by the condition.
        let _ = self.running.subscribe().wait_for(BTreeMap::is_empty).await;
    }
}
