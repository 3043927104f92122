//! Replays the fuzzers' corpora (`fuzz/corpus/<target>/`, kept in the
//! repository) through the same entry points, so every `cargo test` keeps the
//! inputs the fuzzers found interesting honest: none of them may panic.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("corpus entry").path();
        let data = std::fs::read(&path).expect("corpus file");
        run(&data);
        n += 1;
    }
    n
}

#[test]
fn the_visit_corpus_replays_without_panic() {
    assert!(
        replay("visit", sancha_server::fuzzing::visit) >= 11,
        "the corpus was seeded from the examples"
    );
}

#[test]
fn the_roster_corpus_replays_without_panic() {
    assert!(replay("roster_csv", sancha_server::fuzzing::roster_csv) >= 1);
}

#[test]
fn the_id_number_corpus_replays_without_panic() {
    assert!(replay("id_number", sancha_server::fuzzing::id_number) >= 4);
}

#[test]
fn the_examples_reach_the_checklist() {
    // The replay must exercise the real path, not stop at the JSON parser.
    let value: serde_json::Value =
        serde_json::from_slice(include_bytes!("../../api-spec/examples/visit-clean.json"))
            .expect("JSON");
    let input: sancha_server::domain::visit::VisitInput =
        serde_json::from_value(value).expect("the shape");
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T12:00:00+08:00").expect("time");
    assert!(sancha_server::domain::visit::Visit::parse(input, now).is_ok());
    assert_eq!(
        sancha_server::import::parse_csv(
            include_bytes!("fixtures/roster.csv"),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        )
        .0,
        2
    );
}
