//! The authorisation matrix: every endpoint × role × in-scope / out-of-scope.
//! A route added to the server without a row here fails this test.

use std::cell::Cell;

use sancha_server::api::ROUTES;
use sancha_server::domain::Role;
use sancha_tests::*;

const ROLES: [(Role, &str, &str); 4] = [
    (Role::Enumerator, "enum", VILLAGE),
    (Role::VillageOffice, "office", VILLAGE),
    (Role::Supervisor, "sup", COUNTY),
    (Role::Admin, "admin", COUNTY),
];

fn anyone(_: Role, _: bool) -> u16 {
    200
}
fn scoped_read(_: Role, inside: bool) -> u16 {
    if inside {
        200
    } else {
        403
    }
}
fn editors(created: u16) -> impl Fn(Role, bool) -> u16 {
    move |role, inside| match (role, inside) {
        (Role::VillageOffice | Role::Admin, true) => created,
        _ => 403,
    }
}
fn admin_only(ok: u16) -> impl Fn(Role, bool) -> u16 {
    move |role, inside| match (role, inside) {
        (Role::Admin, true) => ok,
        _ => 403,
    }
}

/// Enumerators submit self-checks, supervisors supervisory visits, admins
/// anything; village offices submit none.
fn submitters(ok: u16) -> impl Fn(Role, bool) -> u16 {
    move |role, inside| match (role, inside) {
        (Role::VillageOffice, _) | (_, false) => 403,
        _ => ok,
    }
}

/// Village offices, supervisors and admins print a region's cards.
fn printers(role: Role, inside: bool) -> u16 {
    match (role, inside) {
        (Role::Enumerator, _) | (_, false) => 403,
        _ => 200,
    }
}

/// Supervisors and admins, in scope.
fn supervisors(ok: u16) -> impl Fn(Role, bool) -> u16 {
    move |role, inside| match (role, inside) {
        (Role::Supervisor | Role::Admin, true) => ok,
        _ => 403,
    }
}

/// Village offices, supervisors and admins enrol phones and revoke them.
fn offices(ok: u16) -> impl Fn(Role, bool) -> u16 {
    move |role, inside| match (role, inside) {
        (Role::Enumerator, _) | (_, false) => 403,
        _ => ok,
    }
}

fn visit_for(household_id: &str, level: &str) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    v["household_id"] = household_id.into();
    v["level"] = level.into();
    v
}

#[test]
fn every_endpoint_by_role_and_scope() {
    let app = TestApp::spawn();
    app.seed_example_regions();
    for (role, name, scope) in ROLES {
        app.seed_user(name, role, scope);
        app.seed_user(&format!("{name}-target"), Role::Enumerator, scope);
    }
    app.seed_user("far-target", Role::Enumerator, OTHER_VILLAGE);
    app.seed_user("root", Role::Admin, CITY);
    let inside_id = app.seed_household(input(&household_in(VILLAGE, "IN-1")));
    let outside_id = app.seed_household(input(&household_in(OTHER_VILLAGE, "OUT-1")));
    // One stored visit on each side, made by a city admin.
    let root = app.token("root");
    // Each visit references its own photo, uploaded by the same admin.
    let visit_of = |household: &str, seed: u8| {
        let id = uuid::Uuid::new_v4().to_string();
        let (bytes, sha) = png(seed);
        let mut v = visit_for(household, "village_self");
        v["photos"][0]["sha256"] = sha.clone().into();
        let r = app.put(&format!("/api/v1/visits/{id}"), Some(&root), &[], &v);
        assert_eq!(r.status, 201, "{}", r.text);
        let up = app.send(
            "PUT",
            &format!("/api/v1/blobs/{sha}"),
            Some(&root),
            &[],
            Some(Body::Raw("image/png", &bytes)),
        );
        assert_eq!(up.status, 201);
        (id, sha)
    };
    let ((inside_visit, inside_blob), (outside_visit, outside_blob)) =
        (visit_of(&inside_id, 1), visit_of(&outside_id, 2));
    // A new open finding on a household (a visit with too little water), moved on
    // by the city admin to `status` first.
    let finding_in = |household: &str, status: &str| {
        let mut v = visit_for(household, "village_self");
        v["quality"]["water"]["quantity_lpd"] = 30.into();
        let r = app.put(
            &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
            Some(&root),
            &[],
            &v,
        );
        let id = r.body["findings"][0]["id"]
            .as_str()
            .expect("a finding")
            .to_string();
        let note = json!({"note": "准备"});
        if status != "open" {
            assert_eq!(
                app.post(
                    &format!("/api/v1/findings/{id}/rectify"),
                    Some(&root),
                    &note
                )
                .status,
                200
            );
        }
        if status == "closed" {
            assert_eq!(
                app.post(&format!("/api/v1/findings/{id}/close"), Some(&root), &note)
                    .status,
                200
            );
        }
        id
    };
    // A sample of each village, drawn by the city admin.
    let sample_of = |village: &str| {
        let r = app.post(
            "/api/v1/samples",
            Some(&root),
            &json!({"scope": village, "level": "town_mutual", "seed": 1}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap().to_string()
    };
    let (inside_sample, outside_sample) = (sample_of(VILLAGE), sample_of(OTHER_VILLAGE));
    let fresh_png = Cell::new(10u8);
    let serial = Cell::new(0);
    let next_code = || {
        serial.set(serial.get() + 1);
        format!("NEW-{}", serial.get())
    };
    let mut covered = Vec::new();

    for (role, name, _) in ROLES {
        let token = app.token(name);
        let t = Some(token.as_str());
        let mut check = |method: &str,
                         route: &str,
                         inside: bool,
                         expect: &dyn Fn(Role, bool) -> u16,
                         r: Resp| {
            let want = expect(role, inside);
            assert_eq!(
                r.status,
                want,
                "{method} {route} as {name} ({}): {}",
                if inside { "in scope" } else { "out of scope" },
                r.text
            );
            covered.push((method.to_string(), route.to_string()));
        };
        for inside in [true, false] {
            let (village, hh, target) = if inside {
                (VILLAGE, &inside_id, format!("{name}-target"))
            } else {
                (OTHER_VILLAGE, &outside_id, "far-target".to_string())
            };
            // The region and user scopes an in-scope request uses must be inside every role's scope.
            let region_scope = if inside { VILLAGE } else { OTHER_COUNTY };
            check(
                "get",
                "/healthz",
                inside,
                &anyone,
                app.get("/healthz", None),
            );
            check("get", "/readyz", inside, &anyone, app.get("/readyz", None));
            check(
                "get",
                "/metrics",
                inside,
                &anyone,
                app.get("/metrics", None),
            );
            check(
                "get",
                "/api/v1/rules",
                inside,
                &anyone,
                app.get("/api/v1/rules", t),
            );
            check(
                "get",
                "/api/v1/regions",
                inside,
                &anyone,
                app.get(&format!("/api/v1/regions?parent={region_scope}"), t),
            );
            let region = if inside {
                "210922201204"
            } else {
                "210921100202"
            };
            let r = app.put(
                &format!("/api/v1/regions/{region}"),
                t,
                &[],
                &json!({"name": format!("{name}村")}),
            );
            let ok = if r.status == 201 { 201 } else { 200 };
            check("put", "/api/v1/regions/{code}", inside, &admin_only(ok), r);
            let body = household_in(village, &next_code());
            check(
                "post",
                "/api/v1/households",
                inside,
                &editors(201),
                app.post("/api/v1/households", t, &body),
            );
            check(
                "get",
                "/api/v1/households",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/households?scope={region_scope}"), t),
            );
            check(
                "post",
                "/api/v1/households/search",
                inside,
                &scoped_read,
                app.post(
                    "/api/v1/households/search",
                    t,
                    &json!({"scope": region_scope}),
                ),
            );
            check(
                "get",
                "/api/v1/households/{id}",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/households/{hh}"), t),
            );
            let version = app
                .state
                .db
                .read_blocking(|c| sancha_server::db::households::get(c, hh))
                .unwrap()
                .unwrap()
                .version;
            let mut replacement = household_in(village, if inside { "IN-1" } else { "OUT-1" });
            replacement["group_name"] = "五组".into();
            let r = app.put(
                &format!("/api/v1/households/{hh}"),
                t,
                &[("If-Match", &version.to_string())],
                &replacement,
            );
            check("put", "/api/v1/households/{id}", inside, &editors(200), r);
            let file = format!(
                "户编号,区划代码,村民小组,识别年度,脱贫状态,贫困户属性,主要致贫原因,姓名,证件号码,与户主关系\r\n\
                 {},{village},一组,2014,未脱贫,一般贫困户,因病,张三,{},户主\r\n",
                next_code(),
                id_with_check("21092219800101123"),
            );
            let r = app.send(
                "POST",
                "/api/v1/imports/households?dry_run=true",
                t,
                &[],
                Some(Body::Raw("text/csv", file.as_bytes())),
            );
            check(
                "post",
                "/api/v1/imports/households",
                inside,
                &editors(200),
                r,
            );
            for template in ["template.csv", "template.xlsx"] {
                let r = app.get(&format!("/api/v1/imports/{template}"), t);
                check(
                    "get",
                    &format!("/api/v1/imports/{template}"),
                    inside,
                    &anyone,
                    r,
                );
            }
            // Phones: codes for the target user, their devices, and revoking one
            // that the city admin enrolled.
            let usernames = json!({"usernames": [target]});
            let r = app.post("/api/v1/enrolments", t, &usernames);
            check("post", "/api/v1/enrolments", inside, &offices(201), r);
            let r = app.post("/api/v1/enrolments/sheet.pdf", t, &usernames);
            check(
                "post",
                "/api/v1/enrolments/sheet.pdf",
                inside,
                &offices(200),
                r,
            );
            let r = app.get(&format!("/api/v1/users/{target}/devices"), t);
            check(
                "get",
                "/api/v1/users/{username}/devices",
                inside,
                &offices(200),
                r,
            );
            let code = app.post("/api/v1/enrolments", Some(&root), &usernames).body["items"][0]
                ["code"]
                .as_str()
                .expect("a code")
                .to_string();
            let device = app.post("/api/v1/devices", None, &json!({"code": code}));
            assert_eq!(device.status, 201, "{}", device.text);
            let id = device.body["device_id"].as_str().unwrap().to_string();
            let r = app.post(&format!("/api/v1/devices/{id}/revoke"), t, &json!({}));
            check(
                "post",
                "/api/v1/devices/{id}/revoke",
                inside,
                &offices(200),
                r,
            );
            // Only an enrolled phone's session reports; a password session is refused.
            let report = json!({"app_version": "1", "unsent": 0});
            let r = app.post("/api/v1/devices/report", t, &report);
            check("post", "/api/v1/devices/report", inside, &|_, _| 403, r);
            let new_user = json!({"username": format!("{}-{}", name, next_code()), "password": "long-enough-pw", "role": "enumerator", "scope": if inside { VILLAGE } else { OTHER_VILLAGE }});
            check(
                "post",
                "/api/v1/users",
                inside,
                &admin_only(201),
                app.post("/api/v1/users", t, &new_user),
            );
            check(
                "get",
                "/api/v1/users",
                inside,
                &offices(200),
                app.get(&format!("/api/v1/users?scope={region_scope}"), t),
            );
            let r = app.post(&format!("/api/v1/users/{target}/disable"), t, &json!({}));
            check(
                "post",
                "/api/v1/users/{username}/disable",
                inside,
                &admin_only(200),
                r,
            );
            let r = app.post(
                &format!("/api/v1/users/{target}/password"),
                t,
                &json!({"password": "long-enough-pw"}),
            );
            check(
                "post",
                "/api/v1/users/{username}/password",
                inside,
                &admin_only(200),
                r,
            );
            let r = app.post(&format!("/api/v1/users/{target}/enable"), t, &json!({}));
            check(
                "post",
                "/api/v1/users/{username}/enable",
                inside,
                &admin_only(200),
                r,
            );
        }
        for inside in [true, false] {
            let (hh, visit, scope, blob) = if inside {
                (&inside_id, &inside_visit, VILLAGE, &inside_blob)
            } else {
                (&outside_id, &outside_visit, OTHER_COUNTY, &outside_blob)
            };
            check(
                "get",
                "/api/v1/blobs/{sha256}",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/blobs/{blob}"), t),
            );
            let r = app.get(&format!("/api/v1/blobs/{blob}/thumbnail"), t);
            check(
                "get",
                "/api/v1/blobs/{sha256}/thumbnail",
                inside,
                &scoped_read,
                r,
            );
            // Anyone signed in may upload bytes; reading them needs a visit in scope.
            fresh_png.set(fresh_png.get() + 1);
            let (bytes, sha) = png(fresh_png.get());
            let r = app.send(
                "PUT",
                &format!("/api/v1/blobs/{sha}"),
                t,
                &[],
                Some(Body::Raw("image/png", &bytes)),
            );
            check("put", "/api/v1/blobs/{sha256}", inside, &|_, _| 201, r);
            // Each role submits the level it may submit, if any.
            let level = if role == Role::Supervisor {
                "town_mutual"
            } else {
                "village_self"
            };
            let body = visit_for(hh, level);
            let r = app.put(
                &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
                t,
                &[],
                &body,
            );
            check(
                "put",
                "/api/v1/visits/{visit_id}",
                inside,
                &submitters(201),
                r,
            );
            check(
                "post",
                "/api/v1/visits/validate",
                inside,
                &submitters(200),
                app.post("/api/v1/visits/validate", t, &body),
            );
            let batch =
                json!({"visits": [{"visit_id": uuid::Uuid::new_v4().to_string(), "visit": body}]});
            let r = app.post("/api/v1/visits/batch", t, &batch);
            assert_eq!(r.status, 200, "{}", r.text);
            let item = r.body["results"][0]["status"].as_u64().unwrap() as u16;
            assert_eq!(item, submitters(201)(role, inside), "batch item as {name}");
            check("post", "/api/v1/visits/batch", inside, &anyone, r);
            check(
                "get",
                "/api/v1/visits/{visit_id}",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/visits/{visit}"), t),
            );
            check(
                "get",
                "/api/v1/visits",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/visits?scope={scope}"), t),
            );
            check(
                "get",
                "/api/v1/findings",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/findings?scope={scope}"), t),
            );
            let r = app.get(
                &format!("/api/v1/findings/{}/history", finding_in(hh, "open")),
                t,
            );
            check(
                "get",
                "/api/v1/findings/{id}/history",
                inside,
                &scoped_read,
                r,
            );
            let note = json!({"note": "说明"});
            let r = app.post(
                &format!("/api/v1/findings/{}/rectify", finding_in(hh, "open")),
                t,
                &note,
            );
            check(
                "post",
                "/api/v1/findings/{id}/rectify",
                inside,
                &editors(200),
                r,
            );
            let r = app.post(
                &format!("/api/v1/findings/{}/close", finding_in(hh, "rectified")),
                t,
                &note,
            );
            check(
                "post",
                "/api/v1/findings/{id}/close",
                inside,
                &supervisors(200),
                r,
            );
            let r = app.post(
                &format!("/api/v1/findings/{}/reopen", finding_in(hh, "closed")),
                t,
                &note,
            );
            check(
                "post",
                "/api/v1/findings/{id}/reopen",
                inside,
                &supervisors(200),
                r,
            );
            let r = app.post(
                &format!("/api/v1/visits/{visit}/review"),
                t,
                &json!({"decision": "approve"}),
            );
            check(
                "post",
                "/api/v1/visits/{visit_id}/review",
                inside,
                &supervisors(200),
                r,
            );
            check(
                "get",
                "/api/v1/audit",
                inside,
                &supervisors(200),
                app.get(&format!("/api/v1/audit?scope={scope}"), t),
            );
            let town = if inside { TOWN } else { OTHER_TOWN };
            let r = app.post(
                "/api/v1/samples",
                t,
                &json!({"scope": town, "level": "town_mutual", "seed": 1}),
            );
            check("post", "/api/v1/samples", inside, &supervisors(201), r);
            check(
                "get",
                "/api/v1/samples",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/samples?scope={scope}"), t),
            );
            let sample = if inside {
                &inside_sample
            } else {
                &outside_sample
            };
            let r = app.get(&format!("/api/v1/samples/{sample}"), t);
            check("get", "/api/v1/samples/{id}", inside, &scoped_read, r);
            for file in ["households.csv", "households.xlsx"] {
                let r = app.get(&format!("/api/v1/samples/{sample}/{file}"), t);
                check(
                    "get",
                    &format!("/api/v1/samples/{{id}}/{file}"),
                    inside,
                    &printers,
                    r,
                );
            }
            check(
                "get",
                "/api/v1/progress",
                inside,
                &scoped_read,
                app.get(&format!("/api/v1/progress?scope={scope}"), t),
            );
            for report in ["integrity", "integrity.csv", "integrity.xlsx"] {
                let r = app.get(&format!("/api/v1/{report}?scope={scope}"), t);
                check(
                    "get",
                    &format!("/api/v1/{report}"),
                    inside,
                    &supervisors(200),
                    r,
                );
            }
            for export in ["visits.csv", "visits.xlsx", "findings.csv", "findings.xlsx"] {
                let r = app.get(&format!("/api/v1/exports/{export}?scope={scope}"), t);
                check(
                    "get",
                    &format!("/api/v1/exports/{export}"),
                    inside,
                    &printers,
                    r,
                );
            }
            let r = app.get(&format!("/api/v1/households/{hh}/card.pdf"), t);
            check(
                "get",
                "/api/v1/households/{id}/card.pdf",
                inside,
                &scoped_read,
                r,
            );
            let r = app.get(&format!("/api/v1/households/{hh}/card.png"), t);
            check(
                "get",
                "/api/v1/households/{id}/card.png",
                inside,
                &scoped_read,
                r,
            );
            let village = if inside { VILLAGE } else { OTHER_VILLAGE };
            let r = app.get(&format!("/api/v1/regions/{village}/cards.pdf"), t);
            check(
                "get",
                "/api/v1/regions/{code}/cards.pdf",
                inside,
                &printers,
                r,
            );
            let r = app.get(&format!("/api/v1/regions/{village}/reprint"), t);
            check(
                "get",
                "/api/v1/regions/{code}/reprint",
                inside,
                &printers,
                r,
            );
            let r = app.get(&format!("/api/v1/prints?scope={village}"), t);
            check("get", "/api/v1/prints", inside, &printers, r);
            let r = app.post(
                &format!("/api/v1/households/{hh}/token/rotate"),
                t,
                &json!({}),
            );
            check(
                "post",
                "/api/v1/households/{id}/token/rotate",
                inside,
                &editors(200),
                r,
            );
            let r = app.post(
                &format!("/api/v1/households/{hh}/members/1/reveal"),
                t,
                &json!({}),
            );
            check(
                "post",
                "/api/v1/households/{id}/members/{member_no}/reveal",
                inside,
                &printers,
                r,
            );
        }
        // The QR page is public: the token is the key.
        let token = app
            .state
            .db
            .read_blocking(|c| sancha_server::db::households::get(c, &inside_id))
            .unwrap()
            .unwrap()
            .public_token;
        check(
            "get",
            "/c/{token}",
            true,
            &anyone,
            app.get(&format!("/c/{token}"), None),
        );
        let page = app.get(&format!("/c/{token}"), None).text;
        let at = page.find("name=\"form_token\" value=\"").unwrap() + 25;
        let ft = page[at..].split('"').next().unwrap().to_string();
        let form = form_urlencode(&[("kind", "other"), ("text", "测试"), ("form_token", &ft)]);
        let r = app.send(
            "POST",
            &format!("/c/{token}/report"),
            None,
            &[],
            Some(Body::Raw(
                "application/x-www-form-urlencoded",
                form.as_bytes(),
            )),
        );
        check("post", "/c/{token}/report", true, &anyone, r);
        check(
            "get",
            "/static/page.css",
            true,
            &anyone,
            app.get("/static/page.css", None),
        );
        // Sign-in, refresh and sign-out need no token.
        let r = app.post(
            "/api/v1/auth/token",
            None,
            &json!({"username": name, "password": PASSWORD}),
        );
        let refresh = r.body["refresh_token"].as_str().unwrap().to_string();
        check("post", "/api/v1/auth/token", true, &anyone, r);
        let r = app.post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": refresh}),
        );
        let refresh = r.body["refresh_token"].as_str().unwrap().to_string();
        check("post", "/api/v1/auth/refresh", true, &anyone, r);
        let r = app.post(
            "/api/v1/auth/logout",
            None,
            &json!({"refresh_token": refresh}),
        );
        check("post", "/api/v1/auth/logout", true, &|_, _| 204, r);
        // Enrolling needs no token: the code is the proof.
        let r = app.post("/api/v1/devices", None, &json!({"code": "not-a-code"}));
        check("post", "/api/v1/devices", true, &|_, _| 401, r);
    }

    for (method, path) in ROUTES {
        assert!(
            covered.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} has no row in the authorisation matrix"
        );
    }
}

/// Without a token, everything but sign-in, health and metrics is 401.
#[test]
fn every_protected_endpoint_needs_a_token() {
    let app = TestApp::spawn();
    let public = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/devices",
        "/c/{token}",
        "/c/{token}/report",
        "/static/page.css",
    ];
    for (method, path) in ROUTES.iter().filter(|(_, p)| !public.contains(p)) {
        let concrete = path
            .replace("{code}", VILLAGE)
            .replace("{id}", "x")
            .replace("{username}", "x")
            .replace("{member_no}", "1")
            .replace("{visit_id}", "6f1c1c1e-0000-4000-8000-000000000000")
            .replace("{sha256}", &"a".repeat(64));
        let body = (*method != "get").then(|| json!({}));
        let r = app.send(
            &method.to_uppercase(),
            &concrete,
            None,
            &[],
            body.as_ref().map(Body::Json),
        );
        r.assert_problem(401, "auth.unauthenticated");
    }
}
