//! Regions: created and renamed by admins, listed by parent, either code form.

use sancha_server::domain::Role;
use sancha_tests::*;

#[test]
fn create_rename_and_list_children_in_either_code_form() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("admin", Role::Admin, COUNTY);
    let t = app.token("admin");

    let r = app.put(
        "/api/v1/regions/210922202",
        Some(&t),
        &[],
        &json!({"name": "大冷乡"}),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"code": "210922202000", "name": "大冷乡", "level": "town", "parent": "210922000000"})
    );
    let r = app.put(
        "/api/v1/regions/210922202000",
        Some(&t),
        &[],
        &json!({"name": "大冷镇"}),
    );
    assert_eq!((r.status, r.body["name"].clone()), (200, json!("大冷镇")));
    let r = app.put(
        "/api/v1/regions/210922202201",
        Some(&t),
        &[],
        &json!({"name": "  "}),
    );
    assert_eq!(
        r.field_errors(),
        vec![("/name".into(), "schema.invalid".into())]
    );
    let r = app.put(
        "/api/v1/regions/2109222",
        Some(&t),
        &[],
        &json!({"name": "x"}),
    );
    r.assert_problem(400, "region.code_invalid");

    for parent in ["210922", "210922000000"] {
        let r = app.get(&format!("/api/v1/regions?parent={parent}"), Some(&t));
        let codes: Vec<_> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].clone())
            .collect();
        assert_eq!(codes, vec![json!("210922201000"), json!("210922202000")]);
    }
    // Without a parent: the children of the caller's own scope.
    let r = app.get("/api/v1/regions", Some(&t));
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
}
