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
use super::{unavailable, AnyConnection, Backend, Core};
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
                    .then(|| start_checkpointer(core.clone()));
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
        let turn = self.core.turn();
        let mut outcome = attempt(&mut conn, &mut batch);
        // A connection the database closed (a restart, a failover) or that
        // reached a standby: once more, on a new connection.
        if matches!(&outcome, Outcome::Failed(e) if is_unavailable(e)) {
            match self.connect() {
                Ok(fresh) => {
                    conn = fresh;
                    outcome = attempt(&mut conn, &mut batch);
                }
                Err(e) => tracing::error!(error = %e, "the group-commit thread cannot connect"),
            }
        }
        let committed = match outcome {
            Outcome::Stored(stored) => {
                for (visit, stored) in batch.into_iter().zip(stored) {
                    results.push(Ok(stored.then(|| visit.into_stored())));
                }
                true
            }
            // Never a 2xx: the phone keeps the visit and sends it again, and
            // the resend finds it stored (200) or stores it (201), once.
            Outcome::Unacknowledged(why) => {
                tracing::error!(size, why, "a group's COMMIT is not acknowledged");
                results.extend((0..size).map(|_| Err(not_acknowledged())));
                false
            }
            Outcome::Failed(e) if size == 1 || is_unavailable(&e) => {
                results.push(Err(e));
                results.extend((1..size).map(|_| Err(not_acknowledged())));
                false
            }
            // Each on its own: only the visit at fault fails.
            Outcome::Failed(e) => {
                tracing::warn!(
                    size,
                    code = e.code.as_str(),
                    "a group failed; storing its visits one by one"
                );
                for mut visit in batch {
                    let alone = match attempt(&mut conn, std::slice::from_mut(&mut visit)) {
                        Outcome::Stored(s) => Ok(s[0].then(|| visit.into_stored())),
                        Outcome::Unacknowledged(_) => Err(not_acknowledged()),
                        Outcome::Failed(e) => Err(e),
                    };
                    results.push(alone);
                }
                results.iter().any(Result::is_ok)
            }
        };
        drop(turn);
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

/// How one try at storing a group ended.
enum Outcome {
    /// Committed: per visit, whether it was stored (false: its id was already).
    Stored(Vec<bool>),
    /// The inserts ran but the COMMIT failed (its outcome is unknown: the
    /// connection may have been lost after the server committed) or came back
    /// with a WARNING (PostgreSQL's "canceling wait for synchronous
    /// replication": committed on this node only, lost if it fails over).
    Unacknowledged(&'static str),
    /// Nothing was committed.
    Failed(ApiError),
}

/// Stores `batch` in one transaction. Nothing here cancels a COMMIT: a
/// cancelled wait for the synchronous standby would report success.
fn attempt(conn: &mut AnyConnection, batch: &mut [NewVisit]) -> Outcome {
    let mut warnings_before_commit = None;
    let result = conn.transaction(|c| {
        let stored = visits::insert_group(c, batch)?;
        warnings_before_commit = Some(pq_sys::warnings_on_this_thread());
        Ok::<_, ApiError>(stored)
    });
    match (result, warnings_before_commit) {
        (Ok(stored), Some(before)) if pq_sys::warnings_on_this_thread() == before => {
            Outcome::Stored(stored)
        }
        (Ok(_), _) => Outcome::Unacknowledged("the COMMIT came back with a WARNING"),
        (Err(_), Some(_)) => Outcome::Unacknowledged("the COMMIT failed"),
        (Err(e), None) => Outcome::Failed(e),
    }
}

/// A 503 from the database layer: a lost connection, a standby, a conflict.
fn is_unavailable(e: &ApiError) -> bool {
    e.status == actix_web::http::StatusCode::SERVICE_UNAVAILABLE
}

/// 503 for a visit whose group was not (or not surely) stored.
fn not_acknowledged() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        crate::error::Code::Unavailable,
    )
}

/// SQLite: WAL frames (of 4 KiB, so 128 MiB) past which the checkpointer also resets
/// the log. Under a constant stream of commits a passive checkpoint never
/// catches up with the writer, and the WAL would only grow: 1.8 GB in ten
/// seconds of `sancha-load` before this limit, with every read slower for
/// it, as readers search the WAL's index for each page.
const RESTART_FRAMES: i32 = 32_768;

/// Tries at resetting the WAL, 0.2 ms apart, before the next round.
const RESTART_TRIES: u32 = 50;

/// What `PRAGMA wal_checkpoint` answers.
#[derive(diesel::QueryableByName)]
struct WalCheckpoint {
    /// 1 when the checkpoint could not finish (readers, or a writer, in the way).
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
    /// Frames in the WAL.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// SQLite: checkpoints the WAL on a thread of its own, so the commits that
/// answer phones never wait for one. Runs a moment after commits, so one
/// checkpoint covers many; ends when the writer does. Copying pages back
/// is passive and runs beside the writer. Once the WAL passes
/// [`RESTART_FRAMES`], it also takes the writers' turn for as long as it
/// needs to copy what is left and wait for readers to leave the WAL, so the
/// next commit writes the WAL from its start again.
fn start_checkpointer(core: Core) -> mpsc::SyncSender<()> {
    let (wake, woken) = mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("sancha-checkpoint".into())
        .spawn(move || {
            let mut conn: Option<diesel::SqliteConnection> = None;
            while woken.recv().is_ok() {
                std::thread::sleep(std::time::Duration::from_millis(100));
                while woken.try_recv().is_ok() {}
                if conn.is_none() {
                    match core.target.connect() {
                        Ok(AnyConnection::Sqlite(mut c)) => {
                            // No busy handler: SQLite's sleeps 1, 2, 5, 10 … ms
                            // between tries, while the writers wait.
                            // [`checkpoint`] retries every 0.2 ms instead.
                            let _ = c.batch_execute("PRAGMA busy_timeout = 0");
                            conn = Some(c)
                        }
                        Ok(_) => return,
                        Err(e) => {
                            tracing::warn!(error = %e, "the checkpointer cannot connect");
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                if let Err(e) = checkpoint(c, &core, RESTART_FRAMES) {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    conn = None;
                }
            }
        })
        .expect("the checkpoint thread starts");
    wake
}

/// Copies the WAL back; past `restart_frames`, also resets it.
fn checkpoint(
    conn: &mut diesel::SqliteConnection,
    core: &Core,
    restart_frames: i32,
) -> diesel::QueryResult<()> {
    let passive = wal_checkpoint(conn, "PASSIVE")?;
    if passive.log >= restart_frames {
        // Once more beside the writer, so that what is left to copy while
        // the writers wait is only what they wrote meanwhile.
        wal_checkpoint(conn, "PASSIVE")?;
        let started = std::time::Instant::now();
        let _turn = core.turn();
        // Readers still on the WAL are in the way for the moment they take
        // (a read is well under a millisecond); new ones read the database
        // file, as the WAL is copied back by then.
        let mut tries = 0;
        let restart = loop {
            tries += 1;
            let restart = wal_checkpoint(conn, "RESTART")?;
            if restart.busy == 0 || tries == RESTART_TRIES {
                break restart;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        };
        tracing::debug!(
            frames = passive.log,
            busy = restart.busy,
            tries,
            micros = started.elapsed().as_micros() as u64,
            "WAL checkpoint with restart"
        );
    }
    Ok(())
}

fn wal_checkpoint(
    conn: &mut diesel::SqliteConnection,
    mode: &str,
) -> diesel::QueryResult<WalCheckpoint> {
    use diesel::RunQueryDsl;
    diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).get_result(conn)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    use diesel::connection::SimpleConnection;

    use super::*;

    fn sqlite(target: &super::super::Target) -> diesel::SqliteConnection {
        match target.connect().expect("connect") {
            AnyConnection::Sqlite(c) => c,
            AnyConnection::Postgresql(_) => unreachable!(),
        }
    }

    /// Under a constant stream of commits a passive checkpoint never
    /// catches up, and the WAL only grows; past the limit the checkpointer
    /// resets it, so the commits after it write the WAL from its start.
    #[test]
    fn the_checkpointer_resets_the_wal_while_commits_go_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = super::super::Target::parse(None, dir.path()).expect("target");
        let db = super::super::Db::open(&target).expect("open");
        let core = db.core.clone();
        let mut checkpointer = sqlite(&target);
        checkpointer
            .batch_execute("PRAGMA busy_timeout = 0; CREATE TABLE filler (data BLOB NOT NULL)")
            .expect("table");
        let stop = AtomicBool::new(false);
        let commits = AtomicU32::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut writer = sqlite(&target);
                writer
                    .batch_execute("PRAGMA wal_autocheckpoint = 0")
                    .expect("pragma");
                while !stop.load(Ordering::Relaxed) {
                    let _turn = core.turn();
                    writer
                        .batch_execute("INSERT INTO filler (data) VALUES (randomblob(6000))")
                        .expect("insert");
                    commits.fetch_add(1, Ordering::Relaxed);
                }
            });
            while commits.load(Ordering::Relaxed) < 300 {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            checkpoint(&mut checkpointer, &core, 100).expect("checkpoint");
            let after = commits.load(Ordering::Relaxed);
            while commits.load(Ordering::Relaxed) < after + 20 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            stop.store(true, Ordering::Relaxed);
        });
        let total = commits.load(Ordering::Relaxed);
        let frames = wal_checkpoint(&mut checkpointer, "PASSIVE")
            .expect("checkpoint")
            .log;
        // Each commit adds two frames or more. Without the reset the WAL
        // would hold them all: over 640, against about 50 since the reset.
        assert!(total >= 320, "{total} commits");
        assert!(
            frames < 2 * 300,
            "the WAL holds {frames} frames after {total} commits: it was not reset"
        );
    }
}
