//! `serve --demo` is a campaign in progress: beside the roster, village
//! self-checks on most households, a drawn sample and part of its
//! supervisory visits, findings open, rectified and closed, and a rejected
//! visit waiting for the demo enumerator. All of it is checked over the API,
//! as a newcomer's screens would see it.

use std::collections::{BTreeMap, BTreeSet};

use sancha_server::demo::{self, DEMO_PASSWORD, DEMO_USERS, DEMO_VILLAGE};
use sancha_tests::*;
use serde_json::Value;

fn demo_app() -> TestApp {
    let app = TestApp::spawn();
    let started = std::time::Instant::now();
    let seeded = demo::seed_if_empty(&app.state.db, &app.state.rules).expect("seed");
    eprintln!("demo seeded in {:.2} s", started.elapsed().as_secs_f64());
    assert!(seeded);
    app
}

fn sign_in(app: &TestApp, username: &str) -> Resp {
    app.post(
        "/api/v1/auth/token",
        None,
        &json!({"username": username, "password": DEMO_PASSWORD}),
    )
}

fn token(app: &TestApp, username: &str) -> String {
    let r = sign_in(app, username);
    assert_eq!(r.status, 200, "{username}: {}", r.text);
    r.body["access_token"].as_str().unwrap().to_string()
}

/// Every item of a paged list (`path` may carry a query already).
fn all(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor = String::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    loop {
        let r = app.get(
            &format!("{path}{sep}limit=500&cursor={cursor}"),
            Some(token),
        );
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        items.extend(r.body["items"].as_array().cloned().unwrap_or_default());
        cursor = r.body["next_cursor"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !r.body["has_more"].as_bool().unwrap_or(false) {
            return items;
        }
    }
}

fn count_by<'a>(items: &'a [Value], key: &str) -> BTreeMap<&'a str, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item[key].as_str().unwrap_or("")).or_default() += 1;
    }
    counts
}

#[test]
fn the_demo_is_a_campaign_in_progress() {
    let app = demo_app();

    // The demo users keep their names and scopes.
    for (username, role, scope) in DEMO_USERS {
        let r = sign_in(&app, username);
        assert_eq!(r.status, 200, "{username}: {}", r.text);
        assert_eq!(r.body["user"]["role"], role.as_str());
        let full = format!("{scope:0<12}");
        assert_eq!(r.body["user"]["scope"], full.as_str(), "{username}");
    }
    let admin = token(&app, "admin");
    let households = all(&app, &admin, "/api/v1/households");
    assert_eq!(households.len(), 504);

    // Village self-checks on most households, each by an enumerator of its
    // village; supervisory visits too.
    let visits = all(&app, &admin, "/api/v1/visits");
    let levels = count_by(&visits, "level");
    let self_checked: BTreeSet<&str> = visits
        .iter()
        .filter(|v| v["level"] == "village_self")
        .filter_map(|v| v["household_id"].as_str())
        .collect();
    assert!(
        (400..=470).contains(&self_checked.len()),
        "about 85% of 504 self-checked: {levels:?}"
    );
    assert_eq!(levels["village_self"], self_checked.len(), "one each");
    assert!(
        levels.get("town_mutual").copied().unwrap_or(0) > 10,
        "{levels:?}"
    );
    for v in visits.iter().filter(|v| v["level"] == "village_self") {
        let household = households
            .iter()
            .find(|h| h["id"] == v["household_id"])
            .unwrap();
        let village = household["division_code"].as_str().unwrap();
        let expected = if village == DEMO_VILLAGE {
            "enumerator".to_string()
        } else {
            format!("enum-{village}")
        };
        assert_eq!(v["inspector"], expected.as_str());
    }
    let reviews = count_by(&visits, "review");
    assert_eq!(reviews.get("rejected"), Some(&1), "{reviews:?}");
    assert!(
        reviews.get("approved").is_some_and(|n| *n > 0),
        "{reviews:?}"
    );
    assert!(
        visits.iter().any(|v| v["verified_on_site"] == true)
            && visits.iter().any(|v| v["verified_on_site"] == false)
    );

    // Findings of several codes and severities, in each status.
    let findings = all(&app, &admin, "/api/v1/findings");
    let statuses = count_by(&findings, "status");
    for status in ["open", "rectified", "closed"] {
        assert!(statuses.get(status).is_some_and(|n| *n > 0), "{statuses:?}");
    }
    let codes = count_by(&findings, "code");
    for code in [
        "med.uninsured",
        "housing.unsafe",
        "income.below_line",
        "sat.dissatisfied",
    ] {
        assert!(codes.contains_key(code), "{code} missing: {codes:?}");
    }
    assert!(codes.len() >= 8, "{codes:?}");
    let severities = count_by(&findings, "severity");
    for severity in ["high", "medium", "low"] {
        assert!(severities.contains_key(severity), "{severities:?}");
    }
    // The demo village office has its own list in every status.
    let village = token(&app, "village");
    let own = all(&app, &village, "/api/v1/findings");
    assert!(own.iter().all(|f| {
        households
            .iter()
            .any(|h| h["id"] == f["household_id"] && h["division_code"] == DEMO_VILLAGE)
    }));
    let own_statuses = count_by(&own, "status");
    for status in ["open", "rectified", "closed"] {
        assert!(
            own_statuses.get(status).is_some_and(|n| *n > 0),
            "{own_statuses:?}"
        );
    }

    // Each move is in the audit log, with its note.
    let supervisor = token(&app, "supervisor");
    for (action, actor) in [
        ("rectify", "village"),
        ("close", "supervisor"),
        ("reject", "supervisor"),
        ("approve", "supervisor"),
    ] {
        let rows = all(
            &app,
            &supervisor,
            &format!("/api/v1/audit?action={action}&actor={actor}"),
        );
        assert!(!rows.is_empty(), "no {action} by {actor} in the audit log");
        assert!(rows[0]["detail"].as_str().unwrap().contains("note"));
    }

    // The demo enumerator has the rejected visit to correct.
    let enumerator = token(&app, "enumerator");
    let rejected = app.get(
        "/api/v1/visits?mine=true&review=rejected",
        Some(&enumerator),
    );
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    let items = rejected.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", rejected.text);
    assert_eq!(items[0]["inspector"], "enumerator");
    assert!(items[0]["review_note"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    let id = items[0]["id"].as_str().unwrap();
    let visit = app.get(&format!("/api/v1/visits/{id}"), Some(&enumerator));
    assert_eq!(visit.status, 200, "{}", visit.text);
    assert_eq!(visit.body["document"]["schema_version"], "sancha.visit.v1");
    assert_eq!(visit.body["reviewed_by"], "supervisor");
    let mine = all(&app, &enumerator, "/api/v1/visits?mine=true");
    assert!(mine.len() > 20 && mine.iter().all(|v| v["inspector"] == "enumerator"));

    // A drawn town_mutual sample, about half of it visited at that level.
    let samples = app.get("/api/v1/samples", Some(&supervisor));
    assert_eq!(samples.status, 200, "{}", samples.text);
    let list = samples.body["items"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", samples.text);
    let sample = &list[0];
    assert_eq!(sample["level"], "town_mutual");
    assert_eq!(sample["scope"], "210922201000");
    let picked: BTreeSet<&str> = sample["households"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(picked.len(), 84, "50% of the town's 168 households");
    let synced = all(
        &app,
        &supervisor,
        &format!(
            "/api/v1/households?sample={}",
            sample["id"].as_str().unwrap()
        ),
    );
    assert_eq!(synced.len(), picked.len());
    let visited: BTreeSet<&str> = visits
        .iter()
        .filter(|v| v["level"] == "town_mutual")
        .filter_map(|v| v["household_id"].as_str())
        .collect();
    assert!(visited.is_subset(&picked));
    assert_eq!(visited.len(), picked.len().div_ceil(2));

    // Progress has something to show.
    let progress = app.get("/api/v1/progress?scope=210922", Some(&supervisor));
    assert_eq!(progress.status, 200, "{}", progress.text);

    // Seeding again does nothing: the database is not empty.
    assert!(!demo::seed_if_empty(&app.state.db, &app.state.rules).unwrap());
    assert_eq!(all(&app, &admin, "/api/v1/visits").len(), visits.len());
}
