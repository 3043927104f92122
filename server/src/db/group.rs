//! Group commit: one writer thread gathers the visits waiting at that moment
//! and stores them in one transaction, with a few statements for the whole
//! group, commits once, and only then answers them all. Every answered
//! visit is on disk (SQLite runs with `synchronous=FULL`), at the cost of
//! one fsync per group rather than per visit. If the group's transaction
//! fails, each visit is stored again on its own, so a fault in one never
//! fails its neighbours. The thread has its own connection, and on SQLite a
//! second thread checkpoints the WAL, so a commit only appends to it.

use std::sync::mpsc;

use diesel::connection::SimpleConnection;
use diesel::Connection;

use super::visits::{self, NewVisit, Stored};
use super::{unavailable, AnyConnection, Backend, Core, Target};
use crate::error::ApiError;

/// Visits in one group at most; more wait for the next commit.
const MAX_GROUP: usize = 256;

/// How long a group waits for more visits after its first. Half a
/// millisecond makes groups larger under load (fewer WAL pages and fsyncs
/// per visit: about 4% less CPU per stored visit in `sancha-load`) and is
/// nothing next to a phone's round trip.
const GATHER: std::time::Duration = std::time::Duration::from_micros(500);

/// The stored visit, or `None` when a submission of its id was stored first.
type Answer = Result<Option<Stored>, ApiError>;

/// A visit waiting for its group, and where its answer goes.
struct Pending {
    visit: NewVisit,
    answer: tokio::sync::oneshot::Sender<Answer>,
}

/// The handle that queues visits; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Pending>,
}

impl GroupCommit {
    pub(super) fn start(core: Core) -> GroupCommit {
        let (queue, waiting) = mpsc::channel::<Pending>();
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
                while let Ok(first) = waiting.recv() {
                    let mut group = vec![first];
                    let deadline = std::time::Instant::now() + GATHER;
                    while group.len() < MAX_GROUP {
                        let wait = deadline.saturating_duration_since(std::time::Instant::now());
                        match waiting.recv_timeout(wait) {
                            Ok(pending) => group.push(pending),
                            Err(_) => break,
                        }
                    }
                    // A bug must not stop every later group: this group's
                    // waiters get 503 and the thread goes on.
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
        GroupCommit { queue }
    }

    /// Stores `visit` in the next group; answers once that group committed.
    pub async fn store(&self, visit: NewVisit) -> Answer {
        let (answer, rx) = tokio::sync::oneshot::channel();
        self.queue
            .send(Pending { visit, answer })
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

    fn commit(&mut self, group: Vec<Pending>) {
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
        let (mut batch, answers): (Vec<NewVisit>, Vec<_>) =
            group.into_iter().map(|p| (p.visit, p.answer)).unzip();
        let mut results: Vec<Answer> = Vec::with_capacity(size);
        let committed = {
            let _turn = self.core.turn();
            match conn.transaction(|c| visits::insert_group(c, &mut batch)) {
                Ok(stored) => {
                    for (visit, stored) in batch.into_iter().zip(stored) {
                        results.push(Ok(stored.then(|| visit.into_stored())));
                    }
                    true
                }
                Err(e) if size == 1 => {
                    results.push(Err(e));
                    false
                }
                // Each on its own: only the visit at fault fails.
                Err(e) => {
                    tracing::warn!(
                        size,
                        code = e.code.as_str(),
                        "a group failed; storing its visits one by one"
                    );
                    for mut visit in batch {
                        let alone = conn.transaction(|c| {
                            visits::insert_group(c, std::slice::from_mut(&mut visit))
                        });
                        results.push(alone.map(|s| s[0].then(|| visit.into_stored())));
                    }
                    results.iter().any(Result::is_ok)
                }
            }
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
        for (answer, result) in answers.into_iter().zip(results) {
            let _ = answer.send(result);
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
