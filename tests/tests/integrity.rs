//! Visit integrity (防造假) end to end: one town, ten honest enumerators and
//! one who invents thirty visits in an evening; the report ranks them, a
//! `risk` sample goes where the visits look invented; near-duplicate photos
//! found on arrival and on a late upload; travel and overlap between an
//! inspector's neighbouring visits.

use std::collections::{HashMap, HashSet};

use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::{json, Value};

const SECOND_VILLAGE: &str = "210922201204";

fn clean() -> Value {
    serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap()
}

/// The clean example for household `id` (seeded as the `n`th, for its ID
/// numbers), started `minutes` after 08:00 on 20 November and lasting `length`.
fn visit_at(id: &str, n: u32, minutes: i64, length: i64) -> Value {
    let mut v = clean();
    v["household_id"] = id.into();
    distinct_ids(n, &mut example_household(), Some(&mut v));
    made_apart(&mut v, 0);
    let at = |m: i64| {
        (chrono::DateTime::parse_from_rfc3339("2026-11-20T08:00:00+08:00").unwrap()
            + chrono::Duration::minutes(m))
        .to_rfc3339()
    };
    v["timing"]["started_at"] = at(minutes).into();
    v["timing"]["ended_at"] = at(minutes + length).into();
    v["geo"]["fix_at"] = at(minutes + 1).into();
    for p in v["photos"].as_array_mut().unwrap() {
        p["taken_at"] = at(minutes + 2).into();
    }
    for s in v["signatures"].as_array_mut().unwrap() {
        s["signed_at"] = at(minutes + length - 1).into();
    }
    v
}

/// What makes a visit its own: photo, respondent's signature, a wage.
fn own(v: &mut Value, key: &str, wage: i64) {
    v["photos"][0]["sha256"] = sha256_hex(format!("photo of {key}").as_bytes()).into();
    let respondent = v["signatures"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|s| s["role"] == "respondent")
        .unwrap();
    respondent["image_sha256"] = sha256_hex(format!("signature of {key}").as_bytes()).into();
    v["income"]["wage"][0]["gross_fen"] = wage.into();
}

fn codes(receipt: &Value) -> Vec<(String, String)> {
    receipt["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn put(app: &TestApp, token: &str, v: &Value) -> Value {
    let r = app.put(
        &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
        Some(token),
        &[],
        v,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

#[test]
fn an_enumerator_who_invents_an_evenings_visits_is_ranked_first_and_sampled() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_regions(&[(SECOND_VILLAGE, "新华村")]);
    app.seed_user("sup", Role::Supervisor, COUNTY);
    app.seed_user("faker", Role::Enumerator, TOWN);
    let honest: Vec<String> = (0..10).map(|k| format!("enum{k}")).collect();
    for name in &honest {
        app.seed_user(name, Role::Enumerator, TOWN);
    }
    // 60 households in the first village, 40 in the second.
    let mut village_of = HashMap::new();
    let households: Vec<String> = (0..100u32)
        .map(|i| {
            let village = if i < 60 { VILLAGE } else { SECOND_VILLAGE };
            let mut h = household_in(village, &format!("{village}{i:04}"));
            distinct_ids(i, &mut h, None);
            let id = app.seed_household(input(&h));
            village_of.insert(id.clone(), village);
            id
        })
        .collect();
    let invented: HashSet<&String> = households[..30].iter().collect();

    // The honest ones visit the other 70, seven each, an hour apart from
    // 08:00, forty minutes a visit, each with its own photo and signature.
    for (k, name) in honest.iter().enumerate() {
        let token = app.token(name);
        for j in 0..7 {
            let n = 30 + k * 7 + j;
            let mut v = visit_at(&households[n], n as u32, 60 * j as i64, 40);
            own(
                &mut v,
                &format!("household {n}"),
                3_600_000 + 1000 * n as i64,
            );
            let receipt = put(&app, &token, &v);
            let high: Vec<_> = codes(&receipt)
                .into_iter()
                .filter(|(c, s)| c.starts_with("process.") && s == "high")
                .collect();
            assert!(high.is_empty(), "{name}'s visit {j}: {high:?}");
        }
    }

    // The faker "visits" thirty households from one spot in one evening,
    // four minutes each, one photo for all and the same answers, and sends
    // them in one batch.
    let faker = app.token("faker");
    let items: Vec<Value> = (0..30)
        .map(|n| {
            let mut v = visit_at(&households[n], n as u32, 11 * 60 + 4 * n as i64, 4);
            own(&mut v, &format!("household {n}"), 3_600_000);
            v["photos"][0]["sha256"] = sha256_hex(b"the one photo").into();
            json!({"visit_id": uuid::Uuid::new_v4().to_string(), "visit": v})
        })
        .collect();
    let r = app.post(
        "/api/v1/visits/batch",
        Some(&faker),
        &json!({ "visits": items }),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let results = r.body["results"].as_array().unwrap();
    assert!(results.iter().all(|x| x["status"] == 201), "{}", r.text);
    let last = codes(&results[29]["body"]);
    for code in [
        "process.photo_reused",
        "process.answers_copied",
        "process.daily_volume",
        "process.too_short",
    ] {
        assert!(last.iter().any(|(c, _)| c == code), "{code} in {last:?}");
    }

    // The report ranks the faker first, with the counts that say why.
    let sup = app.token("sup");
    let report = app.get(&format!("/api/v1/integrity?scope={TOWN}"), Some(&sup));
    assert_eq!(report.status, 200, "{}", report.text);
    let rows = report.body["inspectors"].as_array().unwrap();
    assert_eq!(rows.len(), 11);
    let top = &rows[0];
    assert_eq!(top["inspector"], "faker", "{}", report.text);
    assert_eq!(top["visits"], 30);
    assert_eq!(top["median_minutes"], 4.0);
    assert_eq!(top["findings"]["process.photo_reused"], 29);
    assert_eq!(top["findings"]["process.answers_copied"], 29);
    assert_eq!(top["findings"]["process.daily_volume"], 5);
    assert_eq!(top["findings"]["process.too_short"], 30);
    for row in &rows[1..] {
        assert_eq!(row["visits"], 7);
        assert!(
            row["risk"].as_f64().unwrap() < top["risk"].as_f64().unwrap() / 4.0,
            "{row}"
        );
    }

    // A risk sample of the town at 50% takes the invented households first.
    let draw = |strategy: &str| {
        let r = app.post(
            "/api/v1/samples",
            Some(&sup),
            &json!({"scope": TOWN, "level": "town_mutual", "rate": 0.5, "seed": 7, "strategy": strategy}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    };
    let risk = draw("risk");
    let picked: Vec<String> = serde_json::from_value(risk["households"].clone()).unwrap();
    let in_village = |v: &str| picked.iter().filter(|h| village_of[*h] == v).count();
    assert_eq!((in_village(VILLAGE), in_village(SECOND_VILLAGE)), (30, 20));
    let caught = picked.iter().filter(|h| invented.contains(h)).count();
    assert!(
        caught >= 24,
        "{caught} of the 30 invented visits' households"
    );
    assert_eq!(risk["strategy"], "risk");
    assert!(risk["risk_picked"].as_i64().unwrap() >= caught as i64);
    let random = draw("random");
    let by_seed: Vec<String> = serde_json::from_value(random["households"].clone()).unwrap();
    assert!(by_seed.iter().filter(|h| invented.contains(h)).count() < caught);
    assert_eq!(random["risk_picked"], 0);

    // The report as a file, with the Chinese headers.
    let (status, _, csv) =
        app.get_bytes(&format!("/api/v1/integrity.csv?scope={TOWN}"), Some(&sup));
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("照片重复") && csv.contains("风险分"), "{csv}");
    assert!(
        csv.lines().nth(1).unwrap().starts_with("faker,30,4,"),
        "{csv}"
    );
}

/// A JPEG of a scene (shaded, with shapes) drawn `shift` pixels to the right.
fn scene_jpeg(seed: u32, shift: u32, quality: u8) -> (Vec<u8>, String) {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        let x = x + shift;
        let v = (x * (3 + seed % 5) + y * (7 + seed % 3)) % 256;
        let blob = ((x / (60 + seed * 7)) + (y / (45 + seed * 3))) % 2 * 90;
        image::Rgb([((v + blob) % 256) as u8, (v / 2) as u8, (255 - v) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&img)
        .unwrap();
    let bytes = out.into_inner();
    let sha = sha256_hex(&bytes);
    (bytes, sha)
}

fn upload(app: &TestApp, token: &str, (bytes, sha): &(Vec<u8>, String)) -> u16 {
    app.send(
        "PUT",
        &format!("/api/v1/blobs/{sha}"),
        Some(token),
        &[],
        Some(Body::Raw("image/jpeg", bytes)),
    )
    .status
}

#[test]
fn a_near_duplicate_photo_is_caught_on_arrival_and_on_a_late_upload() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("a", Role::Enumerator, TOWN);
    app.seed_user("b", Role::Enumerator, TOWN);
    let households: Vec<String> = (0..5u32)
        .map(|i| {
            let mut h = household_in(VILLAGE, &format!("{VILLAGE}{i:04}"));
            distinct_ids(i, &mut h, None);
            app.seed_household(input(&h))
        })
        .collect();
    let (a, b) = (app.token("a"), app.token("b"));
    let visit = |n: usize, photo: &str| {
        let mut v = visit_at(&households[n], n as u32, 60 * n as i64, 40);
        own(
            &mut v,
            &format!("household {n}"),
            3_600_000 + 1000 * n as i64,
        );
        v["photos"][0]["sha256"] = photo.into();
        v
    };
    let reused = |receipt: &Value| {
        codes(receipt)
            .iter()
            .any(|(c, _)| c == "process.photo_reused")
    };
    let original = scene_jpeg(1, 0, 90);
    assert_eq!(upload(&app, &a, &original), 201);
    assert!(!reused(&put(&app, &a, &visit(0, &original.1))));

    // Another enumerator's photo of another household: the same scene
    // re-encoded, uploaded first (as the outbox does).
    let reencoded = scene_jpeg(1, 0, 60);
    assert_ne!(reencoded.1, original.1);
    assert_eq!(upload(&app, &b, &reencoded), 201);
    let r = put(&app, &b, &visit(1, &reencoded.1));
    assert!(reused(&r), "{r}");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "process.photo_reused")
        .unwrap();
    assert_eq!(
        (f["severity"].as_str(), f["field"].as_str()),
        (Some("high"), Some("/photos/0"))
    );

    // The scene shifted a little, sent before its photo: nothing to compare
    // yet; the upload finds it and adds the finding to the stored visit.
    let shifted = scene_jpeg(1, 4, 85);
    let r = put(&app, &b, &visit(2, &shifted.1));
    assert!(!reused(&r), "{r}");
    assert!(r["missing_blobs"]
        .as_array()
        .unwrap()
        .contains(&json!(shifted.1)));
    assert_eq!(upload(&app, &b, &shifted), 201);
    let stored = app.get(
        &format!("/api/v1/visits/{}", r["id"].as_str().unwrap()),
        Some(&b),
    );
    assert!(reused(&stored.body), "{}", stored.text);
    // Uploading it again adds nothing.
    assert_eq!(upload(&app, &b, &shifted), 200);
    let stored = app.get(
        &format!("/api/v1/visits/{}", r["id"].as_str().unwrap()),
        Some(&b),
    );
    let n = codes(&stored.body)
        .iter()
        .filter(|(c, _)| c == "process.photo_reused")
        .count();
    assert_eq!(n, 1);

    // Another scene is no duplicate, before or after its upload.
    let other = scene_jpeg(4, 0, 90);
    let r = put(&app, &a, &visit(3, &other.1));
    assert_eq!(upload(&app, &a, &other), 201);
    let stored = app.get(
        &format!("/api/v1/visits/{}", r["id"].as_str().unwrap()),
        Some(&a),
    );
    assert!(!reused(&stored.body), "{}", stored.text);

    // The respondent's signature of household 0, in household 4's visit,
    // after four photos of its own (so it is looked up past the first four).
    let mut copied = visit(4, &sha256_hex(b"a photo of its own"));
    let first = copied["photos"][0].clone();
    for k in 1..4 {
        let mut p = first.clone();
        p["sha256"] = sha256_hex(format!("photo {k} of its own").as_bytes()).into();
        copied["photos"].as_array_mut().unwrap().push(p);
    }
    let signature_of_0 = visit(0, "")["signatures"].clone();
    copied["signatures"] = signature_of_0;
    let r = put(&app, &a, &copied);
    assert!(
        codes(&r)
            .iter()
            .any(|(c, s)| c == "process.signature_reused" && s == "high"),
        "{r}"
    );
}

#[test]
fn an_inspectors_neighbouring_visits_show_impossible_travel_and_overlap() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("a", Role::Enumerator, TOWN);
    let households: Vec<String> = (0..4u32)
        .map(|i| {
            let mut h = household_in(VILLAGE, &format!("{VILLAGE}{i:04}"));
            distinct_ids(i, &mut h, None);
            app.seed_household(input(&h))
        })
        .collect();
    let a = app.token("a");
    let visit = |n: usize, start: i64, length: i64, north_km: f64| {
        let mut v = visit_at(&households[n], n as u32, start, length);
        own(
            &mut v,
            &format!("household {n}"),
            3_600_000 + 1000 * n as i64,
        );
        let lat = v["geo"]["lat"].as_f64().unwrap() + north_km / 111.2;
        v["geo"]["lat"] = lat.into();
        v["photos"][0]["lat"] = lat.into();
        v
    };
    let has = |r: &Value, code: &str| codes(r).iter().any(|(c, _)| c == code);
    // 08:00–08:40 here; 10:10–10:40 here too.
    let first = put(&app, &a, &visit(0, 0, 40, 0.0));
    let third = put(&app, &a, &visit(2, 130, 30, 0.0));
    assert!(!has(&first, "process.impossible_travel") && !has(&third, "process.overlap"));
    // Sent last, 09:30–10:20 and 100 km north: its midpoint is 95 minutes
    // after the first's (63 km/h), and it ends 10 minutes into the third.
    let second = put(&app, &a, &visit(1, 90, 50, 100.0));
    assert!(has(&second, "process.impossible_travel"), "{second}");
    assert!(has(&second, "process.overlap"), "{second}");
    // 30 km north at 12:00–12:40 is a drive (16 km/h from the third): neither.
    let fourth = put(&app, &a, &visit(3, 240, 40, 30.0));
    assert!(
        !has(&fourth, "process.impossible_travel") && !has(&fourth, "process.overlap"),
        "{fourth}"
    );
}
