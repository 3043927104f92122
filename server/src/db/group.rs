//! Group commit: one writer thread gathers the writes waiting at that moment
//! into one transaction, runs each in its own savepoint, commits once, and
//! only then answers them all. Every answered write is on disk (SQLite runs
//! with `synchronous=FULL`), at the cost of one fsync per group rather than
//! per visit; one failing write never fails its neighbours. The thread has
//! its own connection, and on SQLite a second thread checkpoints the WAL, so
//! a commit only appends to it.

use std::sync::mpsc;

use diesel::connection::SimpleConnection;
use diesel::Connection;

use super::{unavailable, AnyConnection, Backend, Core, Target};
use crate::error::ApiError;

/// Writes in one group at most; more wait for the next commit.
const MAX_GROUP: usize = 256;

/// How long a group waits for more writes after its first. Half a
/// millisecond makes groups larger under load (fewer WAL pages and fsyncs
/// per visit: about 4% less CPU per stored visit in `sancha-load`) and is
/// nothing next to a phone's round trip.
const GATHER: std::time::Duration = std::time::Duration::from_micros(500);

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
                let checkpoints = (core.target.backend == Backend::Sqlite)
                    .then(|| start_checkpointer(core.target.clone()));
                let mut writer = Writer {
                    core,
                    conn: None,
                    checkpoints,
                };
                while let Ok(first) = queue.recv() {
                    let mut group = vec![first];
                    let deadline = std::time::Instant::now() + GATHER;
                    while group.len() < MAX_GROUP {
                        let wait = deadline.saturating_duration_since(std::time::Instant::now());
                        match queue.recv_timeout(wait) {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    // A bug in one write must not stop every later one: the
                    // group's waiters get 503 and the thread goes on.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        writer.commit(group)
                    }))
                    .is_err()
                    {
                        writer.conn = None;
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

/// The group-commit thread's state: its own connection, so a group never
/// queues behind the readers for one from the pool.
struct Writer {
    core: Core,
    conn: Option<AnyConnection>,
    /// SQLite: wakes the checkpointer after a commit.
    checkpoints: Option<mpsc::SyncSender<()>>,
}

impl Writer {
    fn connect(&self) -> Result<AnyConnection, String> {
        let mut conn = self.core.target.connect().map_err(|e| e.to_string())?;
        if self.checkpoints.is_some() {
            // The checkpointer copies the WAL back; commits only append to it.
            conn.batch_execute("PRAGMA wal_autocheckpoint = 0")
                .map_err(|e| e.to_string())?;
        }
        Ok(conn)
    }

    fn commit(&mut self, group: Vec<Job>) {
        let started = std::time::Instant::now();
        let size = group.len();
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => match self.connect() {
                Ok(conn) => conn,
                Err(e) => {
                    // Dropping the group drops its senders: each waiter gets 503.
                    tracing::error!(error = %e, "the group-commit thread cannot connect");
                    return;
                }
            },
        };
        let mut deliveries = Vec::with_capacity(group.len());
        let committed = {
            let _turn = self.core.turn();
            conn.transaction(|conn| {
                for job in group {
                    deliveries.push(job(conn));
                }
                Ok::<_, diesel::result::Error>(())
            })
            .is_ok()
        };
        // Keep the connection unless it is the reason the commit failed.
        if committed || conn.batch_execute("SELECT 1").is_ok() {
            self.conn = Some(conn);
        }
        if let (true, Some(wake)) = (committed, &self.checkpoints) {
            let _ = wake.try_send(());
        }
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
}

/// SQLite: checkpoints the WAL on a thread of its own, so the commits that
/// answer phones never wait for one. Runs a moment after commits, so one
/// checkpoint covers many; ends when the writer does.
fn start_checkpointer(target: Target) -> mpsc::SyncSender<()> {
    let (wake, woken) = mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("sancha-checkpoint".into())
        .spawn(move || {
            let mut conn: Option<AnyConnection> = None;
            while woken.recv().is_ok() {
                std::thread::sleep(std::time::Duration::from_millis(100));
                while woken.try_recv().is_ok() {}
                if conn.is_none() {
                    match target.connect() {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            tracing::warn!(error = %e, "the checkpointer cannot connect");
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    conn = None;
                }
            }
        })
        .expect("the checkpoint thread starts");
    wake
}
