//! Group commit: one writer thread gathers the writes waiting at that moment
//! into one transaction, runs each in its own savepoint, commits once, and
//! only then answers them all. Every answered write is on disk (SQLite runs
//! with `synchronous=FULL`), at the cost of one fsync per group rather than
//! per visit; one failing write never fails its neighbours.

use std::sync::mpsc;

use diesel::Connection;

use super::{unavailable, AnyConnection, Core};
use crate::error::ApiError;

/// Writes in one group at most; more wait for the next commit.
const MAX_GROUP: usize = 256;

/// Tells a waiting write how its group's commit went.
type Deliver = Box<dyn FnOnce(bool) + Send>;
/// A write: runs inside the group's transaction, returns its delivery.
type Job = Box<dyn FnOnce(&mut AnyConnection) -> Deliver + Send>;

/// The handle that queues writes; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    pub(super) fn start(core: Core) -> GroupCommit {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sancha-group-commit".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match queue.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    // A bug in one write must not stop every later one: the
                    // group's waiters get 503 and the thread goes on.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        commit(&core, group)
                    }))
                    .is_err()
                    {
                        tracing::error!("a group commit panicked");
                    }
                }
            })
            .expect("the group-commit thread starts");
        GroupCommit { jobs }
    }

    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<T, ApiError>>();
        let job: Job = Box::new(move |conn| {
            // Nested in the group's transaction: a savepoint.
            let result = conn.transaction(f);
            Box::new(move |committed| {
                let answer = if committed {
                    result
                } else {
                    Err(unavailable("a group commit failed"))
                };
                let _ = tx.send(answer);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| unavailable("the group-commit thread is gone"))?;
        // A group that never ran (no connection) drops its senders: 503, retry.
        rx.await
            .unwrap_or_else(|_| Err(unavailable("a group commit did not run")))
    }
}

fn commit(core: &Core, group: Vec<Job>) {
    let started = std::time::Instant::now();
    let size = group.len();
    let mut deliveries = Vec::with_capacity(group.len());
    let committed = core
        .write_blocking(|conn| {
            for job in group {
                deliveries.push(job(conn));
            }
            Ok(())
        })
        .is_ok();
    tracing::debug!(
        size,
        committed,
        micros = started.elapsed().as_micros() as u64,
        "group commit"
    );
    for deliver in deliveries {
        deliver(committed);
    }
}
