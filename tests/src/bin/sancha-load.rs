//! Load generator: starts the real `sancha serve --demo` binary on a fresh
//! data directory, then sends realistic visits (variants of the clean
//! example built from each household's roster, about 70% clean) over HTTP
//! from C concurrent connections for T seconds, then the same load against
//! `POST /visits/validate` (same parsing and checks, no storage), then reads
//! every acknowledged visit back.
//!
//! sancha-load [--server target/release/sancha] [--connections 64] [--seconds 10]
//!             [--database-url postgres://…]
//!
//! Exits non-zero on any 5xx, on a transport error, or when an acknowledged
//! visit cannot be read back.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sancha_tests::{list_all, visit_from_roster, ServerProcess};
use serde_json::{json, Value};

struct Args {
    server: String,
    connections: usize,
    seconds: u64,
    database_url: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        server: "target/release/sancha".into(),
        connections: 64,
        seconds: 10,
        database_url: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => a.server = value,
            "--connections" => a.connections = value.parse().expect("--connections N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--database-url" => a.database_url = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

/// xorshift64*: enough randomness for picking households and variants.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
    acknowledged: Vec<String>,
}

fn run(
    base: &str,
    token: &str,
    template: &Value,
    households: &[Value],
    a: &Args,
    validate: bool,
) -> Tally {
    let total = Mutex::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(a.seconds);
    std::thread::scope(|s| {
        for c in 0..a.connections {
            let total = &total;
            s.spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(30))
                    .build();
                let mut rng =
                    Rng(0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
                let mut mine = Tally::default();
                while Instant::now() < deadline {
                    let h = &households[(rng.next() % households.len() as u64) as usize];
                    let body = visit_from_roster(template, h, rng.next());
                    let id = uuid::Uuid::new_v4().to_string();
                    let (method, url) = if validate {
                        ("POST", format!("{base}/api/v1/visits/validate"))
                    } else {
                        ("PUT", format!("{base}/api/v1/visits/{id}"))
                    };
                    let started = Instant::now();
                    let answer = agent
                        .request(method, &url)
                        .set("Authorization", &format!("Bearer {token}"))
                        .send_json(body);
                    let status = match answer {
                        Ok(r) => r.status(),
                        Err(ureq::Error::Status(code, _)) => code,
                        Err(_) => {
                            mine.transport_errors += 1;
                            continue;
                        }
                    };
                    mine.latencies_us.push(started.elapsed().as_micros() as u64);
                    *mine.statuses.entry(status).or_default() += 1;
                    if !validate && (200..300).contains(&status) {
                        mine.acknowledged.push(id);
                    }
                }
                let mut t = total.lock().expect("tally");
                t.latencies_us.extend(mine.latencies_us);
                for (k, v) in mine.statuses {
                    *t.statuses.entry(k).or_default() += v;
                }
                t.transport_errors += mine.transport_errors;
                t.acknowledged.extend(mine.acknowledged);
            });
        }
    });
    total.into_inner().expect("tally")
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn report(name: &str, t: &mut Tally, seconds: u64) -> f64 {
    t.latencies_us.sort_unstable();
    let ok: u64 = t
        .statuses
        .iter()
        .filter(|(s, _)| (200..300).contains(*s))
        .map(|(_, n)| n)
        .sum();
    let rate = ok as f64 / seconds as f64;
    println!(
        "{name}: {rate:.0}/s accepted; latency ms p50 {:.1} p95 {:.1} p99 {:.1}; statuses {:?}; transport errors {}",
        percentile(&t.latencies_us, 0.50),
        percentile(&t.latencies_us, 0.95),
        percentile(&t.latencies_us, 0.99),
        t.statuses,
        t.transport_errors
    );
    rate
}

fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(
        std::path::Path::new(&a.server),
        dir.path(),
        a.database_url.as_deref(),
        &["--demo"],
    );
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let token = agent
        .post(&format!("{}/api/v1/auth/token", server.base))
        .send_json(json!({"username": "admin", "password": "sancha-demo"}))
        .expect("sign in")
        .into_json::<Value>()
        .expect("token")["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let auth = format!("Bearer {token}");
    let households = list_all(&server.base, &auth, "/api/v1/households");
    let template: Value =
        serde_json::from_str(include_str!("../../../api-spec/examples/visit-clean.json"))
            .expect("example");
    println!(
        "sancha-load: {} households, {} connections, {} s, {} backend",
        households.len(),
        a.connections,
        a.seconds,
        if a.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    );

    let mut stored = run(&server.base, &token, &template, &households, &a, false);
    let store_rate = report("PUT /visits (stored)", &mut stored, a.seconds);
    let mut checked = run(&server.base, &token, &template, &households, &a, true);
    let validate_rate = report(
        "POST /visits/validate (no storage)",
        &mut checked,
        a.seconds,
    );
    println!(
        "storage costs {:.2}x: stored/validate = {:.2}",
        validate_rate / store_rate.max(1.0),
        store_rate / validate_rate.max(1.0)
    );

    // Every acknowledged visit is stored, exactly once.
    let visits = list_all(&server.base, &auth, "/api/v1/visits");
    let rows = visits.len();
    let listed: HashSet<String> = visits
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let missing = stored
        .acknowledged
        .iter()
        .filter(|id| !listed.contains(*id))
        .count();
    println!(
        "read back: {} acknowledged, {} listed ({} rows), {missing} missing",
        stored.acknowledged.len(),
        listed.len(),
        rows
    );

    let server_errors: u64 = stored
        .statuses
        .iter()
        .chain(&checked.statuses)
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    let failed = server_errors > 0
        || missing > 0
        || rows != listed.len()
        || stored.transport_errors + checked.transport_errors > 0;
    if failed {
        eprintln!("FAILED: {server_errors} server errors, {missing} acknowledged visits missing, transport errors {}", stored.transport_errors + checked.transport_errors);
        std::process::exit(1);
    }
}
