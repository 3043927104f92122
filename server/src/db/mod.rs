//! Storage: one diesel code path for SQLite (the default, embedded) and
//! PostgreSQL, chosen by URL scheme. Queries live in one module per
//! aggregate. Blocking diesel calls run on actix's blocking pool, never on
//! the async workers.

pub mod audit;
pub mod cards;
pub mod devices;
pub mod findings;
mod group;
pub mod households;
pub mod integrity;
pub mod limits;
pub mod progress;
pub mod public;
pub mod regions;
pub mod samples;
pub mod schema;
pub mod users;
pub mod visits;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{ApiError, Code};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// A connection to either backend; the variant is chosen from the URL by
/// [`Target::parse`], not by trial (diesel's own `establish` would turn any
/// non-Postgres string, typos included, into a new SQLite file).
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the connection's own backend, as in
/// `native!(conn, |c| query.get_result(c))`. Through [`AnyConnection`] every
/// statement is wrapped in a type that has no static query id, so diesel
/// builds its whole SQL text to look it up in the statement cache, each time;
/// on the backend's own connection the lookup is by type. Worth it for large
/// statements on the hot path (the integrity lookups: building the text cost
/// as much as SQLite running it).
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            $crate::db::AnyConnection::Postgresql($c) => $body,
        }
    };
}
pub(crate) use native;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the database is.
#[derive(Debug, Clone)]
pub struct Target {
    pub backend: Backend,
    pub url: String,
}

impl Target {
    /// `postgres://…` or `postgresql://…` selects PostgreSQL; no URL selects
    /// `<data_dir>/sancha.db`. Anything else is refused rather than guessed.
    pub fn parse(database_url: Option<&str>, data_dir: &Path) -> Result<Target, String> {
        match database_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(Target {
                    backend: Backend::Postgres,
                    url: u.to_string(),
                })
            }
            Some(_) => Err(
                "DATABASE_URL must start with postgres:// (leave it unset for the embedded SQLite)"
                    .into(),
            ),
            None => {
                std::fs::create_dir_all(data_dir)
                    .map_err(|e| format!("cannot create data dir {}: {e}", data_dir.display()))?;
                let path = data_dir.join("sancha.db");
                Ok(Target {
                    backend: Backend::Sqlite,
                    url: path.to_string_lossy().into_owned(),
                })
            }
        }
    }

    pub fn connect(&self) -> Result<AnyConnection, diesel::ConnectionError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url).map(AnyConnection::Postgresql),
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.url)?;
                // The busy timeout comes first: switching to WAL needs a lock,
                // and another process (a CLI run, a closing server
                // checkpointing its WAL) may hold one for a moment.
                // synchronous=FULL: a 2xx means the row survives power loss.
                // temp_store=MEMORY keeps statement and savepoint journals in
                // memory instead of a temporary file.
                c.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA temp_store = MEMORY;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Sqlite(c))
            }
        }
    }
}

struct Manager(Target);

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        self.0
            .connect()
            .map_err(diesel::r2d2::Error::ConnectionError)
    }

    /// Run on every checkout. On PostgreSQL a connection must also take
    /// writes: `SELECT 1` passes on a standby too, and a node that was the
    /// primary when the connection opened may be one after a failover.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        match conn {
            AnyConnection::Sqlite(c) => c.batch_execute("SELECT 1"),
            AnyConnection::Postgresql(c) => writable(c),
        }
        .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection whose transaction could not be ended is not reused.
    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            AnyConnection::Sqlite(c) => c.is_broken(),
            AnyConnection::Postgresql(c) => c.is_broken(),
        }
    }
}

/// What `SHOW transaction_read_only` answers.
#[derive(diesel::QueryableByName)]
struct ReadOnly {
    #[diesel(sql_type = diesel::sql_types::Text)]
    transaction_read_only: String,
}

/// Ok when `conn` takes writes; SQLSTATE 25006 (read-only transaction) when
/// it is on a standby, as a write there would fail.
fn writable(conn: &mut PgConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    let answer: ReadOnly = diesel::sql_query("SHOW transaction_read_only").get_result(conn)?;
    if answer.transaction_read_only == "off" {
        Ok(())
    } else {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ReadOnlyTransaction,
            Box::new("the connection is read-only (a standby)".to_string()),
        ))
    }
}

type Pool = diesel::r2d2::Pool<Manager>;

/// The pool and the writers' turn: what the group-commit thread needs.
#[derive(Clone)]
struct Core {
    pool: Pool,
    target: Target,
    /// SQLite has one writer; taking turns here instead of inside SQLite
    /// means a write transaction never fails with SQLITE_BUSY halfway.
    write_lock: Arc<Mutex<()>>,
}

impl Core {
    /// Waits for the writers' turn (SQLite only; PostgreSQL writers run together).
    fn turn(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        match self.target.backend {
            Backend::Sqlite => Some(self.write_lock.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Postgres => None,
        }
    }

    fn write_blocking<T>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.pool.get().map_err(unavailable)?;
        let _turn = self.turn();
        let conn: &mut AnyConnection = &mut conn;
        conn.transaction(f)
    }
}

/// The database handle shared by handlers and the CLI.
#[derive(Clone)]
pub struct Db {
    core: Core,
    group: group::GroupCommit,
}

impl Db {
    /// Connects, and brings the schema up to date.
    pub fn open(target: &Target) -> Result<Db, String> {
        // Connect once directly so a wrong URL or a down server gives its real error.
        let mut first = target
            .connect()
            .map_err(|e| format!("cannot open {} database: {e}", target.backend.as_str()))?;
        run_migrations(&mut first).map_err(|e| format!("migrations failed: {e}"))?;
        drop(first);
        let size = match target.backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = diesel::r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(Manager(target.clone()))
            .map_err(|e| format!("cannot open connection pool: {e}"))?;
        let core = Core {
            pool,
            target: target.clone(),
            write_lock: Arc::new(Mutex::new(())),
        };
        let group = group::GroupCommit::start(core.clone());
        Ok(Db { core, group })
    }

    pub fn backend(&self) -> Backend {
        self.core.target.backend
    }

    /// PostgreSQL: refreshes the planner's statistics after a bulk load (the
    /// demo county, a roster import). Until autovacuum reaches a table that
    /// grew from empty, each connection's cached statements keep plans made
    /// for an empty table, which read every row: in `sancha-load` on a fresh
    /// demo database, thousands of full scans of `visit_blobs` and
    /// `household_members` a second.
    pub fn analyze(&self) -> Result<(), ApiError> {
        if self.backend() == Backend::Postgres {
            self.read_blocking(|c| c.batch_execute("ANALYZE").map_err(ApiError::from))?;
        }
        Ok(())
    }

    /// Runs `f` on a pooled connection, blocking the calling thread.
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.core.pool.get().map_err(unavailable)?;
        f(&mut conn)
    }

    /// Runs `f` in one transaction, blocking the calling thread.
    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.core.write_blocking(f)
    }

    /// Stores a checked visit in a transaction it shares with the other
    /// visits waiting at that moment (group commit), and answers only after
    /// that transaction committed: one fsync for many visits. `None`: a
    /// submission of the same id was stored first.
    pub async fn store_visit(
        &self,
        visit: visits::NewVisit,
    ) -> Result<Option<visits::Stored>, ApiError> {
        self.group.store(visit).await
    }

    /// [`Db::read_blocking`] on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.read_blocking(f))
            .await
            .map_err(ApiError::internal)?
    }

    /// [`Db::write_blocking`] on the blocking pool.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || db.write_blocking(f))
            .await
            .map_err(ApiError::internal)?
    }
}

/// 503: the database cannot be reached; phones retry.
pub fn unavailable(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "database unavailable");
    ApiError::new(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        Code::Unavailable,
    )
}

type MigrationError = Box<dyn std::error::Error + Send + Sync>;

pub fn run_migrations(conn: &mut AnyConnection) -> Result<(), MigrationError> {
    match conn {
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop),
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(drop),
    }
}

/// Reverts every migration (tests check up → down → up).
pub fn revert_all_migrations(conn: &mut AnyConnection) -> Result<(), MigrationError> {
    match conn {
        AnyConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(drop),
        AnyConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(drop),
    }
}

/// Bumps the named counter and returns its new value. The row stays locked
/// until the transaction ends, so values are handed out in commit order: a
/// reader paging by them never skips a row that commits behind its cursor.
pub fn next_counter(conn: &mut AnyConnection, name: &str) -> Result<i64, ApiError> {
    next_counter_by(conn, name, 1)
}

/// Takes `n` values of the named counter at once; returns the last.
pub fn next_counter_by(conn: &mut AnyConnection, name: &str, n: i64) -> Result<i64, ApiError> {
    use diesel::prelude::*;
    use schema::counters;
    Ok(diesel::update(counters::table.find(name))
        .set(counters::value.eq(counters::value + n))
        .returning(counters::value)
        .get_result::<i64>(conn)?)
}

/// Now, in UTC, at millisecond precision so both backends store the same value.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(3)
}

/// RFC 3339 in UTC, as every timestamp leaves the API.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
