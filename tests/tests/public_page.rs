//! The resident's QR page: what it shows, what it never shows, the void card,
//! reports from its form.

use sancha_server::db::audit;
use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::{json, Value};

/// Distinctive values of every private field; none may reach the page.
const PRIVATE: &[&str] = &[
    "210922196805120119", // ID numbers, whole …
    "210922197003080228",
    "0120119", // … or in part
    "3617777", // an income line in fen, and as yuan
    "36177.77",
    "36,177.77",
    "42.385123", // the household's position to 6 decimals
    "122.540987",
    "42.385321", // the visit's position
    "diabetes",  // a disease
    "糖尿病",
    "私密投诉内容甲乙丙", // the visit's complaint
    "unstable_exited",    // the monitoring label
    "脱贫不稳定",
    "私密反映内容QWE", // a resident's report and contact
    "13800138000",
    "dissatisfied", // satisfaction answers
];

struct Card {
    app: TestApp,
    office: String,
    household_id: String,
    token: String,
}

fn card() -> Card {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    let mut h = example_household();
    h["location"] = json!({"lat": 42.385123, "lon": 122.540987, "datum": "WGS84"});
    let household_id = app.seed_household(input(&h));
    let office = app.token("office");
    let token = app
        .get(&format!("/api/v1/households/{household_id}"), Some(&office))
        .body["public_token"]
        .as_str()
        .unwrap()
        .to_string();
    Card {
        app,
        office,
        household_id,
        token,
    }
}

/// A visit carrying a distinctive value in every private field.
fn private_visit(household_id: &str) -> Value {
    let mut v: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    v["household_id"] = household_id.into();
    v["income"]["wage"][0]["gross_fen"] = 3_617_777.into();
    v["geo"]["lat"] = 42.385321.into();
    v["members"][1]["health"] = "chronic".into();
    v["members"][1]["chronic_kinds"] = json!(["diabetes"]);
    v["revisit"]["complaint_text"] = "私密投诉内容甲乙丙".into();
    v["revisit"]["answers"][0]["value"] = "dissatisfied".into();
    v["household"]["monitoring"] =
        json!({"is_monitored": true, "type": "unstable_exited", "risk_types": []});
    v
}

fn form_token_of(html: &str) -> String {
    let at = html
        .find("name=\"form_token\" value=\"")
        .expect("the page has a form token")
        + 25;
    html[at..].split('"').next().unwrap().to_string()
}

fn post_report(app: &TestApp, token: &str, fields: &[(&str, &str)]) -> Resp {
    let body = form_urlencode(fields);
    app.send(
        "POST",
        &format!("/c/{token}/report"),
        None,
        &[],
        Some(Body::Raw(
            "application/x-www-form-urlencoded",
            body.as_bytes(),
        )),
    )
}

fn assert_private_absent(r: &Resp, household_id: &str, what: &str) {
    let headers: String = r
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect();
    for value in PRIVATE.iter().copied().chain([household_id]) {
        assert!(!r.text.contains(value), "{what}: the page shows {value}");
        assert!(!headers.contains(value), "{what}: a header carries {value}");
    }
}

fn assert_strict_headers(r: &Resp) {
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    let csp = r.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(r.text.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(r.text.contains(r#"<html lang="zh-CN">"#));
    assert!(!r.text.contains("<script"), "no script on the page");
}

#[test]
fn the_page_shows_the_public_record_and_nothing_private_in_any_state() {
    let c = card();
    let enumerator = c.app.token("enum");
    let r = c.app.put(
        &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
        Some(&enumerator),
        &[],
        &private_visit(&c.household_id),
    );
    assert_eq!(r.status, 201, "{}", r.text);

    let page = c.app.get(&format!("/c/{}", c.token), None);
    assert_eq!(page.status, 200);
    assert_strict_headers(&page);
    for shown in [
        "双龙村",
        "彰武县",
        "张**",
        "2109222012030017",
        "本卡有效",
        "2026-11-20",
        "村自查",
        "赵丽",
        "丰田乡人民政府",
        "王建军",
        "tel:13904180001",
        "产业帮扶",
    ] {
        assert!(page.text.contains(shown), "{shown} is not on the page");
    }
    assert!(!page.text.contains("张建国"), "the head's name is masked");
    assert!(
        !page.text.contains("600.00") && !page.text.contains("60000"),
        "no amounts"
    );
    assert!(
        page.text.len() + include_str!("../../server/src/public/page.css").len() <= 30 * 1024,
        "page and CSS within 30 KB"
    );
    assert_private_absent(&page, &c.household_id, "the page");

    // A report with an invalid contact comes back with the form (422) …
    let ft = form_token_of(&page.text);
    let r = post_report(
        &c.app,
        &c.token,
        &[
            ("kind", "other"),
            ("text", "私密反映内容QWE"),
            ("contact", "x"),
            ("form_token", &ft),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.text.contains("联系电话格式不正确"));
    assert_strict_headers(&r);
    // … with what the resident typed kept, so they can fix it and send again.
    let r = post_report(
        &c.app,
        &c.token,
        &[
            ("kind", "other"),
            ("text", "私密反映内容QWE"),
            ("contact", "13800138000"),
            ("form_token", &ft),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("受理编号"));
    assert_private_absent(&r, &c.household_id, "the thank-you page");
    assert_private_absent(
        &c.app.get(&format!("/c/{}", c.token), None),
        &c.household_id,
        "the page after a report",
    );

    let rotated = c.app.post(
        &format!("/api/v1/households/{}/token/rotate", c.household_id),
        Some(&c.office),
        &json!({}),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    let void = c.app.get(&format!("/c/{}", c.token), None);
    assert_eq!(void.status, 410);
    assert!(void.text.contains("此卡已作废，请以村里张贴的新卡为准"));
    assert!(
        !void.text.contains("双龙村") && !void.text.contains("张**"),
        "the void page shows no household data"
    );
    assert_strict_headers(&void);
    assert_private_absent(&void, &c.household_id, "the void page");
    let unknown = c.app.get("/c/AAAAAAAAAAAAAAAAAAAAAA", None);
    assert_eq!(unknown.status, 404);
    assert_strict_headers(&unknown);
    assert_private_absent(&unknown, &c.household_id, "the unknown page");
}

#[test]
fn rotation_voids_the_old_card_and_bumps_its_version() {
    let c = card();
    let r = c.app.post(
        &format!("/api/v1/households/{}/token/rotate", c.household_id),
        Some(&c.office),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let new_token = r.body["public_token"].as_str().unwrap().to_string();
    assert_ne!(new_token, c.token);
    assert_eq!(c.app.get(&format!("/c/{}", c.token), None).status, 410);
    let page = c.app.get(&format!("/c/{new_token}"), None);
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("第2版"),
        "the reprinted card is version 2"
    );
    let h = c.app.get(
        &format!("/api/v1/households/{}", c.household_id),
        Some(&c.office),
    );
    assert_eq!(
        (
            h.body["public_token"].as_str(),
            h.body["card_version"].as_i64()
        ),
        (Some(new_token.as_str()), Some(2))
    );
    let trail = c
        .app
        .state
        .db
        .read_blocking(|conn| audit::for_entity(conn, "household", &c.household_id))
        .unwrap();
    assert!(trail
        .iter()
        .any(|row| row.action == "rotate_card_token" && row.actor == "office"));

    let enumerator = c.app.token("enum");
    let path = format!("/api/v1/households/{}/token/rotate", c.household_id);
    c.app
        .post(&path, Some(&enumerator), &json!({}))
        .assert_problem(403, "auth.role_forbidden");
}

#[test]
fn a_report_becomes_an_open_finding_and_injection_is_escaped() {
    let mut h = example_household();
    h["helpers"][0]["unit"] = r#""><img src=x onerror=alert(1)>"#.into();
    let app = TestApp::spawn();
    app.seed_example_regions();
    let household_id = app.seed_household(input(&h));
    let token = app
        .state
        .db
        .read_blocking(|c| sancha_server::db::households::get(c, &household_id))
        .unwrap()
        .unwrap()
        .public_token;

    let page = app.get(&format!("/c/{token}"), None);
    assert!(!page.text.contains("<img src=x"), "roster text is escaped");
    assert!(page
        .text
        .contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));

    let ft = form_token_of(&page.text);
    let payload = r#"<script>alert(1)</script>"><img onerror=alert(2)>"#;
    // Echoed back on a 422: escaped.
    let r = post_report(
        &app,
        &token,
        &[("kind", "bogus"), ("text", payload), ("form_token", &ft)],
    );
    assert_eq!(r.status, 422);
    assert!(
        !r.text.contains("<script>alert(1)") && !r.text.contains("<img onerror"),
        "{}",
        r.text
    );
    assert!(r.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));

    let r = post_report(
        &app,
        &token,
        &[
            ("kind", "benefit_missing"),
            ("text", payload),
            ("form_token", &ft),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let stored = app
        .state
        .db
        .read_blocking(|c| {
            use diesel::prelude::*;
            use sancha_server::db::schema::{feedback, findings};
            let f: Vec<(String, String, Option<String>)> = findings::table
                .filter(findings::household_id.eq(&household_id))
                .select((findings::code, findings::status, findings::visit_id))
                .load(c)?;
            let t: Vec<String> = feedback::table.select(feedback::text).load(c)?;
            Ok((f, t))
        })
        .unwrap();
    assert_eq!(
        stored.0,
        vec![("resident.feedback".to_string(), "open".to_string(), None)]
    );
    assert_eq!(
        stored.1,
        vec![payload.to_string()],
        "the text is stored as given"
    );

    // Another site's form (no or a forged form token) is refused.
    let r = post_report(&app, &token, &[("kind", "other"), ("text", "跨站提交")]);
    assert_eq!(r.status, 422);
    assert!(r.text.contains("页面已过期"));
    let r = post_report(
        &app,
        &token,
        &[
            ("kind", "other"),
            ("text", "跨站提交"),
            ("form_token", "99999.forged"),
        ],
    );
    assert_eq!(r.status, 422);
}

#[test]
fn reports_are_limited_per_card_per_day() {
    let c = card();
    let ft = form_token_of(&c.app.get(&format!("/c/{}", c.token), None).text);
    for i in 0..5 {
        let r = post_report(
            &c.app,
            &c.token,
            &[
                ("kind", "other"),
                ("text", &format!("第{i}次")),
                ("form_token", &ft),
            ],
        );
        assert_eq!(r.status, 200, "report {i}: {}", r.text);
    }
    let r = post_report(
        &c.app,
        &c.token,
        &[("kind", "other"), ("text", "第六次"), ("form_token", &ft)],
    );
    assert_eq!(r.status, 429);
    assert_strict_headers(&r);
}

#[test]
fn guessing_tokens_is_stopped_after_thirty_a_minute() {
    let c = card();
    for i in 0..30 {
        assert_eq!(c.app.get(&format!("/c/guess{i:017}"), None).status, 404);
    }
    assert_eq!(c.app.get("/c/guess-thirty-first", None).status, 429);
    assert_eq!(
        c.app.get(&format!("/c/{}", c.token), None).status,
        429,
        "blocked for the rest of the minute"
    );
}

/// The two servers a concurrent test sends through: on PostgreSQL the app and
/// a replica on its database (limits must hold across replicas); on SQLite,
/// whose file one server owns, the app twice.
fn two_servers(app: &TestApp) -> Option<TestApp> {
    (app.backend == Backend::Postgres).then(|| app.replica(std::time::Duration::from_secs(60)))
}

#[test]
fn twenty_concurrent_reports_on_one_card_store_exactly_five() {
    let c = card();
    let replica = two_servers(&c.app);
    let ft = form_token_of(&c.app.get(&format!("/c/{}", c.token), None).text);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let sent: Vec<_> = (0..20)
            .map(|i| {
                let server = if i % 2 == 1 {
                    replica.as_ref().unwrap_or(&c.app)
                } else {
                    &c.app
                };
                let (token, ft) = (&c.token, &ft);
                s.spawn(move || {
                    let text = format!("并发第{i}次");
                    post_report(
                        server,
                        token,
                        &[("kind", "other"), ("text", &text), ("form_token", ft)],
                    )
                    .status
                })
            })
            .collect();
        sent.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored = statuses.iter().filter(|&&s| s == 200).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((stored, refused), (5, 15), "{statuses:?}");
}

#[test]
fn forty_concurrent_guesses_through_two_servers_refuse_all_past_the_thirtieth() {
    let c = card();
    let replica = two_servers(&c.app);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let sent: Vec<_> = (0..40)
            .map(|i| {
                let server = if i % 2 == 1 {
                    replica.as_ref().unwrap_or(&c.app)
                } else {
                    &c.app
                };
                s.spawn(move || {
                    server
                        .get(&format!("/c/parallel-guess-{i:08}"), None)
                        .status
                })
            })
            .collect();
        sent.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let unknown = statuses.iter().filter(|&&s| s == 404).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((unknown, refused), (30, 10), "{statuses:?}");
    let other = replica.as_ref().unwrap_or(&c.app);
    assert_eq!(
        other.get(&format!("/c/{}", c.token), None).status,
        429,
        "blocked on every server"
    );
}
