//! Nothing acknowledged is lost, nothing is half-stored: the real `sancha`
//! binary under load, killed with SIGKILL at random moments ten times,
//! restarted on the same data each time.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sancha_tests::*;
use serde_json::{json, Value};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Integrity {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

fn sign_in(base: &str) -> String {
    let r: Value = ureq::post(&format!("{base}/api/v1/auth/token"))
        .send_json(json!({"username": "admin", "password": "sancha-demo"}))
        .expect("sign in")
        .into_json()
        .expect("json");
    format!("Bearer {}", r["access_token"].as_str().expect("token"))
}

#[test]
fn ten_kill_dash_nines_under_load_lose_nothing_acknowledged_and_half_store_nothing() {
    let binary = server_binary();
    if !binary.exists() {
        eprintln!(
            "skipped: {} not built (cargo test --workspace builds it)",
            binary.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("data dir");
    let pg = postgres_admin_url().map(|admin| PgDatabase::create(&admin));
    let url = pg.as_ref().map(|p| p.url.as_str());
    let template: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json"))
            .expect("example");
    let acknowledged: Mutex<HashMap<String, Value>> = Mutex::default();
    let mut households = Vec::new();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let started = Instant::now();

    for round in 0..10 {
        let server = ServerProcess::start(
            &binary,
            dir.path(),
            url,
            if round == 0 { &["--demo"] } else { &[] },
        );
        let (base, auth) = (server.base.clone(), sign_in(&server.base));
        if households.is_empty() {
            households = list_all(&base, &auth, "/api/v1/households");
        }
        let stop = AtomicBool::new(false);
        let mut server = Some(server);
        std::thread::scope(|s| {
            for client in 0..8u64 {
                let (base, auth, households, template, acknowledged, stop) =
                    (&base, &auth, &households, &template, &acknowledged, &stop);
                s.spawn(move || {
                    let agent = ureq::AgentBuilder::new()
                        .timeout(Duration::from_secs(10))
                        .build();
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let pick = (client * 7919 + n * 104_729 + round as u64 * 31) as usize;
                        let body =
                            visit_from_roster(template, &households[pick % households.len()], n);
                        let id = uuid::Uuid::new_v4().to_string();
                        let answer = agent
                            .put(&format!("{base}/api/v1/visits/{id}"))
                            .set("Authorization", auth)
                            .send_json(body.clone());
                        match answer {
                            Ok(r) if (200..300).contains(&r.status()) => {
                                acknowledged.lock().unwrap().insert(id, body);
                            }
                            Ok(r) => panic!("unexpected {}", r.status()),
                            Err(ureq::Error::Status(code, r)) => {
                                assert!(
                                    code < 500 || code == 503,
                                    "{code}: {}",
                                    r.into_string().unwrap_or_default()
                                );
                            }
                            Err(_) => {} // killed mid-request: no answer
                        }
                    }
                });
            }
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            std::thread::sleep(Duration::from_millis(300 + seed % 900));
            if let Some(server) = server.take() {
                server.kill();
            }
            stop.store(true, Ordering::Relaxed);
        });
    }

    // Back up once more, and read everything.
    let server = ServerProcess::start(&binary, dir.path(), url, &[]);
    let auth = sign_in(&server.base);
    let listed = list_all(&server.base, &auth, "/api/v1/visits");
    let ids: HashSet<String> = listed
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids.len(), listed.len(), "a visit is listed twice");
    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(
        acknowledged.len() > 100,
        "the load did run ({} acknowledged)",
        acknowledged.len()
    );
    let lost: Vec<&String> = acknowledged
        .keys()
        .filter(|id| !ids.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged visits lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    // Every acknowledged document is stored as sent (a sample: reading is audited).
    for (id, sent) in acknowledged.iter().take(200) {
        let got: Value = ureq::get(&format!("{}/api/v1/visits/{id}", server.base))
            .set("Authorization", &auth)
            .call()
            .expect("read")
            .into_json()
            .expect("json");
        assert_eq!(&got["document"], sent, "visit {id} changed");
    }
    server.kill();

    // No half-stored visit: each has all four image references and its
    // findings; and SQLite's own check passes.
    let target = sancha_server::db::Target::parse(url, dir.path()).expect("target");
    let db = sancha_server::db::Db::open(&target).expect("open");
    let half: i64 = db
        .read_blocking(|c| {
            Ok(diesel::sql_query(
                "SELECT COUNT(*) AS n FROM visits v WHERE (SELECT COUNT(*) FROM visit_blobs b WHERE b.visit_seq = v.seq) <> 4",
            )
            .get_result::<Count>(c)?
            .n)
        })
        .expect("count");
    assert_eq!(half, 0, "visits without all their image references");
    if url.is_none() {
        let check = db
            .read_blocking(|c| {
                Ok(diesel::sql_query("PRAGMA integrity_check")
                    .get_result::<Integrity>(c)?
                    .integrity_check)
            })
            .expect("pragma");
        assert_eq!(check, "ok");
    }
    eprintln!(
        "{} acknowledged, {} stored, {:.1} s",
        acknowledged.len(),
        listed.len(),
        started.elapsed().as_secs_f64()
    );
}
