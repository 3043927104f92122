//! The rectification list (整改清单): findings by scope, status, code.

use std::collections::HashSet;

use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

#[test]
fn the_office_lists_its_open_findings_with_filters_and_pages() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    let household_id = app.seed_household(input(&example_household()));
    let mut v: Value = serde_json::from_str(include_str!("../../api-spec/examples/visit-finding-water.json")).unwrap();
    v["household_id"] = household_id.as_str().into();
    let r = app.put(&format!("/api/v1/visits/{}", uuid::Uuid::new_v4()), Some(&app.token("enum")), &[], &v);
    assert_eq!(r.status, 201, "{}", r.text);
    let raised: HashSet<String> = r.body["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
    assert!(!raised.is_empty());

    let office = app.token("office");
    let mut seen = HashSet::new();
    let mut cursor = String::new();
    loop {
        let r = app.get(&format!("/api/v1/findings?status=open&limit=1&cursor={cursor}"), Some(&office));
        assert_eq!(r.status, 200, "{}", r.text);
        for f in r.body["items"].as_array().unwrap() {
            assert_eq!(f["status"], "open");
            assert!(f["code"].as_str().unwrap().starts_with("water."));
            assert!(!f["message"].as_str().unwrap().is_empty());
            seen.insert(f["id"].as_str().unwrap().to_string());
        }
        cursor = r.body["next_cursor"].as_str().unwrap().to_string();
        if !r.body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen, raised);

    let one = app.get("/api/v1/findings?code=water.quantity", Some(&office));
    assert_eq!(one.body["items"].as_array().unwrap().len(), 1, "{}", one.text);
    let none = app.get("/api/v1/findings?status=closed", Some(&office));
    assert!(none.body["items"].as_array().unwrap().is_empty());
    app.get("/api/v1/findings?status=done", Some(&office)).assert_problem(400, "query.invalid");
    app.get("/api/v1/findings?code=water.flood", Some(&office)).assert_problem(400, "query.invalid");
    app.get(&format!("/api/v1/findings?scope={VILLAGE}"), Some(&app.token("far"))).assert_problem(403, "auth.out_of_scope");
}
