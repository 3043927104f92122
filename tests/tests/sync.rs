//! The phone's incremental sync: scoped, paged in commit order, nothing
//! skipped or repeated while others write.

use std::collections::HashSet;

use sancha_server::domain::Role;
use sancha_tests::*;

/// Items, the cursor to resume after, and whether more follow now.
fn page(app: &TestApp, token: &str, query: &str) -> (Vec<serde_json::Value>, String, bool) {
    let r = app.get(&format!("/api/v1/households?{query}"), Some(token));
    assert_eq!(r.status, 200, "{}", r.text);
    let next = r.body["next_cursor"]
        .as_str()
        .expect("a cursor on every page")
        .to_string();
    (
        r.body["items"].as_array().unwrap().clone(),
        next,
        r.body["has_more"].as_bool().unwrap(),
    )
}

#[test]
fn paging_sees_every_household_once_while_others_write() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    let office = app.token("office");
    let phone = app.token("enum");
    for i in 0..25 {
        app.seed_household(input(&household_in(VILLAGE, &format!("H{i:03}"))));
    }
    app.seed_household(input(&household_in(OTHER_VILLAGE, "FAR-1")));

    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut writes = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("limit=7&cursor={c}"),
            None => "limit=7".into(),
        };
        let (items, next, more) = page(&app, &phone, &q);
        for it in &items {
            seen.push((
                it["id"].as_str().unwrap().to_string(),
                it["version"].as_i64().unwrap(),
            ));
        }
        // Someone else writes between pages: a new household and an edit.
        if writes < 2 {
            writes += 1;
            app.post(
                "/api/v1/households",
                Some(&office),
                &household_in(VILLAGE, &format!("NEW{writes}")),
            );
            let first = &seen[0].0;
            let r = app.put(
                &format!("/api/v1/households/{first}"),
                Some(&office),
                &[("If-Match", &writes.to_string())],
                &household_in(VILLAGE, "H000"),
            );
            assert_eq!(r.status, 200, "{}", r.text);
        }
        cursor = Some(next);
        if !more {
            break;
        }
    }
    let distinct: HashSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "an (id, version) came twice");
    let ids: HashSet<_> = seen.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        ids.len(),
        27,
        "25 seeded + 2 created during paging, none outside the village"
    );
    // The edited household's latest version is what the phone ends with.
    let first = &seen[0].0;
    let latest = seen
        .iter()
        .filter(|(id, _)| id == first)
        .map(|(_, v)| *v)
        .max();
    assert_eq!(latest, Some(3));
}

/// A phone that reached the end keeps its cursor and, days later, gets
/// exactly what changed since: nothing twice, nothing missed.
#[test]
fn the_last_cursor_resumes_with_only_the_changes() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    let office = app.token("office");
    let a = app.seed_household(input(&household_in(VILLAGE, "A")));
    app.seed_household(input(&household_in(VILLAGE, "B")));
    let (items, cursor, more) = page(&app, &office, "limit=10");
    assert_eq!((items.len(), more), (2, false));
    let (items, same, _) = page(&app, &office, &format!("cursor={cursor}"));
    assert!(items.is_empty());
    assert_eq!(same, cursor, "an empty page keeps the position");
    app.seed_household(input(&household_in(VILLAGE, "C")));
    app.put(
        &format!("/api/v1/households/{a}"),
        Some(&office),
        &[("If-Match", "1")],
        &household_in(VILLAGE, "A"),
    );
    let (items, _, _) = page(&app, &office, &format!("cursor={cursor}"));
    let got: Vec<_> = items
        .iter()
        .map(|h| (h["household_code"].clone(), h["version"].clone()))
        .collect();
    assert_eq!(got, vec![(json!("C"), json!(1)), (json!("A"), json!(2))]);
}

#[test]
fn updated_since_and_scope_filter() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("sup", Role::Supervisor, COUNTY);
    app.seed_user("root", Role::Admin, CITY);
    let sup = app.token("sup");
    app.seed_household(input(&household_in(VILLAGE, "A")));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mark = chrono_now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    app.seed_household(input(&household_in(VILLAGE, "B")));
    app.seed_household(input(&household_in(OTHER_VILLAGE, "C")));

    let (items, _, more) = page(&app, &sup, &format!("updated_since={mark}"));
    assert_eq!(
        items
            .iter()
            .map(|h| h["household_code"].clone())
            .collect::<Vec<_>>(),
        vec![json!("B")]
    );
    assert!(!more);
    let (items, _, _) = page(&app, &sup, &format!("scope={TOWN}"));
    assert_eq!(items.len(), 2);
    // A scope outside the user's own is refused, not silently emptied.
    app.get(
        &format!("/api/v1/households?scope={OTHER_COUNTY}"),
        Some(&sup),
    )
    .assert_problem(403, "auth.out_of_scope");
    let root = app.token("root");
    let (items, _, _) = page(&app, &root, "scope=210921");
    assert_eq!(items.len(), 1);
}

fn chrono_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    // RFC 3339 in UTC with milliseconds, built by hand to keep the test crate lean.
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
