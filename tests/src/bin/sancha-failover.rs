//! The failover test's phones: sends visits with a photo each, at a fixed
//! rate, through a load balancer, while a script kills parts of the cluster;
//! then checks that every acknowledged visit is stored exactly once with its
//! photo readable. `.ci/failover` drives it.
//!
//! sancha-failover --url http://127.0.0.1:PORT --database-url postgres://… \
//!                 [--rate 40] [--phones 16] [--max-outage 15]
//!
//! It signs in as the demo admin and reads the demo roster. Then it reads
//! commands on stdin, one a line: `mark NAME` (the script is about to kill
//! NAME: the figures from here to the next mark are NAME's), and `stop`.
//!
//! A phone sends its photo (`PUT /blobs/{sha}`), then the visit
//! (`PUT /visits/{id}`), and on a 503 or a cut-off request sends the same
//! again until it is acknowledged, as the field app does. Exits non-zero on
//! any other 5xx, a 503 without Retry-After, an unexpected 4xx, an
//! acknowledged visit missing or stored twice, an unreadable photo, a visit
//! never acknowledged, or an outage longer than `--max-outage` seconds.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use sancha_tests::{list_all, made_apart, sha256_hex, visit_from_roster};
use serde_json::{json, Value};

struct Args {
    url: String,
    database_url: String,
    rate: f64,
    phones: usize,
    max_outage: f64,
}

fn args() -> Args {
    let mut a = Args {
        url: String::new(),
        database_url: String::new(),
        rate: 40.0,
        phones: 16,
        max_outage: 15.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = value,
            "--database-url" => a.database_url = value,
            "--rate" => a.rate = value.parse().expect("--rate N"),
            "--phones" => a.phones = value.parse().expect("--phones N"),
            "--max-outage" => a.max_outage = value.parse().expect("--max-outage SECONDS"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        !a.url.is_empty() && !a.database_url.is_empty(),
        "--url and --database-url are needed"
    );
    a
}

/// A small PNG no other visit has: its bytes and SHA-256.
fn photo(n: u64) -> (Vec<u8>, String) {
    let img = image::RgbImage::from_fn(32, 24, |x, y| {
        let v = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(x * 31 + y * 7);
        image::Rgb([(v >> 8) as u8, (v >> 16) as u8, (v >> 24) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    let bytes = out.into_inner();
    let sha = sha256_hex(&bytes);
    (bytes, sha)
}

/// What the run saw, shared by the phones.
#[derive(Default)]
struct Log {
    /// Visit id → when its acknowledgement came (2xx), and its photo.
    acked: HashMap<String, (Instant, String)>,
    /// Every visit id sent, acknowledged or not.
    sent: Vec<String>,
    /// Answers that break the rules: any 5xx but a 503 with Retry-After, any 4xx.
    bad: Vec<String>,
    /// 503s and cut-off requests (each followed by a resend), with when.
    retried: Vec<Instant>,
}

/// Sends `body` until it is answered 2xx or `give_up` passes. `None`: gave up.
fn send_until_acknowledged(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: &str,
    content_type: &str,
    body: &[u8],
    give_up: Instant,
    log: &Mutex<Log>,
) -> Option<u16> {
    while Instant::now() < give_up {
        let answer = agent
            .request(method, url)
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Type", content_type)
            .send_bytes(body);
        let wait = match answer {
            Ok(r) => return Some(r.status()),
            Err(ureq::Error::Status(503, r)) if r.header("Retry-After").is_some() => {
                Duration::from_millis(500)
            }
            Err(ureq::Error::Status(code, r)) => {
                let what = format!(
                    "{method} {url}: {code} {}",
                    r.into_string().unwrap_or_default()
                );
                log.lock().expect("log").bad.push(what);
                return None;
            }
            // Cut off (a replica killed mid-request) or refused: send again.
            Err(ureq::Error::Transport(_)) => Duration::from_millis(200),
        };
        log.lock().expect("log").retried.push(Instant::now());
        std::thread::sleep(wait);
    }
    None
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn main() {
    let a = args();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let token = agent
        .post(&format!("{}/api/v1/auth/token", a.url))
        .send_json(json!({"username": "admin", "password": "sancha-demo"}))
        .expect("sign in as the demo admin")
        .into_json::<Value>()
        .expect("token")["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let households = list_all(&a.url, &format!("Bearer {token}"), "/api/v1/households");
    assert!(!households.is_empty(), "the demo roster is empty");
    let template: Value =
        serde_json::from_str(include_str!("../../../api-spec/examples/visit-clean.json"))
            .expect("the clean example");

    let log = Mutex::new(Log::default());
    let marks: Mutex<Vec<(Instant, String)>> = Mutex::new(vec![(Instant::now(), "start".into())]);
    let stop = AtomicBool::new(false);
    let next = AtomicU64::new(0);
    let started = Instant::now();
    let pause = Duration::from_secs_f64(a.phones as f64 / a.rate);
    std::thread::scope(|s| {
        for phone in 0..a.phones {
            let (a, log, stop, next, token) = (&a, &log, &stop, &next, &token);
            let (households, template) = (&households, &template);
            s.spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(30))
                    .build();
                // Spread the phones over one pause, then one visit a pause each.
                std::thread::sleep(pause.mul_f64(phone as f64 / a.phones as f64));
                while !stop.load(Ordering::Relaxed) {
                    let began = Instant::now();
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let h = &households[(n % households.len() as u64) as usize];
                    let mut v = visit_from_roster(template, h, n);
                    made_apart(&mut v, (n % 4096) as u32);
                    let (png, sha) = photo(n);
                    v["photos"][0]["sha256"] = sha.clone().into();
                    let id = uuid::Uuid::new_v4().to_string();
                    log.lock().expect("log").sent.push(id.clone());
                    // Once stopped, a phone still gets its last visit in.
                    let give_up = Instant::now() + Duration::from_secs(120);
                    let blob = format!("{}/api/v1/blobs/{sha}", a.url);
                    if send_until_acknowledged(
                        &agent,
                        "PUT",
                        &blob,
                        token,
                        "image/png",
                        &png,
                        give_up,
                        log,
                    )
                    .is_none()
                    {
                        continue;
                    }
                    let url = format!("{}/api/v1/visits/{id}", a.url);
                    let body = serde_json::to_vec(&v).expect("JSON");
                    if send_until_acknowledged(
                        &agent,
                        "PUT",
                        &url,
                        token,
                        "application/json",
                        &body,
                        give_up,
                        log,
                    )
                    .is_some()
                    {
                        log.lock()
                            .expect("log")
                            .acked
                            .insert(id, (Instant::now(), sha));
                    }
                    std::thread::sleep(pause.saturating_sub(began.elapsed()));
                }
            });
        }
        // The script's commands.
        for line in std::io::stdin().lock().lines() {
            let line = line.expect("read stdin");
            match line.split_once(' ') {
                Some(("mark", name)) => {
                    eprintln!("[{:6.1} s] mark {name}", started.elapsed().as_secs_f64());
                    marks
                        .lock()
                        .expect("marks")
                        .push((Instant::now(), name.to_string()));
                }
                _ if line == "stop" => break,
                _ => eprintln!("unknown command {line:?}"),
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    let ended = Instant::now();
    let log = log.into_inner().expect("log");
    let marks = marks.into_inner().expect("marks");

    // What the final primary holds of the visits sent.
    let mut db = diesel::PgConnection::establish(&a.database_url).expect("connect to the primary");
    let stored: HashMap<String, i64> =
        diesel::sql_query("SELECT id::text AS id, count(*) AS n FROM visits GROUP BY id")
            .load::<Stored>(&mut db)
            .expect("read the stored visits")
            .into_iter()
            .map(|s| (s.id, s.n))
            .collect();
    let never_acked: Vec<&String> = log
        .sent
        .iter()
        .filter(|id| !log.acked.contains_key(*id))
        .collect();

    // Every acknowledged visit's photo, through the load balancer.
    let mut unreadable = 0;
    for (id, (_, sha)) in &log.acked {
        let got = agent
            .get(&format!("{}/api/v1/blobs/{sha}", a.url))
            .set("Authorization", &format!("Bearer {token}"))
            .call();
        let ok = match got {
            Ok(r) => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).is_ok()
                    && sha256_hex(&bytes) == *sha
            }
            Err(_) => false,
        };
        if !ok {
            unreadable += 1;
            eprintln!("visit {id}: its photo {sha} is not readable");
        }
    }

    let mut failed = false;
    println!(
        "sent {} visits in {:.0} s; acknowledged {}; 503s and cut-off requests resent {}",
        log.sent.len(),
        (ended - started).as_secs_f64(),
        log.acked.len(),
        log.retried.len()
    );
    for (k, (from, name)) in marks.iter().enumerate() {
        let to = marks.get(k + 1).map_or(ended, |m| m.0);
        let mut acks: Vec<Instant> = log
            .acked
            .values()
            .map(|(at, _)| *at)
            .filter(|at| *at >= *from && *at < to)
            .collect();
        acks.sort();
        let window: Vec<&String> = log
            .acked
            .iter()
            .filter(|(_, (at, _))| *at >= *from && *at < to)
            .map(|(id, _)| id)
            .collect();
        let found = window.iter().filter(|id| stored.contains_key(**id)).count();
        let duplicates: i64 = window
            .iter()
            .filter_map(|id| stored.get(*id))
            .map(|n| n - 1)
            .sum();
        let lost = window.len() - found;
        // The longest time without an acknowledged visit.
        let mut outage = Duration::ZERO;
        let mut last = *from;
        for at in acks.iter().copied().chain([to]) {
            outage = outage.max(at - last);
            last = at;
        }
        let retried = log
            .retried
            .iter()
            .filter(|at| **at >= *from && **at < to)
            .count();
        println!(
            "kill {name}: acknowledged {}, found {found}, duplicates {duplicates}, lost {lost}, \
             resent {retried}, outage {:.1} s",
            window.len(),
            outage.as_secs_f64()
        );
        if lost > 0 || duplicates > 0 || (name != "start" && outage.as_secs_f64() > a.max_outage) {
            failed = true;
        }
    }
    let stored_unacked = never_acked
        .iter()
        .filter(|id| stored.contains_key(**id))
        .count();
    println!(
        "never acknowledged: {} (of which stored: {stored_unacked}); photos unreadable: {unreadable}; \
         answers against the rules: {}",
        never_acked.len(),
        log.bad.len()
    );
    for b in log.bad.iter().take(10) {
        println!("  {b}");
    }
    if !never_acked.is_empty() || unreadable > 0 || !log.bad.is_empty() || log.acked.is_empty() {
        failed = true;
    }
    println!(
        "failover test: {}",
        if failed { "FAILED" } else { "passed" }
    );
    std::process::exit(i32::from(failed));
}
