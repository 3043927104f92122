//! End-to-end test harness: the real app (the same `sancha_server::server`
//! that `main` runs) on a random port with its own fresh database — a temp
//! SQLite file, or a new PostgreSQL database when `SANCHA_TEST_DATABASE_URL`
//! points at a server where the test user may create databases.

use std::net::TcpListener;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use sancha_server::db::households::{self, Actor};
use sancha_server::db::{regions, users};
use sancha_server::domain::household::{Household, HouseholdInput};
use sancha_server::domain::{RegionCode, Role};
use sancha_server::{AppState, Config};
use serde_json::Value;

pub use serde_json::json;

pub const PASSWORD: &str = "correct-horse-battery";

/// Which backend a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server for tests, if configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("SANCHA_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// The backend of this run: PostgreSQL when `SANCHA_TEST_DATABASE_URL` is
/// set (CI's second pass), else SQLite. The whole suite runs on it.
pub fn default_backend() -> Backend {
    if postgres_admin_url().is_some() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The S3 server for tests (SeaweedFS in CI), from `SANCHA_TEST_S3_URL`
/// (`s3://BUCKET?endpoint=http://HOST:PORT`, credentials in `AWS_ACCESS_KEY_ID`
/// and `AWS_SECRET_ACCESS_KEY`), with a fresh key prefix, so tests sharing the
/// bucket never see each other's images.
pub fn fresh_s3_url() -> Option<String> {
    let url = std::env::var("SANCHA_TEST_S3_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let rest = url
        .strip_prefix("s3://")
        .expect("SANCHA_TEST_S3_URL is an s3:// URL");
    let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
    Some(format!(
        "s3://{bucket}/test-{}?{query}",
        uuid::Uuid::new_v4().simple()
    ))
}

/// [`fresh_s3_url`] for a test that needs the S3 server: `None` (the caller
/// returns, having said it skipped) where none is configured, as with
/// `cargo test` on a fresh machine; a failure under `CI`, which starts one.
pub fn require_s3(test: &str) -> Option<String> {
    let url = fresh_s3_url();
    if url.is_none() {
        assert!(
            std::env::var("CI").is_err(),
            "{test}: SANCHA_TEST_S3_URL is not set under CI"
        );
        eprintln!(
            "skipped: {test} needs an S3 server (SANCHA_TEST_S3_URL; .ci/run starts SeaweedFS)"
        );
    }
    url
}

/// Where this run's test apps keep images: in the S3 server when
/// `SANCHA_TEST_BLOB_STORE=s3` (CI's PostgreSQL pass), else under the data dir.
pub fn default_blob_url() -> Option<String> {
    match std::env::var("SANCHA_TEST_BLOB_STORE").as_deref() {
        Ok("s3") => {
            Some(fresh_s3_url().expect("SANCHA_TEST_BLOB_STORE=s3 needs SANCHA_TEST_S3_URL"))
        }
        _ => None,
    }
}

/// A fresh PostgreSQL database, dropped (forcibly) when this is dropped.
pub struct PgDatabase {
    pub admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> PgDatabase {
        let name = format!("sancha_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = diesel::PgConnection::establish(admin_url)
            .expect("connect to SANCHA_TEST_DATABASE_URL");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create test database");
        let base = admin_url.split('?').next().unwrap_or(admin_url);
        let url = format!(
            "{}/{name}",
            &base[..base.rfind('/').expect("a database path in the URL")]
        );
        PgDatabase {
            admin_url: admin_url.to_string(),
            name,
            url,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A running server with its own database.
pub struct TestApp {
    pub base: String,
    pub state: web::Data<AppState>,
    config: Config,
    pub backend: Backend,
    agent: ureq::Agent,
    // Dropped last: the database outlives the handles above.
    _pg: Option<PgDatabase>,
    pub dir: tempfile::TempDir,
}

impl TestApp {
    /// On this run's backend ([`default_backend`]).
    pub fn spawn() -> TestApp {
        TestApp::spawn_on(default_backend())
    }

    pub fn spawn_on(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, default_blob_url())
    }

    /// On `backend`, with the images in `blob_url` (`--blob-url`; `None`: the data dir).
    pub fn spawn_with(backend: Backend, blob_url: Option<String>) -> TestApp {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create(
                &postgres_admin_url().expect("SANCHA_TEST_DATABASE_URL"),
            )),
        };
        let url = pg.as_ref().map(|p| p.url.clone());
        TestApp::spawn_on_database(pg, url, blob_url)
    }

    /// On `pg` (or SQLite when `None`), reached through `database_url`, which
    /// may name it differently (several hosts, `postgresql://`).
    pub fn spawn_on_database(
        pg: Option<PgDatabase>,
        database_url: Option<String>,
        blob_url: Option<String>,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend = if pg.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url,
            blob_url,
            jwt_secret: Some("test-secret-test-secret-test-secret-0123".into()),
            jwt_previous_secret: None,
            workers: Some(1),
            rules_file: None,
            public_base_url: PUBLIC_BASE_URL.into(),
            card_font: None,
            enrolment_ttl_hours: 24,
        };
        let state = AppState::open(&config).expect("open app state");
        TestApp::serve(state, config, backend, pg, dir)
    }

    fn serve(
        state: AppState,
        config: Config,
        backend: Backend,
        pg: Option<PgDatabase>,
        dir: tempfile::TempDir,
    ) -> TestApp {
        let state = web::Data::new(state);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let served = state.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                sancha_server::server(listener, served, Some(1))
                    .expect("server")
                    .await
                    .expect("server ran");
            })
        });
        let agent = ureq::AgentBuilder::new()
            .timeout(std::time::Duration::from_secs(60))
            .build();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            state,
            config,
            backend,
            agent,
            _pg: pg,
            dir,
        }
    }

    /// A second server on this app's database, as another replica behind the
    /// same load balancer: its own process state (caches, limits), the same
    /// data. It trusts what it read about a phone's revocation for
    /// `revocation_ttl`.
    pub fn replica(&self, revocation_ttl: std::time::Duration) -> TestApp {
        let mut state = AppState::open(&self.config).expect("open the replica's state");
        state.revocations =
            std::sync::Arc::new(sancha_server::auth::Revocations::with_ttl(revocation_ttl));
        let unused = tempfile::tempdir().expect("temp dir");
        TestApp::serve(state, self.config.clone(), self.backend, None, unused)
    }

    /// A second server on this app's database that keeps its images in
    /// `blob_url` instead (as after `sancha blobs migrate`).
    pub fn replica_on_blobs(&self, blob_url: &str) -> TestApp {
        let config = Config {
            blob_url: Some(blob_url.into()),
            ..self.config.clone()
        };
        let state = AppState::open(&config).expect("open the replica's state");
        let unused = tempfile::tempdir().expect("temp dir");
        TestApp::serve(state, config, self.backend, None, unused)
    }

    /// The example regions and a village office user `office` of the
    /// example village, signed in: the usual start of a roster test.
    pub fn with_office_on(backend: Backend) -> (TestApp, String) {
        let app = TestApp::spawn_on(backend);
        app.seed_example_regions();
        app.seed_user("office", Role::VillageOffice, VILLAGE);
        let token = app.token("office");
        (app, token)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The configuration this app was opened with (for a `sancha` process beside it).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The PostgreSQL database's URL (`None` on SQLite, whose file is in
    /// [`TestApp::dir`]): for a `sancha` process on the same database.
    pub fn database_url(&self) -> Option<&str> {
        self._pg.as_ref().map(|p| p.url.as_str())
    }

    /// Registers regions straight in the database (city, county, town, village of the example).
    pub fn seed_regions(&self, codes: &[(&str, &str)]) {
        self.state
            .db
            .write_blocking(|c| {
                for (code, name) in codes {
                    regions::upsert(
                        c,
                        &RegionCode::parse(code).expect("region code"),
                        name,
                        "test",
                    )?;
                }
                Ok(())
            })
            .expect("seed regions");
    }

    /// The regions of `shared/examples/regions.json` plus a second county for out-of-scope checks.
    pub fn seed_example_regions(&self) {
        let mut codes: Vec<(String, String)> = serde_json::from_str::<Vec<Value>>(EXAMPLE_REGIONS)
            .expect("regions example")
            .into_iter()
            .map(|r| {
                (
                    r["code"].as_str().unwrap_or_default().to_string(),
                    r["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        codes.push((OTHER_COUNTY.into(), "阜新蒙古族自治县".into()));
        codes.push((OTHER_TOWN.into(), "某镇".into()));
        codes.push((OTHER_VILLAGE.into(), "某村".into()));
        let refs: Vec<(&str, &str)> = codes
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        self.seed_regions(&refs);
    }

    /// Creates a user straight in the database.
    pub fn seed_user(&self, username: &str, role: Role, scope: &str) {
        let new = users::NewUser {
            username: username.into(),
            password_hash: sancha_server::auth::hash_password(PASSWORD).expect("hash"),
            role,
            scope: RegionCode::parse(scope).expect("scope"),
        };
        self.state
            .db
            .write_blocking(|c| users::create(c, new, "test"))
            .expect("seed user");
    }

    /// Creates a household straight in the database; returns its id.
    pub fn seed_household(&self, input: HouseholdInput) -> String {
        self.state
            .db
            .write_blocking(|c| {
                let h: Household = households::check(c, input, sancha_server::clock::today_cn())?;
                households::insert(c, &h, Actor("test")).map(|r| r.id)
            })
            .expect("seed household")
    }

    /// Signs in and returns the access token.
    pub fn token(&self, username: &str) -> String {
        let r = self.post(
            "/api/v1/auth/token",
            None,
            &json!({"username": username, "password": PASSWORD}),
        );
        assert_eq!(r.status, 200, "sign-in of {username}: {}", r.body);
        r.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A GET whose body is binary (a PDF, a PNG, a ZIP): status, content type, bytes.
    pub fn get_bytes(&self, path: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
        let mut req = self.agent.get(&self.url(path));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let r = match req.call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let (status, content_type) = (r.status(), r.content_type().to_string());
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).expect("read body");
        (status, content_type, bytes)
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send("GET", path, token, &[], None)
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        self.send("POST", path, token, &[], Some(Body::Json(body)))
    }

    pub fn put(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Resp {
        self.send("PUT", path, token, headers, Some(Body::Json(body)))
    }

    /// Any request; `Body::Raw` sends bytes with the given content type.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Body<'_>>,
    ) -> Resp {
        let mut req = self.agent.request(method, &self.url(path));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            None => req.call(),
            Some(Body::Json(v)) => req.send_json(v),
            Some(Body::Raw(content_type, bytes)) => {
                let req = if content_type.is_empty() {
                    req
                } else {
                    req.set("Content-Type", content_type)
                };
                req.send_bytes(bytes)
            }
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: transport error {e}"),
        };
        Resp::read(resp)
    }
}

pub enum Body<'a> {
    Json(&'a Value),
    Raw(&'a str, &'a [u8]),
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub body: Value,
}

impl Resp {
    fn read(r: ureq::Response) -> Resp {
        let status = r.status();
        let content_type = r.header("content-type").unwrap_or_default().to_string();
        let headers = r
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = r.header(&n).unwrap_or_default().to_string();
                (n, v)
            })
            .collect();
        let text = r.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            headers,
            text,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an RFC 9457 problem with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.text);
        assert!(
            self.content_type.starts_with("application/problem+json"),
            "content-type {}",
            self.content_type
        );
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["code"], code, "body: {}", self.text);
        assert!(self.body["title"].as_str().is_some_and(|t| !t.is_empty()));
    }

    /// The (field, code) pairs of a problem's `errors`.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_string(),
                            e["code"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub const EXAMPLE_HOUSEHOLD: &str = include_str!("../../api-spec/examples/household.json");
pub const EXAMPLE_REGIONS: &str = include_str!("../../api-spec/examples/regions.json");
/// The example's village, town and county.
pub const VILLAGE: &str = "210922201203";
pub const TOWN: &str = "210922201";
pub const COUNTY: &str = "210922";
pub const CITY: &str = "2109";
/// What the test servers' card QR codes point at.
pub const PUBLIC_BASE_URL: &str = "https://sancha.example.cn";
/// A county, town and village of the same city outside the example county.
pub const OTHER_COUNTY: &str = "210921000000";
pub const OTHER_TOWN: &str = "210921100000";
pub const OTHER_VILLAGE: &str = "210921100201";

/// The example household as JSON.
pub fn example_household() -> Value {
    serde_json::from_str(EXAMPLE_HOUSEHOLD).expect("household example")
}

/// The example household with another household code and village.
pub fn household_in(village: &str, code: &str) -> Value {
    let mut h = example_household();
    h["division_code"] = village.into();
    h["household_code"] = code.into();
    h
}

pub fn input(v: &Value) -> HouseholdInput {
    serde_json::from_value(v.clone()).expect("household input")
}

/// Lower-case hex SHA-256, as blobs are addressed.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A small PNG, different for each `seed`, and its SHA-256.
pub fn png(seed: u8) -> (Vec<u8>, String) {
    let img = image::RgbImage::from_pixel(64, 48, image::Rgb([seed, 120, 40]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    let bytes = out.into_inner();
    let sha = sha256_hex(&bytes);
    (bytes, sha)
}

/// Every QR code rqrr finds in an image, decoded.
pub fn decode_qr_codes(img: &image::GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// The QR codes of an A4 page of four A6 cards, each card's quarter decoded
/// on its own, as a person scans one card at a time.
pub fn decode_a6x4_page(page: &image::GrayImage) -> Vec<String> {
    let (w, h) = (page.width() / 2, page.height() / 2);
    [(0, 0), (w, 0), (0, h), (w, h)]
        .into_iter()
        .flat_map(|(x, y)| decode_qr_codes(&image::imageops::crop_imm(page, x, y, w, h).to_image()))
        .collect()
}

/// Whether poppler's command-line tools are installed (CI installs them).
pub fn have_poppler() -> bool {
    std::process::Command::new("pdftoppm")
        .arg("-v")
        .output()
        .is_ok()
}

/// Rasterises every page of a PDF at `dpi` with pdftoppm.
pub fn rasterise(pdf: &[u8], dpi: u32) -> Vec<image::GrayImage> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray", "-png"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .output()
        .expect("run pdftoppm");
    assert!(
        out.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list pages")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|p| image::open(p).expect("page png").to_luma8())
        .collect()
}

/// The text of a PDF, as pdftotext extracts it.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("in.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `application/x-www-form-urlencoded`, as a browser encodes a form.
pub fn form_urlencode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An 18-character resident ID from its first 17 digits, with its ISO 7064
/// MOD 11-2 check character.
pub fn id_with_check(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", b"10X98765432"[(sum % 11) as usize] as char)
}

/// Gives the example household's three members (and, when given, the same
/// members in a visit of it) ID numbers of their own, distinct for each `n`
/// below 100, so that many households can be seeded without
/// `record.duplicate_id`.
pub fn distinct_ids(n: u32, household: &mut Value, visit: Option<&mut Value>) {
    let births = ["19680512", "19700308", "19950920"];
    let ids: Vec<String> = (0..3)
        .map(|m| id_with_check(&format!("210922{}{n:02}{}", births[m], m + 1)))
        .collect();
    for (m, id) in ids.iter().enumerate() {
        household["members"][m]["id_number"] = id.as_str().into();
    }
    if let Some(v) = visit {
        for (m, id) in ids.iter().enumerate() {
            v["members"][m]["id_number"] = id.as_str().into();
        }
    }
}

/// Makes a visit built on the clean example one of its own, as an honest
/// enumerator's `n`th visit would be: in a slot of its own (sixteen a day,
/// 45 minutes apart from 09:00, the days going back from the example's),
/// with its own photos and respondent's signature, and a wage a little
/// higher. Without this, visits of many households by one user all share
/// the example's time, photo, signature and answers, and the integrity
/// rules (`process.overlap`, `process.photo_reused`, …) rightly flag them.
pub fn made_apart(v: &mut Value, n: u32) {
    let shift = chrono::Duration::minutes(i64::from(n % 16) * 45)
        - chrono::Duration::days(i64::from(n / 16));
    let later = |t: &mut Value| {
        if let Some(at) = t
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        {
            *t = (at + shift).to_rfc3339().into();
        }
    };
    later(&mut v["timing"]["started_at"]);
    later(&mut v["timing"]["ended_at"]);
    later(&mut v["geo"]["fix_at"]);
    for p in v["photos"].as_array_mut().into_iter().flatten() {
        later(&mut p["taken_at"]);
        p["sha256"] = sha256_hex(format!("photo {n} {}", p["kind"]).as_bytes()).into();
    }
    for s in v["signatures"].as_array_mut().into_iter().flatten() {
        later(&mut s["signed_at"]);
        if s["role"] == "respondent" {
            s["image_sha256"] = sha256_hex(format!("signature {n}").as_bytes()).into();
        }
    }
    if let Some(gross) = v["income"]["wage"][0]["gross_fen"].as_i64() {
        v["income"]["wage"][0]["gross_fen"] = (gross + i64::from(n) * 10).into();
    }
}

/// A visit of `h` (a roster entry) built on the clean example: its own
/// members and village; `variant` > 6 of 10 adds a problem (a finding).
pub fn visit_from_roster(template: &Value, h: &Value, variant: u64) -> Value {
    let mut v = template.clone();
    v["household_id"] = h["id"].clone();
    v["household"]["division_code"] = h["division_code"].clone();
    v["household"]["group_name"] = h["group_name"].clone();
    v["household"]["registered_year"] = h["registered_year"].clone();
    v["household"]["poverty_status"] = h["poverty_status"].clone();
    v["household"]["exit_year"] = h["exit_year"].clone();
    v["household"]["attribute"] = h["attribute"].clone();
    v["household"]["main_cause"] = h["main_cause"].clone();
    v["household"]["other_causes"] = h["other_causes"].clone();
    let roster = h["members"].as_array().cloned().unwrap_or_default();
    v["household"]["registered_member_count"] = roster.len().into();
    let shape = template["members"].as_array().cloned().unwrap_or_default();
    let members: Vec<Value> = roster
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut x = shape[i.min(shape.len() - 1)].clone();
            for key in [
                "member_no",
                "name",
                "id_type",
                "id_number",
                "relation",
                "sex",
                "birth_date",
            ] {
                x[key] = m[key].clone();
            }
            x
        })
        .collect();
    v["members"] = members.into();
    v["income"]["wage"][0]["member_no"] = 1.into();
    match variant % 10 {
        7 => v["quality"]["water"]["quantity_lpd"] = 30.into(),
        8 => v["income"]["operating"][0]["gross_fen"] = 10_000.into(),
        9 => v["revisit"]["answers"][0]["value"] = "dissatisfied".into(),
        _ => {}
    }
    v
}

/// A `sancha serve` process on a data directory, killed when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `binary serve --bind 127.0.0.1:0 [extra]` and waits for its address
    /// (`http://…`, or `https://…` with `--tls-cert`).
    pub fn start(
        binary: &std::path::Path,
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        extra: &[&str],
    ) -> ServerProcess {
        ServerProcess::start_env(binary, data_dir, database_url, extra, &[])
    }

    /// [`ServerProcess::start`] with these environment variables set.
    pub fn start_env(
        binary: &std::path::Path,
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> ServerProcess {
        use std::io::BufRead;
        let mut cmd = std::process::Command::new(binary);
        cmd.envs(env.iter().copied())
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra);
        match database_url {
            Some(url) => cmd.env("DATABASE_URL", url),
            None => cmd.env_remove("DATABASE_URL"),
        };
        let mut child = cmd
            .env(
                "RUST_LOG",
                std::env::var("SANCHA_LOAD_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server printed its address")
                .expect("read stdout");
            if let Some(at) = line.find("http://").or_else(|| line.find("https://")) {
                break line[at..]
                    .split_whitespace()
                    .next()
                    .expect("an address")
                    .to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, base }
    }

    /// The server's resident memory now and at its peak, in KiB (Linux).
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// The CPU time the server has used so far, user plus system, in seconds
    /// (Linux; `/proc` counts in USER_HZ, which is 100).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // The fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(ticks as f64 / 100.0)
    }

    /// `kill -9`.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `sancha` binary cargo built beside this test's executable.
pub fn server_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(|p| p.parent())
        .expect("target/<profile>");
    dir.join(if cfg!(windows) {
        "sancha.exe"
    } else {
        "sancha"
    })
}

/// Every item of a paged list endpoint (`path` without a query), following
/// `next_cursor` to the end, over a real server's address.
pub fn list_all(base: &str, auth: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = ureq::get(&format!("{base}{path}?limit=500&cursor={cursor}"))
            .set("Authorization", auth)
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .into_json()
            .expect("a JSON page");
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        cursor = page["next_cursor"].as_str().unwrap_or_default().to_string();
        if !page["has_more"].as_bool().unwrap_or(false) {
            return items;
        }
    }
}
