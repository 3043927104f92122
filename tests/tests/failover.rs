//! A database that fails over (PostgreSQL only): a `DATABASE_URL` with
//! several hosts, pooled connections that reach a standby, and COMMITs whose
//! outcome is unknown or that come back with PostgreSQL's warning that the
//! synchronous standby was not waited for. None of them is ever a 500 or a
//! false acknowledgement: each is a 503 with Retry-After, and the phone's
//! resend of the same visit id stores it exactly once.
//!
//! The last test needs a PostgreSQL server of its own
//! (`SANCHA_TEST_SYNC_DATABASE_URL`, started by `.ci/run`), as it sets
//! `synchronous_standby_names`, which holds for a whole server.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

/// The app and what a phone needs to send visits to it.
struct Field {
    app: TestApp,
    enumerator: String,
    household_id: String,
}

fn field(app: TestApp) -> Field {
    app.seed_example_regions();
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    let household_id = app.seed_household(input(&example_household()));
    let enumerator = app.token("enum");
    Field {
        app,
        enumerator,
        household_id,
    }
}

impl Field {
    fn visit(&self) -> Value {
        let mut v: Value =
            serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
        v["household_id"] = self.household_id.clone().into();
        v
    }

    fn put(&self, id: &uuid::Uuid, v: &Value) -> Resp {
        self.app.put(
            &format!("/api/v1/visits/{id}"),
            Some(&self.enumerator),
            &[],
            v,
        )
    }
}

/// `pg_url` with `first` put before its host, and the scheme `postgresql://`:
/// what pg_auto_failover's `show uri` prints, the first host down.
fn with_host_before(pg_url: &str, first: &str) -> String {
    let rest = pg_url
        .strip_prefix("postgres://")
        .expect("a postgres:// URL");
    let (credentials, hosts) = rest.split_once('@').expect("user@host in the URL");
    let (hosts, path) = hosts.split_once('/').expect("a database in the URL");
    format!(
        "postgresql://{credentials}@{first},{hosts}/{path}?target_session_attrs=read-write&connect_timeout=2"
    )
}

/// Closes every connection to `db` but the caller's.
fn terminate_connections(admin: &mut PgConnection, db: &str) {
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ))
        .expect("terminate the app's connections");
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn stored_times(db_url: &str, id: &uuid::Uuid) -> i64 {
    let mut conn = PgConnection::establish(db_url).expect("connect to the test database");
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM visits WHERE id = '{id}'"
    ))
    .get_result::<Count>(&mut conn)
    .expect("count the visit")
    .n
}

fn assert_unavailable(r: &Resp, what: &str) {
    assert_eq!(r.status, 503, "{what}: {}", r.text);
    assert_eq!(r.body["code"], "unavailable", "{what}");
    assert!(r.header("retry-after").is_some(), "{what}: no Retry-After");
}

fn postgres(test: &str) -> Option<String> {
    let url = postgres_admin_url();
    if url.is_none() {
        eprintln!("skipped: {test} runs on PostgreSQL (SANCHA_TEST_DATABASE_URL)");
    }
    url
}

/// An app on a new database of the server behind `admin_url`: the app, the
/// database's name and URL, and an admin connection to that server.
fn on_new_database(admin_url: &str) -> (Field, String, String, PgConnection) {
    let pg = PgDatabase::create(admin_url);
    let (db, db_url) = (pg.name.clone(), pg.url.clone());
    let f = field(TestApp::spawn_on_database(
        Some(pg),
        Some(db_url.clone()),
        default_blob_url(),
    ));
    let admin = PgConnection::establish(admin_url).expect("admin connection");
    (f, db, db_url, admin)
}

#[test]
fn a_url_with_several_hosts_reaches_the_one_that_is_up() {
    let Some(admin) = postgres("several hosts") else {
        return;
    };
    let pg = PgDatabase::create(&admin);
    // Port 1 on loopback refuses: libpq goes on to the next host.
    let url = with_host_before(&pg.url, "127.0.0.1:1");
    let f = field(TestApp::spawn_on_database(
        Some(pg),
        Some(url),
        default_blob_url(),
    ));
    let id = uuid::Uuid::new_v4();
    let r = f.put(&id, &f.visit());
    assert_eq!(r.status, 201, "{}", r.text);
}

#[test]
fn a_database_that_takes_no_writes_is_unavailable_until_it_does() {
    let Some(admin_url) = postgres("read-only database") else {
        return;
    };
    let (f, db, db_url, mut admin) = on_new_database(&admin_url);

    // As a standby is: every new session read-only, the old ones gone.
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {db} SET default_transaction_read_only = on"
        ))
        .unwrap();
    terminate_connections(&mut admin, &db);
    let id = uuid::Uuid::new_v4();
    let visit = f.visit();
    assert_unavailable(&f.put(&id, &visit), "a visit while read-only");
    let read = f.app.get(
        &format!("/api/v1/households/{}", f.household_id),
        Some(&f.enumerator),
    );
    assert_unavailable(&read, "a read on read-only connections");
    // The load balancer sends no more requests here.
    assert_unavailable(&f.app.get("/readyz", None), "/readyz while read-only");

    // Promoted: the same visit, sent again, is stored once.
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {db} RESET default_transaction_read_only"
        ))
        .unwrap();
    terminate_connections(&mut admin, &db);
    assert_eq!(f.app.get("/readyz", None).status, 200);
    let r = f.put(&id, &visit);
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(f.put(&id, &visit).status, 200);
    assert_eq!(stored_times(&db_url, &id), 1);
}

/// Sets `synchronous_standby_names` on the whole server behind `admin`, and
/// clears it when dropped, so a failing test leaves the server usable.
struct SyncStandby<'a> {
    admin: &'a mut PgConnection,
}

impl<'a> SyncStandby<'a> {
    /// Every COMMIT from now on waits for a standby that never comes.
    fn absent(admin: &'a mut PgConnection) -> SyncStandby<'a> {
        // One statement each: ALTER SYSTEM runs outside a transaction.
        for sql in [
            "ALTER SYSTEM SET synchronous_standby_names = 'sancha_absent_standby'",
            "SELECT pg_reload_conf()",
        ] {
            admin.batch_execute(sql).expect(sql);
        }
        SyncStandby { admin }
    }

    /// The backend of `db` waiting for the standby at COMMIT.
    fn waiting_commit(&mut self, db: &str) -> i32 {
        #[derive(diesel::QueryableByName)]
        struct Pid {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            pid: i32,
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let waiting: Vec<Pid> = diesel::sql_query(format!(
                "SELECT pid FROM pg_stat_activity WHERE datname = '{db}' AND wait_event = 'SyncRep'"
            ))
            .load(self.admin)
            .expect("read pg_stat_activity");
            if let Some(p) = waiting.first() {
                return p.pid;
            }
            assert!(Instant::now() < deadline, "no COMMIT waits for the standby");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn run(&mut self, sql: &str) {
        self.admin.batch_execute(sql).expect(sql);
    }
}

impl Drop for SyncStandby<'_> {
    fn drop(&mut self) {
        for sql in [
            "ALTER SYSTEM RESET synchronous_standby_names",
            "SELECT pg_reload_conf()",
        ] {
            let _ = self.admin.batch_execute(sql);
        }
    }
}

#[test]
fn a_commit_that_fails_or_warns_is_answered_503_and_stored_once_when_resent() {
    let test = "COMMIT that fails or warns";
    let Some(admin_url) = std::env::var("SANCHA_TEST_SYNC_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var("CI").is_err() || postgres_admin_url().is_none(),
            "{test}: SANCHA_TEST_SYNC_DATABASE_URL is not set under CI"
        );
        eprintln!(
            "skipped: {test} needs a PostgreSQL server of its own (SANCHA_TEST_SYNC_DATABASE_URL)"
        );
        return;
    };
    let (f, db, db_url, mut admin) = on_new_database(&admin_url);
    let (cancelled, terminated) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let visit = f.visit();
    {
        let mut standby = SyncStandby::absent(&mut admin);
        for (id, how) in [
            (cancelled, "pg_cancel_backend"),
            (terminated, "pg_terminate_backend"),
        ] {
            std::thread::scope(|s| {
                let sent = s.spawn(|| f.put(&id, &visit));
                let pid = standby.waiting_commit(&db);
                // Cancelled: the COMMIT "succeeds" with a WARNING, committed
                // here only. Terminated: the connection is lost at COMMIT.
                standby.run(&format!("SELECT {how}({pid})"));
                assert_unavailable(&sent.join().unwrap(), how);
            });
        }
    }
    // The standby is back (none is asked for): the resends are stored once.
    for id in [cancelled, terminated] {
        let r = f.put(&id, &visit);
        assert!(r.status == 200 || r.status == 201, "{}", r.text);
        assert_eq!(stored_times(&db_url, &id), 1);
        let read = f
            .app
            .get(&format!("/api/v1/visits/{id}"), Some(&f.enumerator));
        assert_eq!(read.status, 200, "{}", read.text);
    }
}
