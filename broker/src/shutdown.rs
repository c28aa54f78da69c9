//! Stopping the broker: one token every task watches, one tracker that knows
//! when the last of them has finished.

use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// The owner of every task the broker spawns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shutdown {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Shutdown {
    pub(crate) fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task);
    }

    /// Tells every task to stop; does not wait.
    pub(crate) fn signal(&self) {
        self.token.cancel();
        self.tracker.close();
    }

    /// Tells every task to stop and waits until all have.
    pub(crate) async fn complete(&self) {
        self.signal();
        self.tracker.wait().await;
    }

    /// Tasks still running (0 once [`Self::complete`] returned).
    pub(crate) fn running(&self) -> usize {
        self.tracker.len()
    }
}
