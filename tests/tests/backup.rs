//! Online backups of the embedded database: `sancha backup` while the real
//! server takes visits, `sancha restore` into a new data dir, and a server
//! started on it that has every visit acknowledged before the backup began.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sancha_tests::*;
use serde_json::{json, Value};

fn sancha(
    binary: &std::path::Path,
    data_dir: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    Command::new(binary)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .args(args)
        .output()
        .expect("run sancha")
}

#[test]
fn a_backup_taken_under_load_restores_every_visit_acknowledged_before_it_began() {
    let binary = server_binary();
    let current = binary.exists()
        && Command::new(&binary)
            .args(["backup", "--help"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !current {
        assert!(
            std::env::var("CI").is_err(),
            "{} is not built under CI",
            binary.display()
        );
        eprintln!(
            "skipped: {} not built or older than `backup` (cargo test --workspace builds it)",
            binary.display()
        );
        return;
    }
    let (old, new) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = ServerProcess::start(&binary, old.path(), None, &["--demo"]);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let signed_in: Value = agent
        .post(&format!("{}/api/v1/auth/token", server.base))
        .send_json(json!({"username": "admin", "password": "sancha-demo"}))
        .expect("sign in")
        .into_json()
        .unwrap();
    let auth = format!("Bearer {}", signed_in["access_token"].as_str().unwrap());
    let households = list_all(&server.base, &auth, "/api/v1/households");
    let template: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();

    // Visits keep arriving, four connections at a time, before, during and after the backup.
    let acknowledged = Mutex::new(Vec::<String>::new());
    let stop = AtomicBool::new(false);
    let (before, report) = std::thread::scope(|s| {
        for worker in 0..4u64 {
            let (agent, auth, server, households, template) =
                (&agent, &auth, &server, &households, &template);
            let (acknowledged, stop) = (&acknowledged, &stop);
            s.spawn(move || {
                let mut n = worker;
                while !stop.load(Ordering::Relaxed) {
                    let h = &households[(n as usize * 7) % households.len()];
                    let id = uuid::Uuid::new_v4().to_string();
                    let sent = agent
                        .put(&format!("{}/api/v1/visits/{id}", server.base))
                        .set("Authorization", auth)
                        .send_json(visit_from_roster(template, h, n));
                    if matches!(&sent, Ok(r) if r.status() == 201) {
                        acknowledged.lock().unwrap().push(id);
                    }
                    n += 4;
                }
            });
        }
        std::thread::sleep(Duration::from_secs(2));
        let before: Vec<String> = acknowledged.lock().unwrap().clone();
        let out = old.path().join("under-load.sancha-backup");
        let report = sancha(
            &binary,
            old.path(),
            &["backup", "--out", out.to_str().unwrap()],
        );
        std::thread::sleep(Duration::from_millis(500));
        stop.store(true, Ordering::Relaxed);
        (before, report)
    });
    assert!(
        report.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(
        before.len() > 10,
        "the load stored only {} visits before the backup",
        before.len()
    );
    let after = acknowledged.lock().unwrap().len();
    assert!(
        after > before.len(),
        "visits were still stored while the backup ran"
    );
    server.kill();

    let file = old.path().join("under-load.sancha-backup");
    let restored = sancha(&binary, new.path(), &["restore", file.to_str().unwrap()]);
    assert!(
        restored.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    // A second restore over it is refused: restoring never overwrites a database.
    let again = sancha(&binary, new.path(), &["restore", file.to_str().unwrap()]);
    assert!(!again.status.success());

    let server = ServerProcess::start(&binary, new.path(), None, &[]);
    let signed_in: Value = agent
        .post(&format!("{}/api/v1/auth/token", server.base))
        .send_json(json!({"username": "admin", "password": "sancha-demo"}))
        .expect("the restored users sign in")
        .into_json()
        .unwrap();
    let auth = format!("Bearer {}", signed_in["access_token"].as_str().unwrap());
    for id in &before {
        let r = agent
            .get(&format!("{}/api/v1/visits/{id}", server.base))
            .set("Authorization", &auth)
            .call();
        assert!(
            matches!(&r, Ok(r) if r.status() == 200),
            "visit {id}, acknowledged before the backup, is missing"
        );
    }
    server.kill();
}

#[test]
fn a_backup_is_refused_for_postgresql_and_never_overwrites() {
    let binary = server_binary();
    if !binary.exists() {
        eprintln!("skipped: {} not built", binary.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = sancha(
        &binary,
        dir.path(),
        &[
            "--database-url",
            "postgres://x@127.0.0.1:1/x",
            "backup",
            "--out",
            "/tmp/never",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pg_basebackup"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let taken = dir.path().join("taken");
    std::fs::write(&taken, b"something already here").unwrap();
    let out = sancha(
        &binary,
        dir.path(),
        &["backup", "--out", taken.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&taken).unwrap(), b"something already here");
}
