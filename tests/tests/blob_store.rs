//! Where photos and signatures live: files under the data dir, or an S3
//! bucket every replica shares (SeaweedFS in CI, `SANCHA_TEST_S3_URL`). A
//! store that is down answers 503 and never costs a visit; `sancha blobs
//! migrate` moves the images from one store to another; two `sancha serve`
//! processes on one PostgreSQL and one bucket serve each other's photos.

use sancha_server::blobs::{BlobStore, BlobUrl};
use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

struct Field {
    app: TestApp,
    enumerator: String,
    household_id: String,
}

fn field(blob_url: Option<String>) -> Field {
    let app = TestApp::spawn_with(default_backend(), blob_url);
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
    fn upload(&self, bytes: &[u8], sha: &str) -> Resp {
        self.app.send(
            "PUT",
            &format!("/api/v1/blobs/{sha}"),
            Some(&self.enumerator),
            &[],
            Some(Body::Raw("image/png", bytes)),
        )
    }

    /// A clean visit whose first photo is `sha`, sent once.
    fn visit_with_photo(&self, sha: &str) -> Resp {
        let mut v: Value =
            serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
        v["household_id"] = self.household_id.clone().into();
        v["photos"][0]["sha256"] = sha.into();
        let id = uuid::Uuid::new_v4();
        self.app.put(
            &format!("/api/v1/visits/{id}"),
            Some(&self.enumerator),
            &[],
            &v,
        )
    }
}

fn open(url: &str) -> std::sync::Arc<dyn BlobStore> {
    BlobUrl::parse(Some(url), std::path::Path::new("/nonexistent"))
        .and_then(|u| u.open())
        .expect("open the blob store")
}

/// A PNG of noise, several hundred KiB: read back in many chunks.
fn big_png() -> (Vec<u8>, String) {
    let mut seed = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(600, 400, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    let bytes = out.into_inner();
    let sha = sha256_hex(&bytes);
    (bytes, sha)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn images_are_stored_in_the_s3_bucket_and_read_back_whole() {
    let Some(url) = require_s3("images_are_stored_in_the_s3_bucket_and_read_back_whole") else {
        return;
    };
    let f = field(Some(url.clone()));
    let (bytes, sha) = big_png();
    assert!(bytes.len() > 300 << 10, "{} bytes", bytes.len());
    assert_eq!(f.upload(&bytes, &sha).status, 201);
    assert_eq!(
        f.upload(&bytes, &sha).status,
        200,
        "a second upload is a success"
    );
    assert_eq!(
        f.visit_with_photo(&sha).status,
        201,
        "the visit that makes it readable"
    );

    let (status, content_type, got) = f
        .app
        .get_bytes(&format!("/api/v1/blobs/{sha}"), Some(&f.enumerator));
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert!(
        got == bytes,
        "the image comes back byte for byte ({} of {} bytes)",
        got.len(),
        bytes.len()
    );
    let (status, content_type, thumb) = f.app.get_bytes(
        &format!("/api/v1/blobs/{sha}/thumbnail"),
        Some(&f.enumerator),
    );
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"));
    let thumb = image::load_from_memory(&thumb).expect("a JPEG thumbnail");
    assert_eq!((thumb.width(), thumb.height()), (320, 213));

    // The bytes are in the bucket under the digest, not in the data dir.
    let bucket = open(&url);
    assert!(bucket.exists(&sha).unwrap() && bucket.exists(&format!("{sha}.thumb.jpg")).unwrap());
    assert!(!bucket.exists(&"0".repeat(64)).unwrap());
    assert!(
        !f.app.dir.path().join("blobs").exists(),
        "nothing was written under the data dir"
    );
    assert_eq!(f.app.get("/readyz", None).status, 200);
    // Never uploaded: 404 from the API (no row), and nothing in the bucket.
    let (_, other) = png(99);
    f.app
        .get(&format!("/api/v1/blobs/{other}"), Some(&f.enumerator))
        .assert_problem(404, "not_found");
}

#[test]
fn a_broken_file_store_answers_503_and_the_visit_is_still_taken() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the store's directory should be: every write fails.
    let blocked = dir.path().join("not-a-dir");
    std::fs::write(&blocked, b"").unwrap();
    let f = field(Some(format!("file://{}/blobs", blocked.display())));
    assert_store_down(&f);
}

#[test]
fn an_s3_store_that_is_down_answers_503_and_the_visit_is_still_taken() {
    if require_s3("an_s3_store_that_is_down_answers_503_and_the_visit_is_still_taken").is_none() {
        return;
    }
    let url = format!("s3://blobs?endpoint=http://127.0.0.1:{}", closed_port());
    let f = field(Some(url));
    assert_store_down(&f);
    // An image whose row exists but whose bytes cannot be fetched now: 503, not 404 or 500.
    let (_, sha) = png(5);
    let visit = f.visit_with_photo(&sha);
    assert_eq!(visit.status, 201, "{}", visit.text);
    let key = sha.clone();
    f.app
        .state
        .db
        .write_blocking(move |c| sancha_server::db::visits::insert_blob(c, &key, "image/png", 10))
        .unwrap();
    let r = f
        .app
        .get(&format!("/api/v1/blobs/{sha}"), Some(&f.enumerator));
    r.assert_problem(503, "unavailable");
    assert_eq!(r.header("retry-after"), Some("5"));
}

fn assert_store_down(f: &Field) {
    let (bytes, sha) = png(4);
    let up = f.upload(&bytes, &sha);
    up.assert_problem(503, "unavailable");
    assert_eq!(up.header("retry-after"), Some("5"));
    let ready = f.app.get("/readyz", None);
    ready.assert_problem(503, "unavailable");
    assert_eq!(ready.body["detail"], "图片存储不可用");
    // The phone keeps the photo and sends the visit: it is stored, the photo listed as missing.
    let visit = f.visit_with_photo(&sha);
    assert_eq!(visit.status, 201, "{}", visit.text);
    assert!(
        visit.body["missing_blobs"]
            .as_array()
            .unwrap()
            .contains(&sha.into()),
        "{}",
        visit.text
    );
}

/// Uploads a small PNG per seed through the API, each with its visit; their digests.
fn upload_some(f: &Field, seeds: std::ops::Range<u8>) -> Vec<String> {
    seeds
        .map(|seed| {
            let (bytes, sha) = png(seed);
            assert_eq!(f.upload(&bytes, &sha).status, 201);
            assert_eq!(f.visit_with_photo(&sha).status, 201);
            sha
        })
        .collect()
}

#[test]
fn blobs_migrate_copies_each_image_once_checks_its_hash_and_resumes() {
    let f = field(None);
    let shas = upload_some(&f, 10..15);
    let source = f.app.state.blobs.clone();
    let data = f.app.dir.path().join("blobs");
    let file_of = |sha: &str| data.join(&sha[..2]).join(sha);
    // One image damaged on disk, one lost.
    std::fs::write(file_of(&shas[3]), b"bit rot").unwrap();
    std::fs::remove_file(file_of(&shas[4])).unwrap();

    let target_dir = tempfile::tempdir().unwrap();
    let target_url = format!("file://{}", target_dir.path().display());
    let target = open(&target_url);
    // A run that stopped after the first image.
    let first = source.get(&shas[0]).unwrap().unwrap();
    target
        .put(
            &format!("{}.thumb.jpg", shas[0]),
            &source
                .get(&format!("{}.thumb.jpg", shas[0]))
                .unwrap()
                .unwrap(),
            "image/jpeg",
        )
        .unwrap();
    target.put(&shas[0], &first, "image/png").unwrap();

    let mut seen = Vec::new();
    let report = sancha_server::migrate_blobs::migrate(
        &f.app.state.db,
        source.as_ref(),
        target.as_ref(),
        |done, total| seen.push((done, total)),
    )
    .unwrap();
    assert_eq!((report.copied, report.already), (2, 1), "{report}");
    let mut expect_corrupt = vec![shas[3].clone()];
    let mut expect_missing = vec![shas[4].clone()];
    expect_corrupt.sort();
    expect_missing.sort();
    assert_eq!(
        (report.corrupt.clone(), report.missing.clone()),
        (expect_corrupt, expect_missing)
    );
    assert_eq!(seen.last(), Some(&(5, 5)), "progress reaches the total");
    for sha in &shas[..3] {
        assert_eq!(target.get(sha).unwrap(), source.get(sha).unwrap(), "{sha}");
        assert!(target.exists(&format!("{sha}.thumb.jpg")).unwrap());
    }
    assert!(
        !target.exists(&shas[3]).unwrap(),
        "a damaged image is not copied"
    );

    // Again: nothing left to copy.
    let again = sancha_server::migrate_blobs::migrate(
        &f.app.state.db,
        source.as_ref(),
        target.as_ref(),
        |_, _| {},
    )
    .unwrap();
    assert_eq!((again.copied, again.already), (0, 3));

    // The command line says the same and fails while images could not be copied.
    let binary = server_binary();
    if !binary.exists() {
        assert!(
            std::env::var("CI").is_err(),
            "{} is not built under CI",
            binary.display()
        );
        return;
    }
    let mut cmd = std::process::Command::new(&binary);
    cmd.arg("--data-dir").arg(f.app.dir.path());
    match f.app.database_url() {
        Some(url) => cmd.env("DATABASE_URL", url),
        None => cmd.env_remove("DATABASE_URL"),
    };
    let out = cmd
        .env_remove("SANCHA_BLOB_URL")
        .args(["blobs", "migrate", "--to", &target_url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("已复制 0 张，目标已有 3 张，源中缺失 1 张，校验不符 1 张"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("校验不符 / hash mismatch: {}", shas[3])),
        "{stdout}"
    );
}

#[test]
fn images_migrated_from_the_data_dir_to_s3_are_served_from_s3() {
    let Some(url) = require_s3("images_migrated_from_the_data_dir_to_s3_are_served_from_s3") else {
        return;
    };
    let f = field(None);
    let shas = upload_some(&f, 20..23);
    let target = open(&url);
    let report = sancha_server::migrate_blobs::migrate(
        &f.app.state.db,
        f.app.state.blobs.as_ref(),
        target.as_ref(),
        |_, _| {},
    )
    .unwrap();
    assert_eq!(
        (report.copied, report.already, report.is_clean()),
        (3, 0, true),
        "{report}"
    );
    // The data dir is gone: a replica on the bucket serves every image.
    std::fs::remove_dir_all(f.app.dir.path().join("blobs")).unwrap();
    let on_s3 = f.app.replica_on_blobs(&url);
    for (seed, sha) in (20..23).zip(&shas) {
        let (status, _, bytes) =
            on_s3.get_bytes(&format!("/api/v1/blobs/{sha}"), Some(&f.enumerator));
        assert_eq!((status, bytes), (200, png(seed).0));
        let (status, content_type, _) = on_s3.get_bytes(
            &format!("/api/v1/blobs/{sha}/thumbnail"),
            Some(&f.enumerator),
        );
        assert_eq!((status, content_type.as_str()), (200, "image/jpeg"));
    }
}

/// Two `sancha serve` processes, as two replicas behind a load balancer: one
/// PostgreSQL, one bucket, one signing key, and nothing else in common.
#[test]
fn two_server_processes_share_photos_and_answer_a_resent_visit_alike() {
    let test = "two_server_processes_share_photos_and_answer_a_resent_visit_alike";
    if default_backend() != Backend::Postgres {
        eprintln!("skipped: {test} runs on PostgreSQL (CI's second pass)");
        return;
    }
    let Some(url) = require_s3(test) else { return };
    let binary = server_binary();
    assert!(
        binary.exists(),
        "{} is built by cargo test --workspace",
        binary.display()
    );
    let f = field(Some(url.clone()));
    let db = f.app.database_url().expect("a PostgreSQL URL");
    let secret = "two-replicas-one-key-two-replicas-one-key";
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let env = [("SANCHA_JWT_SECRET", secret)];
    let a = ServerProcess::start_env(&binary, dir_a.path(), Some(db), &["--blob-url", &url], &env);
    let b = ServerProcess::start_env(&binary, dir_b.path(), Some(db), &["--blob-url", &url], &env);
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(30))
        .build();
    let token: Value = agent
        .post(&format!("{}/api/v1/auth/token", a.base))
        .send_json(serde_json::json!({"username": "enum", "password": PASSWORD}))
        .unwrap()
        .into_json()
        .unwrap();
    let auth = format!("Bearer {}", token["access_token"].as_str().unwrap());

    // A photo uploaded to one is served by the other.
    let (bytes, sha) = big_png();
    let up = agent
        .put(&format!("{}/api/v1/blobs/{sha}", a.base))
        .set("Authorization", &auth)
        .set("Content-Type", "image/png")
        .send_bytes(&bytes)
        .unwrap();
    assert_eq!(up.status(), 201);
    let mut visit: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    visit["household_id"] = f.household_id.clone().into();
    visit["photos"][0]["sha256"] = sha.clone().into();
    let path = format!("/api/v1/visits/{}", uuid::Uuid::new_v4());
    let first = agent
        .put(&format!("{}{path}", a.base))
        .set("Authorization", &auth)
        .send_json(&visit)
        .unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.into_json().unwrap();
    assert!(!first["missing_blobs"]
        .as_array()
        .unwrap()
        .contains(&sha.clone().into()));

    let got = agent
        .get(&format!("{}/api/v1/blobs/{sha}", b.base))
        .set("Authorization", &auth)
        .call()
        .unwrap();
    let mut served = Vec::new();
    std::io::Read::read_to_end(&mut got.into_reader(), &mut served).unwrap();
    assert!(
        served == bytes,
        "the other replica serves the photo byte for byte"
    );

    // The phone, unsure the first answer arrived, resends through the other replica.
    let again = agent
        .put(&format!("{}{path}", b.base))
        .set("Authorization", &auth)
        .send_json(&visit)
        .unwrap();
    assert_eq!(again.status(), 200);
    let again: Value = again.into_json().unwrap();
    assert_eq!(again, first, "the same receipt from either replica");
    let stored = list_all(&b.base, &auth, "/api/v1/visits");
    assert_eq!(
        stored
            .iter()
            .filter(|v| format!("/api/v1/visits/{}", v["id"].as_str().unwrap()) == path)
            .count(),
        1
    );
}
