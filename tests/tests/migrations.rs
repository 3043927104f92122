//! Migrations are production code: up → down → up leaves the same schema,
//! on both backends, and down really removes what up made.

use diesel::prelude::*;
use diesel::sql_types::Text;
use sancha_server::db::{
    revert_all_migrations, run_migrations, AnyConnection, Backend as DbBackend, Target,
};
use sancha_tests::*;

#[derive(QueryableByName, PartialEq, Debug)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// The schema as text, without diesel's own bookkeeping table.
fn schema(conn: &mut AnyConnection) -> Vec<String> {
    let rows = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT type || ' ' || name || ': ' || coalesce(sql, '') AS line FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY type, name",
        )
        .load::<Line>(c),
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
             AND tablename <> '__diesel_schema_migrations' ORDER BY 1",
        )
        .load::<Line>(c),
    };
    rows.expect("read schema")
        .into_iter()
        .map(|l| l.line)
        .collect()
}

#[test]
fn up_down_up_leaves_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let pg = (default_backend() == Backend::Postgres)
        .then(|| PgDatabase::create(&postgres_admin_url().unwrap()));
    let target = Target::parse(pg.as_ref().map(|p| p.url.as_str()), dir.path()).unwrap();
    assert_eq!(
        target.backend,
        if pg.is_some() {
            DbBackend::Postgres
        } else {
            DbBackend::Sqlite
        }
    );
    let mut conn = target.connect().unwrap();

    run_migrations(&mut conn).unwrap();
    let first = schema(&mut conn);
    assert!(first.iter().any(|l| l.contains("households")), "{first:?}");
    assert!(first.iter().any(|l| l.contains("audit_log")));

    revert_all_migrations(&mut conn).unwrap();
    assert_eq!(
        schema(&mut conn),
        Vec::<String>::new(),
        "down left tables behind"
    );

    run_migrations(&mut conn).unwrap();
    assert_eq!(schema(&mut conn), first);
}

#[test]
fn both_backends_have_the_same_numbered_steps() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
    let steps = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(format!("{root}/{backend}"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = steps("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, steps("postgres"));
    for step in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    std::path::Path::new(&format!("{root}/{backend}/{step}/{file}")).exists(),
                    "{backend}/{step}/{file}"
                );
            }
        }
    }
}

#[test]
fn a_url_that_is_not_postgres_is_refused_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Target::parse(Some("mysql://x"), dir.path()).is_err());
    assert!(Target::parse(Some("/tmp/some.db"), dir.path()).is_err());
    let t = Target::parse(None, dir.path()).unwrap();
    assert_eq!(t.backend, DbBackend::Sqlite);
    assert!(t.url.ends_with("sancha.db"));
}

/// A CLI run that starts while another process holds the SQLite file for a
/// moment (a server closing and checkpointing its WAL) waits for it instead
/// of failing with "database is locked".
#[test]
fn sqlite_open_waits_for_a_lock_held_by_another_connection() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::parse(None, dir.path()).unwrap();
    let mut holder = target.connect().unwrap();
    let AnyConnection::Sqlite(ref mut c) = holder else {
        unreachable!()
    };
    use diesel::connection::SimpleConnection;
    c.batch_execute("PRAGMA locking_mode = EXCLUSIVE; CREATE TABLE t (x INTEGER); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1); COMMIT;")
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(holder);
    });
    let started = std::time::Instant::now();
    let opened = target.connect();
    release.join().unwrap();
    assert!(opened.is_ok(), "{:?}", opened.err());
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(250),
        "the lock was not held; the test proves nothing"
    );
}
