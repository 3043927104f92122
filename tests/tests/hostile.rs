//! Bad bodies among good ones: malformed JSON, a 20 MiB body, slow senders
//! and invalid visits arrive while phones submit real visits. The good ones
//! are all stored, the bad ones get their 4xx, nothing answers 5xx.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

#[test]
fn good_visits_go_through_while_bad_bodies_and_slow_senders_arrive() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    let household = app.seed_household(input(&example_household()));
    let token = app.token("enum");
    let mut good: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    good["household_id"] = household.as_str().into();
    let done = AtomicBool::new(false);
    let addr = app.base.trim_start_matches("http://").to_string();

    let stored = std::thread::scope(|s| {
        // Slow senders: a header byte every 100 ms, holding connections open.
        for _ in 0..4 {
            let (addr, done) = (&addr, &done);
            s.spawn(move || {
                let Ok(mut c) = TcpStream::connect(addr.as_str()) else { return };
                for b in b"PUT /api/v1/visits/6f1c1c1e-0000-4000-8000-000000000001 HTTP/1.1\r\nHost: x\r\n".iter().cycle() {
                    if done.load(Ordering::Relaxed) || c.write_all(&[*b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        }
        // Bad bodies: malformed, oversized, invalid.
        let bad = s.spawn(|| {
            let mut statuses = Vec::new();
            let huge = vec![b'x'; 20 << 20];
            let mut invalid = good.clone();
            invalid["members"][0]["id_number"] = "210922196805120118".into();
            for i in 0..30 {
                let path = format!("/api/v1/visits/{}", uuid::Uuid::new_v4());
                let r = match i % 3 {
                    0 => app.send(
                        "PUT",
                        &path,
                        Some(&token),
                        &[],
                        Some(Body::Raw("application/json", b"{\"schema_version\": ")),
                    ),
                    1 => {
                        // The server may answer 413 and close before the body is sent.
                        let sent = ureq::put(&app.url(&path))
                            .set("Authorization", &format!("Bearer {token}"))
                            .set("Content-Type", "application/json")
                            .send_bytes(&huge);
                        statuses.push(match sent {
                            Ok(r) | Err(ureq::Error::Status(_, r)) => r.status(),
                            Err(_) => 0,
                        });
                        continue;
                    }
                    _ => app.put(&path, Some(&token), &[], &invalid),
                };
                statuses.push(r.status);
            }
            statuses
        });
        // Good visits, from four phones.
        let phones: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    (0..25)
                        .map(|_| {
                            app.put(
                                &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
                                Some(&token),
                                &[],
                                &good,
                            )
                            .status
                        })
                        .collect::<Vec<u16>>()
                })
            })
            .collect();
        let good_statuses: Vec<u16> = phones.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let bad_statuses = bad.join().unwrap();
        done.store(true, Ordering::Relaxed);
        assert!(good_statuses.iter().all(|s| *s == 201), "{good_statuses:?}");
        // A 20 MiB body may also be cut off before its answer (status 0 here).
        assert!(
            bad_statuses
                .iter()
                .all(|s| matches!(s, 400 | 413 | 422 | 0)),
            "{bad_statuses:?}"
        );
        good_statuses.len()
    });

    let list = app.get("/api/v1/visits?limit=500", Some(&token));
    assert_eq!(list.body["items"].as_array().unwrap().len(), stored);
    assert_eq!(app.get("/healthz", None).status, 200);
}
