//! Visit submission: idempotent, conflict-safe, checked, batched.

use std::collections::HashSet;

use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

struct Field {
    app: TestApp,
    enumerator: String,
    household_id: String,
}

fn field() -> Field {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    app.seed_user("sup", Role::Supervisor, COUNTY);
    let household_id = app.seed_household(input(&example_household()));
    let enumerator = app.token("enum");
    Field {
        app,
        enumerator,
        household_id,
    }
}

fn clean_visit(household_id: &str) -> Value {
    let mut v: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    v["household_id"] = household_id.into();
    v
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[test]
fn the_clean_visit_is_accepted_with_no_findings_and_replayed_identically() {
    let f = field();
    let id = new_id();
    let path = format!("/api/v1/visits/{id}");
    let first = f.app.put(
        &path,
        Some(&f.enumerator),
        &[],
        &clean_visit(&f.household_id),
    );
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["id"], id.as_str());
    assert_eq!(first.body["findings"], serde_json::json!([]));
    assert_eq!(first.body["level"], "village_self");
    assert_eq!(first.body["verified_on_site"], false);
    // Photo and signature images are not uploaded yet: accepted, and listed.
    assert_eq!(first.body["missing_blobs"].as_array().unwrap().len(), 4);

    // The same document with other key order and whitespace is the same visit.
    let reordered = {
        let v = clean_visit(&f.household_id);
        let mut text = serde_json::to_string_pretty(&v).unwrap();
        text = text.replace("\"schema_version\": \"sancha.visit.v1\",", "");
        text = text.replacen('{', "{\"schema_version\":   \"sancha.visit.v1\",\n", 1);
        text
    };
    let again = f.app.send(
        "PUT",
        &path,
        Some(&f.enumerator),
        &[],
        Some(Body::Raw("application/json", reordered.as_bytes())),
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body, first.body);

    // Another body under the same id is refused and changes nothing.
    let mut other = clean_visit(&f.household_id);
    other["quality"]["water"]["quantity_lpd"] = 61.into();
    f.app
        .put(&path, Some(&f.enumerator), &[], &other)
        .assert_problem(409, "visit.id_conflict");
    let read = f.app.get(&path, Some(&f.enumerator));
    assert_eq!(read.status, 200);
    assert_eq!(
        read.body["document"]["quality"]["water"]["quantity_lpd"],
        60
    );
    assert_eq!(read.body["inspector"], "enum");
}

#[test]
fn hard_errors_are_422_with_every_pointer_and_nothing_is_stored() {
    let f = field();
    let mut v = clean_visit(&f.household_id);
    v["members"][0]["id_number"] = "210922196805120118".into();
    v["quality"]["disaster"]["crop_loss_pct"] = 140.into();
    v["level"] = "nationwide".into();
    let id = new_id();
    let r = f.app.put(
        &format!("/api/v1/visits/{id}"),
        Some(&f.enumerator),
        &[],
        &v,
    );
    r.assert_problem(422, "request.validation_failed");
    assert_eq!(
        r.field_errors(),
        vec![
            ("/level".into(), "schema.invalid".into()),
            ("/members/0/id_number".into(), "id_number.checksum".into()),
            ("/quality/disaster/crop_loss_pct".into(), "range".into()),
        ]
    );
    f.app
        .get(&format!("/api/v1/visits/{id}"), Some(&f.enumerator))
        .assert_problem(404, "not_found");
}

#[test]
fn who_may_submit_what() {
    let f = field();
    let sup = f.app.token("sup");
    let mut town = clean_visit(&f.household_id);
    town["level"] = "town_mutual".into();
    f.app
        .put(
            &format!("/api/v1/visits/{}", new_id()),
            Some(&f.enumerator),
            &[],
            &town,
        )
        .assert_problem(403, "visit.level_forbidden");
    let r = f.app.put(
        &format!("/api/v1/visits/{}", new_id()),
        Some(&sup),
        &[],
        &town,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    // The signed-in user is the inspector, whatever the body's signatures say.
    let read = f.app.get(
        &format!("/api/v1/visits/{}", r.body["id"].as_str().unwrap()),
        Some(&sup),
    );
    assert_eq!(read.body["inspector"], "sup");

    let far = f
        .app
        .seed_household(input(&household_in(OTHER_VILLAGE, "FAR-1")));
    f.app
        .put(
            &format!("/api/v1/visits/{}", new_id()),
            Some(&sup),
            &[],
            &clean_visit(&far),
        )
        .assert_problem(403, "auth.out_of_scope");
    // A resend by someone out of scope learns nothing of the stored visit:
    // neither its receipt nor, through a 409, that it exists.
    f.app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    let outsider = f.app.token("far");
    let stored = format!("/api/v1/visits/{}", r.body["id"].as_str().unwrap());
    f.app
        .put(&stored, Some(&outsider), &[], &town)
        .assert_problem(403, "auth.out_of_scope");
    f.app
        .put(&stored, Some(&outsider), &[], &clean_visit(&far))
        .assert_problem(403, "auth.out_of_scope");
    f.app
        .put(
            &format!("/api/v1/visits/{}", new_id()),
            Some(&f.enumerator),
            &[],
            &clean_visit("6f1c1c1e-0000-4000-8000-00000000dead"),
        )
        .assert_problem(404, "not_found");
}

/// Visits share a transaction (group commit). One that fails in storage,
/// here because its inspector is not a user, fails alone: its neighbours in
/// the group are stored, and it is not.
#[test]
fn a_visit_that_fails_in_storage_fails_alone_in_its_group() {
    use sancha_server::db::visits::{self, NewVisit};
    let f = field();
    let first = f.app.put(
        &format!("/api/v1/visits/{}", new_id()),
        Some(&f.enumerator),
        &[],
        &clean_visit(&f.household_id),
    );
    assert_eq!(first.status, 201, "{}", first.text);
    let db = f.app.state.db.clone();
    let stored = db
        .read_blocking(|c| visits::find(c, first.body["id"].as_str().unwrap()))
        .unwrap()
        .unwrap();
    const BAD: usize = 7;
    let group: Vec<NewVisit> = (0..20)
        .map(|i| {
            let mut visit = stored.visit.clone();
            visit.id = new_id();
            if i == BAD {
                visit.inspector_user_id = "no-such-user".into();
            }
            let findings = stored.findings.clone();
            NewVisit {
                visit,
                findings,
                blobs: vec![],
                missing_blobs: vec![],
            }
        })
        .collect();
    let ids: Vec<String> = group.iter().map(|v| v.visit.id.clone()).collect();
    // Spawned together, the twenty are queued within microseconds of each
    // other, well inside the writer's gathering window: one group.
    let answers = actix_web::rt::System::new().block_on(async move {
        let tasks: Vec<_> = group
            .into_iter()
            .map(|v| {
                let db = db.clone();
                actix_web::rt::spawn(async move { db.store_visit(v).await })
            })
            .collect();
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        answers
    });
    for (i, answer) in answers.iter().enumerate() {
        if i == BAD {
            assert!(answer.is_err(), "the bad visit was stored");
        } else {
            let stored = answer
                .as_ref()
                .expect("a good visit failed with the bad one");
            assert_eq!(
                stored.as_ref().map(|s| s.visit.id.as_str()),
                Some(ids[i].as_str())
            );
        }
    }
    let db = &f.app.state.db;
    for (i, id) in ids.iter().enumerate() {
        let found = db.read_blocking(|c| visits::find(c, id)).unwrap();
        assert_eq!(found.is_some(), i != BAD, "visit {i}");
    }
    // Commit order: the stored visits have distinct, increasing seqs.
    let seqs: Vec<i64> = answers
        .iter()
        .filter_map(|a| {
            a.as_ref()
                .ok()
                .and_then(|s| s.as_ref())
                .map(|s| s.visit.seq)
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

fn codes(r: &Resp) -> Vec<String> {
    r.body["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", r.text))
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// The limit of two supervisory visits counts what is stored: the village's
/// own checks do not count, the third supervisory visit is flagged, and a
/// correction does not count the visit it replaces.
#[test]
fn the_third_supervisory_visit_is_flagged_and_a_correction_is_not() {
    const OVER: &str = "process.supervision_over_limit";
    let f = field();
    let supervisor = f.app.token("sup");
    let put = |token: &str, body: &Value| {
        let r = f.app.put(
            &format!("/api/v1/visits/{}", new_id()),
            Some(token),
            &[],
            body,
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r
    };
    let mut supervisory = clean_visit(&f.household_id);
    supervisory["level"] = "county_cross".into();
    for _ in 0..3 {
        assert!(
            !codes(&put(&f.enumerator, &clean_visit(&f.household_id))).contains(&OVER.to_string())
        );
    }
    let first = put(&supervisor, &supervisory);
    let second = put(&supervisor, &supervisory);
    assert!(!codes(&first).contains(&OVER.to_string()));
    assert!(!codes(&second).contains(&OVER.to_string()));

    // A correction of the second: only the first counts against it.
    let mut correction = supervisory.clone();
    correction["replaces"] = second.body["id"].clone();
    assert!(!codes(&put(&supervisor, &correction)).contains(&OVER.to_string()));
    // Now the first and the correction stand: a third is over the limit.
    assert!(codes(&put(&supervisor, &supervisory)).contains(&OVER.to_string()));
}

#[test]
fn fifty_concurrent_puts_of_one_visit_store_it_once() {
    let f = field();
    let id = new_id();
    let path = format!("/api/v1/visits/{id}");
    let body = clean_visit(&f.household_id);
    let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|_| {
                s.spawn(|| {
                    let r = f.app.put(&path, Some(&f.enumerator), &[], &body);
                    (r.status, r.body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        answers.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|(s, _)| *s == 200 || *s == 201),
        "{answers:?}"
    );
    assert!(
        answers.iter().all(|(_, b)| *b == answers[0].1),
        "every answer carries the same receipt"
    );
    let list = f.app.get(
        &format!("/api/v1/visits?household_id={}", f.household_id),
        Some(&f.enumerator),
    );
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[test]
fn fifty_concurrent_different_bodies_under_one_id_store_exactly_one() {
    let f = field();
    let id = new_id();
    let path = format!("/api/v1/visits/{id}");
    let statuses: Vec<(u16, i64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (app, token, hid, path) = (&f.app, &f.enumerator, &f.household_id, &path);
                s.spawn(move || {
                    let mut v = clean_visit(hid);
                    v["quality"]["water"]["quantity_lpd"] = (100 + i).into();
                    (app.put(path, Some(token), &[], &v).status, 100 + i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = statuses.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|(s, _)| *s == 409).count(),
        49,
        "{statuses:?}"
    );
    let stored = f.app.get(&path, Some(&f.enumerator));
    assert_eq!(
        stored.body["document"]["quality"]["water"]["quantity_lpd"],
        winners[0].1
    );
}

#[test]
fn a_batch_answers_each_item_as_its_own_put_would() {
    let f = field();
    let good = new_id();
    let mut bad = clean_visit(&f.household_id);
    bad["members"][1]["sex"] = "M".into();
    let bad_id = new_id();
    let batch = serde_json::json!({"visits": [
        {"visit_id": good, "visit": clean_visit(&f.household_id)},
        {"visit_id": bad_id, "visit": bad},
        {"visit_id": good, "visit": clean_visit(&f.household_id)},
        {"visit_id": "not-a-uuid", "visit": clean_visit(&f.household_id)},
    ]});
    let r = f
        .app
        .post("/api/v1/visits/batch", Some(&f.enumerator), &batch);
    assert_eq!(r.status, 200, "{}", r.text);
    let results = r.body["results"].as_array().unwrap();
    let statuses: Vec<_> = results
        .iter()
        .map(|x| x["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![201, 422, 200, 404]);
    assert_eq!(results[1]["body"]["errors"][0]["field"], "/members/1/sex");
    assert_eq!(results[0]["body"], results[2]["body"]);
    // What the batch stored answers a later single PUT the same way.
    let single = f.app.put(
        &format!("/api/v1/visits/{good}"),
        Some(&f.enumerator),
        &[],
        &clean_visit(&f.household_id),
    );
    assert_eq!((single.status, &single.body), (200, &results[0]["body"]));
    let many: Vec<Value> = (0..201)
        .map(|_| serde_json::json!({"visit_id": new_id(), "visit": {}}))
        .collect();
    let r = f.app.post(
        "/api/v1/visits/batch",
        Some(&f.enumerator),
        &serde_json::json!({"visits": many}),
    );
    r.assert_problem(422, "request.validation_failed");
}

#[test]
fn validate_checks_without_storing() {
    let f = field();
    let r = f.app.post(
        "/api/v1/visits/validate",
        Some(&f.enumerator),
        &clean_visit(&f.household_id),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["findings"], serde_json::json!([]));
    let mut bad = clean_visit(&f.household_id);
    bad["timing"]["ended_at"] = "2026-11-20T08:00:00+08:00".into();
    let r = f
        .app
        .post("/api/v1/visits/validate", Some(&f.enumerator), &bad);
    assert_eq!(
        r.field_errors(),
        vec![("/timing/ended_at".into(), "timing.order".into())]
    );
    let list = f.app.get("/api/v1/visits", Some(&f.enumerator));
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
}

#[test]
fn scanning_the_households_own_card_marks_the_visit_verified_on_site() {
    let f = field();
    let token = f
        .app
        .get(
            &format!("/api/v1/households/{}", f.household_id),
            Some(&f.enumerator),
        )
        .body["public_token"]
        .clone();
    let mut v = clean_visit(&f.household_id);
    v["card_scan"] = token;
    let r = f.app.put(
        &format!("/api/v1/visits/{}", new_id()),
        Some(&f.enumerator),
        &[],
        &v,
    );
    assert_eq!(
        (r.status, r.body["verified_on_site"].clone()),
        (201, Value::Bool(true))
    );
}

#[test]
fn listing_pages_through_visits_in_scope() {
    let f = field();
    let mut ids = HashSet::new();
    for _ in 0..5 {
        let id = new_id();
        assert_eq!(
            f.app
                .put(
                    &format!("/api/v1/visits/{id}"),
                    Some(&f.enumerator),
                    &[],
                    &clean_visit(&f.household_id)
                )
                .status,
            201
        );
        ids.insert(id);
    }
    let mut seen = HashSet::new();
    let mut cursor = String::new();
    loop {
        let q = if cursor.is_empty() {
            "limit=2".to_string()
        } else {
            format!("limit=2&cursor={cursor}")
        };
        let r = f
            .app
            .get(&format!("/api/v1/visits?{q}"), Some(&f.enumerator));
        for it in r.body["items"].as_array().unwrap() {
            assert!(
                seen.insert(it["id"].as_str().unwrap().to_string()),
                "repeated"
            );
        }
        cursor = r.body["next_cursor"].as_str().unwrap().to_string();
        if !r.body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen, ids);
    // The last page's cursor resumes later with exactly what came since.
    let late = new_id();
    assert_eq!(
        f.app
            .put(
                &format!("/api/v1/visits/{late}"),
                Some(&f.enumerator),
                &[],
                &clean_visit(&f.household_id)
            )
            .status,
        201
    );
    let r = f.app.get(
        &format!("/api/v1/visits?cursor={cursor}"),
        Some(&f.enumerator),
    );
    let items: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|it| it["id"].as_str().unwrap())
        .collect();
    assert_eq!(items, [late.to_string().as_str()]);
    f.app
        .get(
            &format!("/api/v1/visits?scope={OTHER_COUNTY}"),
            Some(&f.enumerator),
        )
        .assert_problem(403, "auth.out_of_scope");
}

#[test]
fn a_late_photo_completes_its_visit_and_is_readable_in_scope_only() {
    let f = field();
    let (bytes, sha) = png(7);
    let mut v = clean_visit(&f.household_id);
    v["photos"][0]["sha256"] = sha.clone().into();
    let path = format!("/api/v1/visits/{}", new_id());
    let first = f.app.put(&path, Some(&f.enumerator), &[], &v);
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.body["missing_blobs"]
        .as_array()
        .unwrap()
        .contains(&sha.clone().into()));

    let blob = format!("/api/v1/blobs/{sha}");
    let up = |body: &[u8], ct: &str, p: &str| {
        f.app.send(
            "PUT",
            p,
            Some(&f.enumerator),
            &[],
            Some(Body::Raw(ct, body)),
        )
    };
    assert_eq!(up(&bytes, "image/png", &blob).status, 201);
    assert_eq!(up(&bytes, "image/png", &blob).status, 200);
    up(&bytes, "text/plain", &blob).assert_problem(415, "request.unsupported_media_type");
    let (other, _) = png(8);
    up(&other, "image/png", &blob).assert_problem(422, "request.validation_failed");
    let garbage = b"definitely not a png".to_vec();
    let garbage_sha = sha256_hex(&garbage);
    let r = up(
        &garbage,
        "image/png",
        &format!("/api/v1/blobs/{garbage_sha}"),
    );
    assert_eq!(r.field_errors(), vec![("".into(), "blob.not_image".into())]);

    let again = f.app.put(&path, Some(&f.enumerator), &[], &v);
    assert_eq!(again.status, 200);
    assert!(!again.body["missing_blobs"]
        .as_array()
        .unwrap()
        .contains(&sha.clone().into()));

    let got = f.app.get(&blob, Some(&f.enumerator));
    assert_eq!((got.status, got.content_type.as_str()), (200, "image/png"));
    let thumb = f.app.get(&format!("{blob}/thumbnail"), Some(&f.enumerator));
    assert_eq!(
        (thumb.status, thumb.content_type.as_str()),
        (200, "image/jpeg")
    );
    f.app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    let far = f.app.token("far");
    f.app
        .get(&blob, Some(&far))
        .assert_problem(403, "auth.out_of_scope");
    f.app
        .get(
            &format!("/api/v1/blobs/{}", "0".repeat(64)),
            Some(&f.enumerator),
        )
        .assert_problem(404, "not_found");
    let huge = vec![0u8; (10 << 20) + 1];
    up(&huge, "image/png", &blob).assert_problem(413, "request.too_large");
}

/// A phone back online after days sends up to 200 visits, past the 1 MiB
/// limit of single requests.
#[test]
fn a_full_batch_of_two_hundred_visits_over_one_mebibyte_is_taken() {
    let f = field();
    let items: Vec<Value> = (0..200)
        .map(|i| {
            let mut v = clean_visit(&f.household_id);
            v["client"]["device_hash"] = format!("{i:0>4}{}", "x".repeat(2000)).into();
            serde_json::json!({"visit_id": new_id(), "visit": v})
        })
        .collect();
    let body = serde_json::json!({"visits": items});
    assert!(body.to_string().len() > 1 << 20);
    let r = f
        .app
        .post("/api/v1/visits/batch", Some(&f.enumerator), &body);
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    let statuses: HashSet<u64> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, HashSet::from([201]));
}

/// The roster entry a visit document re-verifies.
fn roster_of(v: &Value, code: &str) -> Value {
    let h = &v["household"];
    let members: Vec<Value> = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::json!({"member_no": m["member_no"], "name": m["name"], "id_type": m["id_type"],
                                     "id_number": m["id_number"], "relation": m["relation"]}))
        .collect();
    let helpers: Vec<Value> = v["policy"]["helpers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["phone"].is_string())
        .map(|x| serde_json::json!({"name": x["name"], "unit": x["unit"], "title": x["title"].as_str().unwrap_or(""), "phone": x["phone"]}))
        .collect();
    // The roster always has a main cause; a visit may have lost it.
    let main_cause = if h["main_cause"].is_string() {
        h["main_cause"].clone()
    } else {
        "other".into()
    };
    let location = match (v["geo"]["lat"].as_f64(), v["geo"]["lon"].as_f64()) {
        (Some(lat), Some(lon)) => serde_json::json!({"lat": lat, "lon": lon, "datum": "WGS84"}),
        _ => Value::Null,
    };
    serde_json::json!({
        "division_code": h["division_code"], "group_name": h["group_name"], "household_code": code,
        "registered_year": h["registered_year"], "poverty_status": h["poverty_status"], "exit_year": h["exit_year"],
        "attribute": h["attribute"], "main_cause": main_cause, "other_causes": h["other_causes"],
        "members": members, "helpers": helpers,
        "location": location,
    })
}

/// Each finding example of `api-spec/examples/` raises its own family's
/// codes, and only those, through the real server with the context it
/// loads from a roster that matches the visit.
#[test]
fn each_finding_example_raises_only_its_family() {
    for family in [
        "edu", "med", "housing", "water", "basic", "income", "monitor", "record", "process", "sat",
    ] {
        let path = format!(
            "{}/../api-spec/examples/visit-finding-{family}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let app = TestApp::spawn();
        app.seed_example_regions();
        app.seed_user("enum", Role::Enumerator, VILLAGE);
        let household_id = app.seed_household(input(&roster_of(&v, "EXAMPLE-1")));
        v["household_id"] = household_id.into();
        let token = app.token("enum");
        let r = app.put(
            &format!("/api/v1/visits/{}", new_id()),
            Some(&token),
            &[],
            &v,
        );
        assert_eq!(r.status, 201, "{family}: {}", r.text);
        let found = codes(&r);
        assert!(!found.is_empty(), "{family} raised nothing");
        assert!(
            found.iter().all(|c| c.split('.').next() == Some(family)),
            "{family}: {found:?}"
        );
        assert!(r.body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| !x["message"].as_str().unwrap().is_empty()));
    }
}

#[test]
fn a_third_supervisory_visit_is_accepted_and_flagged() {
    let f = field();
    let sup = f.app.token("sup");
    let mut codes = Vec::new();
    for level in ["town_mutual", "county_cross", "city_supervision"] {
        let mut v = clean_visit(&f.household_id);
        v["level"] = level.into();
        let r = f
            .app
            .put(&format!("/api/v1/visits/{}", new_id()), Some(&sup), &[], &v);
        assert_eq!(r.status, 201, "{}", r.text);
        codes.push(
            r.body["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["code"].clone())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(codes[0], Vec::<Value>::new());
    assert_eq!(codes[1], Vec::<Value>::new());
    assert_eq!(
        codes[2],
        vec![Value::from("process.supervision_over_limit")]
    );
}

#[test]
fn an_id_registered_to_another_household_and_another_households_card_are_flagged() {
    let f = field();
    let mut other = household_in(VILLAGE, "OTHER-1");
    other["members"][0]["id_number"] = "210922199509200134".into(); // the example's son, registered here too
    other["members"][0]["relation"] = "head".into();
    other["members"].as_array_mut().unwrap().truncate(1);
    let other_id = f.app.seed_household(input(&other));
    let other_card = f
        .app
        .get(
            &format!("/api/v1/households/{other_id}"),
            Some(&f.enumerator),
        )
        .body["public_token"]
        .clone();
    let mut v = clean_visit(&f.household_id);
    v["card_scan"] = other_card;
    let r = f.app.put(
        &format!("/api/v1/visits/{}", new_id()),
        Some(&f.enumerator),
        &[],
        &v,
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let found: Vec<(Value, Value)> = r.body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["code"].clone(), x["member_no"].clone()))
        .collect();
    assert!(
        found.contains(&("record.duplicate_id".into(), 3.into())),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(c, _)| c == "process.card_mismatch"),
        "{found:?}"
    );
    assert_eq!(r.body["verified_on_site"], false);
}

/// A phone whose upload timed out sends the photo again while the first
/// upload is still running: both succeed, one row is stored.
#[test]
fn concurrent_uploads_of_one_photo_all_succeed_once() {
    let f = field();
    let (bytes, sha) = png(11);
    let path = format!("/api/v1/blobs/{sha}");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                s.spawn(|| {
                    f.app
                        .send(
                            "PUT",
                            &path,
                            Some(&f.enumerator),
                            &[],
                            Some(Body::Raw("image/png", &bytes)),
                        )
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
}

/// Every hard-error code of DOMAIN.md, sent over HTTP: 422 with its pointer
/// and code, and nothing stored.
#[test]
fn every_hard_error_code_is_answered_with_its_pointer() {
    let f = field();
    type Mutation = fn(&mut Value);
    let cases: [(Mutation, &str, &str); 13] = [
        (|v| v["level"] = 3.into(), "/level", "schema.invalid"),
        (
            |v| v["members"][0]["id_number"] = "210922196805120118".into(),
            "/members/0/id_number",
            "id_number.checksum",
        ),
        (
            |v| v["members"][0]["id_number"] = "21092219680512011".into(),
            "/members/0/id_number",
            "id_number.format",
        ),
        (
            |v| v["members"][0]["sex"] = "F".into(),
            "/members/0/sex",
            "id_number.mismatch",
        ),
        (
            |v| {
                v["members"][2]["id_number"] = "210922196805120119".into();
                v["members"][2]["birth_date"] = "1968-05-12".into();
            },
            "/members/2/id_number",
            "id_number.duplicate",
        ),
        (
            |v| v["members"][1]["relation"] = "head".into(),
            "/members",
            "members.head",
        ),
        (
            |v| v["income"]["wage"][0]["member_no"] = 9.into(),
            "/income/wage/0/member_no",
            "members.ref",
        ),
        (
            |v| v["income"]["operating"][0]["gross_fen"] = (-1).into(),
            "/income/operating/0/gross_fen",
            "money.negative",
        ),
        (
            |v| v["income"]["property"][0]["amount_fen"] = 1_000_000_001i64.into(),
            "/income/property/0/amount_fen",
            "money.too_large",
        ),
        (
            |v| v["quality"]["water"]["quantity_lpd"] = 1001.into(),
            "/quality/water/quantity_lpd",
            "range",
        ),
        (
            |v| v["timing"]["ended_at"] = "2026-11-20T08:59:00+08:00".into(),
            "/timing/ended_at",
            "timing.order",
        ),
        (
            |v| {
                v["signatures"].as_array_mut().unwrap().remove(0);
            },
            "/signatures",
            "signature.missing",
        ),
        (
            |v| v["household"]["other_causes"] = serde_json::json!(["illness"]),
            "/household/other_causes",
            "causes.too_many",
        ),
    ];
    for (mutate, field, code) in cases {
        let mut v = clean_visit(&f.household_id);
        mutate(&mut v);
        let id = new_id();
        let r = f.app.put(
            &format!("/api/v1/visits/{id}"),
            Some(&f.enumerator),
            &[],
            &v,
        );
        r.assert_problem(422, "request.validation_failed");
        assert_eq!(
            r.field_errors(),
            vec![(field.to_string(), code.to_string())],
            "{code}"
        );
        f.app
            .get(&format!("/api/v1/visits/{id}"), Some(&f.enumerator))
            .assert_problem(404, "not_found");
    }
}

#[test]
fn a_rejected_visit_goes_back_to_its_enumerator_and_a_correction_supersedes_it() {
    let f = field();
    let sup = f.app.token("sup");
    let old = new_id();
    assert_eq!(
        f.app
            .put(
                &format!("/api/v1/visits/{old}"),
                Some(&f.enumerator),
                &[],
                &clean_visit(&f.household_id)
            )
            .status,
        201
    );
    let review = format!("/api/v1/visits/{old}/review");

    let r = f.app.post(
        &review,
        Some(&sup),
        &serde_json::json!({"decision": "reject"}),
    );
    assert_eq!(
        r.field_errors(),
        vec![("/note".to_string(), "finding.note_required".to_string())],
        "a rejection says why"
    );
    let r = f.app.post(
        &review,
        Some(&sup),
        &serde_json::json!({"decision": "maybe", "note": "x"}),
    );
    assert_eq!(
        r.field_errors(),
        vec![("/decision".to_string(), "schema.invalid".to_string())]
    );
    f.app
        .post(
            &review,
            Some(&f.enumerator),
            &serde_json::json!({"decision": "approve"}),
        )
        .assert_problem(403, "auth.role_forbidden");
    let r = f.app.post(
        &review,
        Some(&sup),
        &serde_json::json!({"decision": "reject", "note": "务工收入未核实，请补充"}),
    );
    assert_eq!(
        (r.status, r.body["review"].as_str()),
        (200, Some("rejected")),
        "{}",
        r.text
    );

    let mine = f.app.get(
        "/api/v1/visits?mine=true&review=rejected",
        Some(&f.enumerator),
    );
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", mine.text);
    assert_eq!(
        (items[0]["id"].as_str(), items[0]["review_note"].as_str()),
        (Some(old.as_str()), Some("务工收入未核实，请补充"))
    );
    let theirs = f
        .app
        .get("/api/v1/visits?mine=true&review=rejected", Some(&sup));
    assert!(
        theirs.body["items"].as_array().unwrap().is_empty(),
        "mine means the caller's own"
    );

    let mut unknown = clean_visit(&f.household_id);
    unknown["replaces"] = new_id().into();
    let r = f.app.put(
        &format!("/api/v1/visits/{}", new_id()),
        Some(&f.enumerator),
        &[],
        &unknown,
    );
    assert_eq!(
        r.field_errors(),
        vec![(
            "/replaces".to_string(),
            "visit.replaces_unknown".to_string()
        )]
    );

    let mut corrected = clean_visit(&f.household_id);
    corrected["replaces"] = old.as_str().into();
    let new = new_id();
    assert_eq!(
        f.app
            .put(
                &format!("/api/v1/visits/{new}"),
                Some(&f.enumerator),
                &[],
                &corrected
            )
            .status,
        201
    );
    let read = f
        .app
        .get(&format!("/api/v1/visits/{old}"), Some(&f.enumerator));
    assert_eq!(read.body["superseded_by"], new.as_str());
    f.app
        .post(
            &review,
            Some(&sup),
            &serde_json::json!({"decision": "approve"}),
        )
        .assert_problem(409, "visit.superseded");
    let r = f.app.put(
        &format!("/api/v1/visits/{}", new_id()),
        Some(&f.enumerator),
        &[],
        &corrected,
    );
    r.assert_problem(409, "visit.superseded");
    let approved = f.app.post(
        &format!("/api/v1/visits/{new}/review"),
        Some(&sup),
        &serde_json::json!({"decision": "approve"}),
    );
    assert_eq!(approved.body["review"], "approved");
}
