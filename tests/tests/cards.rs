//! The 明白卡 as a reader meets it: printed, rasterised, scanned.

use std::io::Read;

use sancha_server::db::audit;
use sancha_server::domain::Role;
use sancha_tests::*;
use serde_json::Value;

const HEADS: [&str; 6] = ["张建国", "李秀英", "王淑珍", "刘德华", "陈喆", "赵丽娟"];
const SECOND_VILLAGE: &str = "210922201204";

struct Village {
    app: TestApp,
    office: String,
    /// Household ids in the order seeded.
    ids: Vec<String>,
}

fn village(households: usize) -> Village {
    let app = TestApp::spawn();
    app.seed_example_regions();
    app.seed_regions(&[(SECOND_VILLAGE, "新华村")]);
    app.seed_user("office", Role::VillageOffice, VILLAGE);
    app.seed_user("enum", Role::Enumerator, VILLAGE);
    app.seed_user("sup", Role::Supervisor, COUNTY);
    app.seed_user("far", Role::Supervisor, OTHER_COUNTY);
    let ids = (0..households)
        .map(|i| {
            let mut h = household_in(VILLAGE, &format!("21092220120300{i:02}"));
            h["members"][0]["name"] = HEADS[i % HEADS.len()].into();
            app.seed_household(input(&h))
        })
        .collect();
    let office = app.token("office");
    Village { app, office, ids }
}

fn page_url(v: &Village, id: &str) -> String {
    let h = v
        .app
        .get(&format!("/api/v1/households/{id}"), Some(&v.office));
    format!(
        "{PUBLIC_BASE_URL}/c/{}",
        h.body["public_token"].as_str().expect("public_token")
    )
}

#[test]
fn the_phone_card_png_decodes_to_the_households_page() {
    let v = village(3);
    for id in &v.ids {
        let (status, content_type, bytes) = v.app.get_bytes(
            &format!("/api/v1/households/{id}/card.png"),
            Some(&v.office),
        );
        assert_eq!((status, content_type.as_str()), (200, "image/png"));
        let img = image::load_from_memory(&bytes).expect("a PNG").to_luma8();
        assert_eq!(img.width(), 1080);
        assert_eq!(decode_qr_codes(&img), vec![page_url(&v, id)]);
    }
}

#[test]
fn a_village_print_run_scans_from_a_150_dpi_raster() {
    if !have_poppler() {
        eprintln!("skipped: poppler-utils not installed");
        return;
    }
    let v = village(6);
    let (status, content_type, pdf) = v.app.get_bytes(
        &format!("/api/v1/regions/{VILLAGE}/cards.pdf"),
        Some(&v.office),
    );
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    let pages = rasterise(&pdf, 150);
    assert_eq!(pages.len(), 2, "six A6 cards fill two A4 pages");
    let mut decoded: Vec<String> = pages.iter().flat_map(decode_a6x4_page).collect();
    let mut expected: Vec<String> = v.ids.iter().map(|id| page_url(&v, id)).collect();
    decoded.sort();
    expected.sort();
    assert_eq!(decoded, expected);

    let text = pdf_text(&pdf);
    assert!(text.contains("双龙村"), "{text}");
    for head in HEADS {
        assert!(text.contains(head), "{head} not in the text layer");
    }

    // 谁打印: the print is an audit row naming every household and card version.
    let rows = v
        .app
        .state
        .db
        .read_blocking(|c| audit::for_entity(c, "card_print", VILLAGE))
        .expect("audit");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, "office");
    let detail: Value = serde_json::from_str(&rows[0].detail).expect("detail is JSON");
    assert_eq!(detail["layout"], "a6x4");
    let printed: Vec<&str> = detail["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0].as_str().unwrap())
        .collect();
    assert!(
        v.ids.iter().all(|id| printed.contains(&id.as_str())),
        "{detail}"
    );
}

#[test]
fn a_town_prints_as_a_zip_of_one_pdf_per_village() {
    let v = village(2);
    v.app
        .seed_household(input(&household_in(SECOND_VILLAGE, "2109222012040001")));
    let sup = v.app.token("sup");
    let (status, content_type, bytes) = v
        .app
        .get_bytes(&format!("/api/v1/regions/{TOWN}/cards.pdf"), Some(&sup));
    assert_eq!((status, content_type.as_str()), (200, "application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a readable ZIP");
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let name = entry.name().expect("a UTF-8 name").to_string();
        let mut pdf = Vec::new();
        entry.read_to_end(&mut pdf).expect("read entry");
        assert!(pdf.starts_with(b"%PDF-"), "{name} is not a PDF");
        names.push(name);
    }
    assert_eq!(
        names,
        vec![
            format!("{VILLAGE}-双龙村.pdf"),
            format!("{SECOND_VILLAGE}-新华村.pdf")
        ]
    );
}

#[test]
fn the_card_shows_who_checked_and_never_an_id_number() {
    if !have_poppler() {
        eprintln!("skipped: poppler-utils not installed");
        return;
    }
    let v = village(1);
    let id = &v.ids[0];
    let mut visit: Value =
        serde_json::from_str(include_str!("../../api-spec/examples/visit-clean.json")).unwrap();
    visit["household_id"] = id.as_str().into();
    let enumerator = v.app.token("enum");
    let r = v.app.put(
        &format!("/api/v1/visits/{}", uuid::Uuid::new_v4()),
        Some(&enumerator),
        &[],
        &visit,
    );
    assert_eq!(r.status, 201, "{}", r.text);

    let (status, _, pdf) = v.app.get_bytes(
        &format!("/api/v1/households/{id}/card.pdf?layout=a4"),
        Some(&v.office),
    );
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    for shown in [
        "赵丽",
        "村自查",
        "王建军",
        "13904180001",
        "肉牛养殖入股分红",
    ] {
        assert!(text.contains(shown), "{shown} missing from the card");
    }
    for member in example_household()["members"].as_array().unwrap() {
        let number = member["id_number"].as_str().unwrap();
        assert!(
            !text.contains(number) && !text.contains(&number[10..]),
            "an ID number is printed"
        );
    }
}

#[test]
fn who_may_print_what() {
    let v = village(1);
    let id = &v.ids[0];
    let enumerator = v.app.token("enum");
    let far = v.app.token("far");
    v.app
        .get(
            &format!("/api/v1/regions/{VILLAGE}/cards.pdf"),
            Some(&enumerator),
        )
        .assert_problem(403, "auth.role_forbidden");
    v.app
        .get(&format!("/api/v1/households/{id}/card.png"), Some(&far))
        .assert_problem(403, "auth.out_of_scope");
    v.app
        .get(&format!("/api/v1/regions/{VILLAGE}/cards.pdf"), Some(&far))
        .assert_problem(403, "auth.out_of_scope");
    v.app
        .get(&format!("/api/v1/households/{id}/card.pdf"), None)
        .assert_problem(401, "auth.unauthenticated");
    let bad = v.app.get(
        &format!("/api/v1/households/{id}/card.pdf?layout=a5"),
        Some(&v.office),
    );
    bad.assert_problem(400, "query.invalid");
    assert_eq!(
        bad.field_errors(),
        vec![("layout".to_string(), "query.invalid".to_string())]
    );
    let unknown = uuid::Uuid::new_v4();
    v.app
        .get(
            &format!("/api/v1/households/{unknown}/card.png"),
            Some(&v.office),
        )
        .assert_problem(404, "not_found");
    v.app
        .get(
            &format!("/api/v1/regions/{OTHER_VILLAGE}/cards.pdf"),
            Some(&v.app.token("sup")),
        )
        .assert_problem(403, "auth.out_of_scope");
    // The enumerator's phone shows its households' cards.
    let (status, _, _) = v.app.get_bytes(
        &format!("/api/v1/households/{id}/card.png"),
        Some(&enumerator),
    );
    assert_eq!(status, 200);
}

#[test]
fn print_history_and_reprint_list_follow_card_versions_and_reprint_prints_only_those() {
    let v = village(3);
    let (app, office) = (&v.app, v.office.as_str());
    let sup = app.token("sup");
    let (status, _, _) = app.get_bytes(
        &format!("/api/v1/regions/{VILLAGE}/cards.pdf"),
        Some(office),
    );
    assert_eq!(status, 200);
    let prints = app.get("/api/v1/prints", Some(office));
    assert_eq!(prints.status, 200, "{}", prints.text);
    let p = &prints.body["items"][0];
    assert_eq!(
        (
            p["kind"].as_str(),
            p["region_code"].as_str(),
            p["actor"].as_str()
        ),
        (Some("region"), Some(VILLAGE), Some("office"))
    );
    assert_eq!(
        (p["households"].clone(), p["layout"].clone()),
        (json!(3), json!("a6x4"))
    );
    assert_eq!(
        p["card_versions"],
        json!([{"card_version": 1, "households": 3}])
    );
    let reprint = |token: &str, region: &str| {
        let r = app.get(&format!("/api/v1/regions/{region}/reprint"), Some(token));
        assert_eq!(r.status, 200, "{}", r.text);
        r.body
    };
    assert_eq!(reprint(office, VILLAGE)["total"], 0);

    // A county's print run covers the village too; then one card is voided.
    let (status, ct, _) = app.get_bytes(&format!("/api/v1/regions/{COUNTY}/cards.pdf"), Some(&sup));
    assert_eq!((status, ct.as_str()), (200, "application/zip"));
    let rotated = app.post(
        &format!("/api/v1/households/{}/token/rotate", v.ids[1]),
        Some(office),
        &json!({}),
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    // A household added since was never printed: no card on its wall to replace.
    app.seed_household(input(&household_in(VILLAGE, "2109222012039999")));
    let due = reprint(office, VILLAGE);
    assert_eq!(due["total"], 1, "{due}");
    let row = &due["items"][0];
    assert_eq!(row["id"], v.ids[1].as_str());
    assert_eq!(
        (row["card_version"].clone(), row["printed_version"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(row["head_name"], HEADS[1]);
    assert_eq!(reprint(&sup, TOWN)["total"], 1);

    // Only the reprints, in one PDF, recorded as a print of that one card.
    let (status, ct, bytes) = app.get_bytes(
        &format!("/api/v1/regions/{VILLAGE}/cards.pdf?only=reprint"),
        Some(office),
    );
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    if have_poppler() {
        let text = pdf_text(&bytes);
        assert!(
            text.contains(HEADS[1]) && !text.contains(HEADS[0]),
            "{text}"
        );
    }
    let latest = &app.get("/api/v1/prints?limit=1", Some(office)).body;
    assert_eq!(
        latest["items"][0]["card_versions"],
        json!([{"card_version": 2, "households": 1}])
    );
    assert_eq!(latest["has_more"], true);
    let older = app.get(
        &format!(
            "/api/v1/prints?cursor={}",
            latest["next_cursor"].as_str().unwrap()
        ),
        Some(office),
    );
    assert_eq!(
        older.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        older.text
    );
    // The county's run is not the village's to list; the supervisor sees all three.
    assert_eq!(
        app.get(&format!("/api/v1/prints?scope={COUNTY}"), Some(&sup))
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(reprint(office, VILLAGE)["total"], 0);
    app.get(
        &format!("/api/v1/regions/{VILLAGE}/cards.pdf?only=reprint"),
        Some(office),
    )
    .assert_problem(404, "not_found");
    app.get(
        &format!("/api/v1/regions/{VILLAGE}/cards.pdf?only=all"),
        Some(office),
    )
    .assert_problem(400, "query.invalid");

    // One household's card is a print of one card.
    let (status, _, _) = app.get_bytes(
        &format!("/api/v1/households/{}/card.pdf", v.ids[0]),
        Some(office),
    );
    assert_eq!(status, 200);
    let one = &app.get("/api/v1/prints?limit=1", Some(office)).body["items"][0];
    assert_eq!(
        (one["kind"].as_str(), one["household_id"].as_str()),
        (Some("household"), Some(v.ids[0].as_str()))
    );

    let enumerator = app.token("enum");
    app.get("/api/v1/prints", Some(&enumerator))
        .assert_problem(403, "auth.role_forbidden");
    app.get(
        &format!("/api/v1/regions/{VILLAGE}/reprint"),
        Some(&enumerator),
    )
    .assert_problem(403, "auth.role_forbidden");
    app.get(&format!("/api/v1/regions/{COUNTY}/reprint"), Some(office))
        .assert_problem(403, "auth.out_of_scope");
    app.get("/api/v1/regions/1234567/reprint", Some(office))
        .assert_problem(400, "region.code_invalid");
}
