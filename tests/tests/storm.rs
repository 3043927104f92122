//! A retry storm: phones back online resend everything at once, and weak
//! networks cut requests off halfway. Every visit is stored exactly once and
//! every client ends with the same answer for it.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::sync::Mutex;

use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

const VISITS: usize = 1000;
const CLIENTS: u64 = 20;

/// Sends the headers and half the body of a PUT, then hangs up.
fn cut_off(base: &str, token: &str, path: &str, body: &[u8]) {
    let addr = base.trim_start_matches("http://");
    let Ok(mut s) = TcpStream::connect(addr) else {
        return;
    };
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(&body[..body.len() / 2]);
    // Dropping the stream closes the connection mid-body.
}

#[test]
fn twenty_clients_resending_a_thousand_visits_with_cut_connections_store_each_once() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    let household = app.seed_household(input(&example_household()));
    let token = app.token("enum");
    let mut template: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    template["household_id"] = household.as_str().into();
    let visits: Vec<(String, Vec<u8>)> = (0..VISITS)
        .map(|i| {
            let mut v = template.clone();
            v["client"]["app_version"] = format!("1.0.{i}").into();
            (
                uuid::Uuid::new_v4().to_string(),
                serde_json::to_vec(&v).unwrap(),
            )
        })
        .collect();

    let answers: Mutex<HashMap<String, Vec<Value>>> = Mutex::default();
    std::thread::scope(|s| {
        for client in 0..CLIENTS {
            let (app, token, visits, answers) = (&app, &token, &visits, &answers);
            s.spawn(move || {
                // Each client its own order (a multiplicative permutation) and its own cuts.
                let step = [
                    1, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
                ][client as usize];
                let mut mine = Vec::with_capacity(VISITS);
                for k in 0..VISITS {
                    let (id, body) = &visits[(k * step + client as usize * 37) % VISITS];
                    let path = format!("/api/v1/visits/{id}");
                    if (k as u64 + client).is_multiple_of(5) {
                        cut_off(&app.base, token, &path, body);
                    }
                    let r = app.send(
                        "PUT",
                        &path,
                        Some(token),
                        &[],
                        Some(Body::Raw("application/json", body)),
                    );
                    assert!(
                        r.status == 200 || r.status == 201,
                        "{} {}",
                        r.status,
                        r.text
                    );
                    mine.push((id.clone(), r.body));
                }
                let mut all = answers.lock().unwrap();
                for (id, body) in mine {
                    all.entry(id).or_default().push(body);
                }
            });
        }
    });

    let answers = answers.into_inner().unwrap();
    assert_eq!(answers.len(), VISITS);
    for (id, bodies) in &answers {
        assert_eq!(bodies.len(), CLIENTS as usize);
        assert!(
            bodies.iter().all(|b| b == &bodies[0]),
            "clients got different answers for {id}"
        );
        assert_eq!(bodies[0]["id"], id.as_str());
    }
    let mut stored = 0;
    let mut cursor = String::new();
    loop {
        let r = app.get(
            &format!("/api/v1/visits?limit=500&cursor={cursor}"),
            Some(&token),
        );
        stored += r.body["items"].as_array().unwrap().len();
        cursor = r.body["next_cursor"].as_str().unwrap().to_string();
        if !r.body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(stored, VISITS, "each visit stored exactly once");
}
