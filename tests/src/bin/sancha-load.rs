//! Load generator: starts the real `sancha serve --demo` binary on a fresh
//! data directory, then sends realistic visits (variants of the clean
//! example built from each household's roster, about 70% clean) over HTTP
//! from C concurrent connections for T seconds, then the same load against
//! `POST /visits/validate` (same parsing and checks, no storage), then reads
//! every acknowledged visit back.
//!
//! With `--hostile`, a third run sends the same good visits while other
//! clients send malformed JSON, 20 MiB bodies, invalid visits, and headers
//! and bodies one byte a second; it prints the good throughput as a share of
//! the first run's, what the bad requests got, and the server's memory.
//!
//! sancha-load [--server target/release/sancha] [--connections 64] [--seconds 10]
//!             [--database-url postgres://…] [--hostile]
//! sancha-load --url http://HOST:PORT …   (servers already running on the demo county,
//!             behind a load balancer say: no server is started, no CPU is measured)
//!
//! Exits non-zero on any 5xx, on a transport error, or when an acknowledged
//! visit cannot be read back.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sancha_tests::{list_all, made_apart, visit_from_roster, ServerProcess};
use serde_json::{json, Value};

struct Args {
    server: String,
    connections: usize,
    seconds: u64,
    database_url: Option<String>,
    url: Option<String>,
    hostile: bool,
}

fn args() -> Args {
    let mut a = Args {
        server: "target/release/sancha".into(),
        connections: 64,
        seconds: 10,
        database_url: None,
        url: None,
        hostile: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--hostile" {
            a.hostile = true;
            continue;
        }
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => a.server = value,
            "--connections" => a.connections = value.parse().expect("--connections N"),
            "--seconds" => a.seconds = value.parse().expect("--seconds N"),
            "--database-url" => a.database_url = Some(value),
            "--url" => a.url = Some(value),
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
    // The bodies are built before the clock starts, so the clients spend the
    // shared cores on HTTP, not on building JSON.
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    // Each body is a visit of its own (time, photo, signature, answers), as
    // honest visits are: the integrity rules look for them and find nothing.
    let bodies: Vec<Vec<u8>> = (0..4096)
        .map(|n| {
            let h = &households[(rng.next() % households.len() as u64) as usize];
            let mut v = visit_from_roster(template, h, rng.next());
            made_apart(&mut v, n);
            serde_json::to_vec(&v).expect("JSON")
        })
        .collect();
    let bodies = &bodies;
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
                    let body = &bodies[(rng.next() % bodies.len() as u64) as usize];
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
                        .set("Content-Type", "application/json")
                        .send_bytes(body);
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

/// What the bad clients got, by kind of request.
#[derive(Default)]
struct Hostile {
    statuses: BTreeMap<&'static str, BTreeMap<u16, u64>>,
    /// Requests the server cut off before answering (a 20 MiB body refused
    /// while it was still being sent, a slow sender timed out).
    cut_off: BTreeMap<&'static str, u64>,
    /// Connections the slow senders opened.
    opened: BTreeMap<&'static str, u64>,
}

/// Bad clients, until `stop`: two each of malformed JSON and invalid visits
/// at up to 50 requests/s each, two of 20 MiB bodies at up to 2/s each
/// (about 200/s together, under a tenth of the good traffic), and eight slow
/// senders (four trickling
/// headers, four trickling a body, a byte a second) that reconnect whenever
/// the server hangs up.
fn hostile(
    base: &str,
    token: &str,
    household: &Value,
    template: &Value,
    stop: &AtomicBool,
) -> Hostile {
    let total = Mutex::new(Hostile::default());
    let addr = base.trim_start_matches("http://");
    let mut invalid = visit_from_roster(template, household, 1);
    invalid["members"][0]["id_number"] = "210922196805120118".into(); // bad check digit
    let invalid = invalid.to_string().into_bytes();
    let huge = vec![b' '; 20 << 20];
    let record = |kind: &'static str, status: Option<u16>| {
        let mut t = total.lock().expect("tally");
        match status {
            Some(code) => *t.statuses.entry(kind).or_default().entry(code).or_default() += 1,
            None => *t.cut_off.entry(kind).or_default() += 1,
        }
    };
    std::thread::scope(|s| {
        let bodies: [(&'static str, &[u8], u64); 3] = [
            ("malformed JSON", b"{\"schema_version\": ", 20),
            ("20 MiB body", &huge, 500),
            ("invalid visit", &invalid, 20),
        ];
        for (kind, body, pause_ms) in bodies {
            for _ in 0..2 {
                let record = &record;
                s.spawn(move || {
                    let agent = ureq::AgentBuilder::new()
                        .timeout(Duration::from_secs(30))
                        .build();
                    while !stop.load(Ordering::Relaxed) {
                        let sent = agent
                            .put(&format!("{base}/api/v1/visits/{}", uuid::Uuid::new_v4()))
                            .set("Authorization", &format!("Bearer {token}"))
                            .set("Content-Type", "application/json")
                            .send_bytes(body);
                        record(
                            kind,
                            match sent {
                                Ok(r) | Err(ureq::Error::Status(_, r)) => Some(r.status()),
                                Err(_) => None,
                            },
                        );
                        std::thread::sleep(Duration::from_millis(pause_ms));
                    }
                });
            }
        }
        for slow_body in [false, true] {
            for _ in 0..4 {
                let (record, total) = (&record, &total);
                s.spawn(move || {
                    let kind = if slow_body { "body 1 byte/s" } else { "headers 1 byte/s" };
                    let head = format!(
                        "PUT /api/v1/visits/{} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
                         Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
                        uuid::Uuid::new_v4()
                    );
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(mut c) = TcpStream::connect(addr) else { return };
                        *total.lock().expect("tally").opened.entry(kind).or_default() += 1;
                        let mut trickle: Box<dyn Iterator<Item = u8>> = if slow_body {
                            if c.write_all(head.as_bytes()).is_err() {
                                continue;
                            }
                            Box::new(std::iter::repeat(b' '))
                        } else {
                            Box::new(head.clone().into_bytes().into_iter())
                        };
                        loop {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                            let Some(b) = trickle.next() else { break };
                            if c.write_all(&[b]).is_err() {
                                record(kind, None);
                                break;
                            }
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                });
            }
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

fn report(name: &str, t: &mut Tally, seconds: u64, server_cpu: Option<f64>) -> f64 {
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
    if let Some(cpu) = server_cpu.filter(|_| ok > 0) {
        println!(
            "  server CPU {cpu:.1} s, {:.3} ms per accepted visit",
            cpu * 1000.0 / ok as f64
        );
    }
    rate
}

/// `f` and the server CPU seconds it took.
fn timed<T>(server: Option<&ServerProcess>, f: impl FnOnce() -> T) -> (T, Option<f64>) {
    let before = server.and_then(ServerProcess::cpu_seconds);
    let out = f();
    let cpu = server
        .and_then(ServerProcess::cpu_seconds)
        .zip(before)
        .map(|(after, before)| after - before);
    (out, cpu)
}

fn main() {
    let a = args();
    let dir = tempfile::tempdir().expect("temp dir");
    let server = a.url.is_none().then(|| {
        ServerProcess::start(
            std::path::Path::new(&a.server),
            dir.path(),
            a.database_url.as_deref(),
            &["--demo"],
        )
    });
    let base = match (&a.url, &server) {
        (Some(url), _) => url.clone(),
        (None, Some(s)) => s.base.clone(),
        (None, None) => unreachable!("a server is started when no --url is given"),
    };
    let memory = || server.as_ref().and_then(ServerProcess::memory_kib);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let token = agent
        .post(&format!("{}/api/v1/auth/token", base))
        .send_json(json!({"username": "admin", "password": "sancha-demo"}))
        .expect("sign in")
        .into_json::<Value>()
        .expect("token")["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let auth = format!("Bearer {token}");
    let households = list_all(&base, &auth, "/api/v1/households");
    let template: Value =
        serde_json::from_str(include_str!("../../../api-spec/examples/visit-clean.json"))
            .expect("example");
    println!(
        "sancha-load: {} households, {} connections, {} s, {} backend",
        households.len(),
        a.connections,
        a.seconds,
        match (&a.url, &a.database_url) {
            (Some(url), _) => url.as_str(),
            (None, Some(_)) => "postgres",
            (None, None) => "sqlite",
        }
    );

    let (mut stored, cpu) = timed(server.as_ref(), || {
        run(&base, &token, &template, &households, &a, false)
    });
    let store_rate = report("PUT /visits (stored)", &mut stored, a.seconds, cpu);
    let memory_after_good = memory();
    let (mut checked, cpu) = timed(server.as_ref(), || {
        run(&base, &token, &template, &households, &a, true)
    });
    let validate_rate = report(
        "POST /visits/validate (no storage)",
        &mut checked,
        a.seconds,
        cpu,
    );
    println!(
        "storage costs {:.2}x: stored/validate = {:.2}",
        validate_rate / store_rate.max(1.0),
        store_rate / validate_rate.max(1.0)
    );

    let mut under_attack = Tally::default();
    let mut hostile_5xx: u64 = 0;
    if a.hostile {
        let stop = AtomicBool::new(false);
        let peak_kib = std::sync::atomic::AtomicU64::new(0);
        let bad = std::thread::scope(|s| {
            let bad = s.spawn(|| hostile(&base, &token, &households[0], &template, &stop));
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    if let Some((rss, _)) = memory() {
                        peak_kib.fetch_max(rss, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
            under_attack = run(&base, &token, &template, &households, &a, false);
            stop.store(true, Ordering::Relaxed);
            bad.join().expect("hostile clients")
        });
        let rate = report(
            "PUT /visits (stored) among bad clients",
            &mut under_attack,
            a.seconds,
            None,
        );
        println!(
            "good throughput among bad clients: {:.0}% of the clean run",
            100.0 * rate / store_rate.max(1.0)
        );
        for (kind, statuses) in &bad.statuses {
            println!(
                "  {kind}: statuses {statuses:?}, cut off {}",
                bad.cut_off.get(kind).unwrap_or(&0)
            );
        }
        for (kind, n) in &bad.opened {
            println!(
                "  {kind}: {n} connections, {} cut off by the server",
                bad.cut_off.get(kind).unwrap_or(&0)
            );
        }
        hostile_5xx = bad
            .statuses
            .values()
            .flatten()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum();
        if let Some((rss, _)) = memory_after_good {
            println!(
                "server memory: {} MiB resident after the clean run, {} MiB at most among bad clients",
                rss / 1024,
                peak_kib.load(Ordering::Relaxed) / 1024
            );
        }
    }

    // Every acknowledged visit is stored, exactly once.
    let visits = list_all(&base, &auth, "/api/v1/visits");
    let rows = visits.len();
    let listed: HashSet<String> = visits
        .iter()
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let acknowledged = stored.acknowledged.len() + under_attack.acknowledged.len();
    let missing = stored
        .acknowledged
        .iter()
        .chain(&under_attack.acknowledged)
        .filter(|id| !listed.contains(*id))
        .count();
    println!(
        "read back: {} acknowledged, {} listed ({} rows), {missing} missing",
        acknowledged,
        listed.len(),
        rows
    );

    let server_errors: u64 = hostile_5xx
        + stored
            .statuses
            .iter()
            .chain(&checked.statuses)
            .chain(&under_attack.statuses)
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum::<u64>();
    let transport_errors =
        stored.transport_errors + checked.transport_errors + under_attack.transport_errors;
    let failed = server_errors > 0 || missing > 0 || rows != listed.len() || transport_errors > 0;
    if failed {
        eprintln!("FAILED: {server_errors} server errors, {missing} acknowledged visits missing, transport errors {transport_errors}");
        std::process::exit(1);
    }
}
