//! `api-spec/openapi.yaml` is hand-written; this keeps it honest: its paths
//! and methods are exactly the served routes, and it lists every error code.

use std::collections::BTreeSet;

use sancha_server::api::ROUTES;
use sancha_server::error::Code;

const SPEC: &str = include_str!("../../api-spec/openapi.yaml");
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// (method, path) pairs under `paths:`: paths at two spaces of indent,
/// methods at four.
fn spec_operations() -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    let mut in_paths = false;
    let mut path: Option<String> = None;
    for line in SPEC.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_paths = line.trim_end() == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let key = line
            .trim()
            .trim_end_matches(':')
            .trim_matches(|c| c == '"' || c == '\'');
        if indent == 2 && line.trim_end().ends_with(':') {
            path = Some(key.to_string());
        } else if indent == 4 && METHODS.contains(&key) && line.trim_end().ends_with(':') {
            ops.insert((
                key.to_string(),
                path.clone().expect("a method under a path"),
            ));
        }
    }
    ops
}

#[test]
fn spec_paths_are_exactly_the_served_routes() {
    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let spec = spec_operations();
    let missing: Vec<_> = served.difference(&spec).collect();
    let extra: Vec<_> = spec.difference(&served).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "served but not in the spec: {missing:?}; in the spec but not served: {extra:?}"
    );
}

#[test]
fn spec_lists_every_error_code() {
    let missing: Vec<_> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !SPEC.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes missing from the spec: {missing:?}"
    );
}

#[test]
fn spec_lists_every_finding_code() {
    let missing: Vec<_> = sancha_server::checklist::FindingCode::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !SPEC.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "finding codes missing from the spec: {missing:?}"
    );
}

#[test]
fn spec_is_openapi_3_1() {
    assert!(SPEC.lines().any(|l| l.trim() == "openapi: 3.1.0"));
}
