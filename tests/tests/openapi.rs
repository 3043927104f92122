//! `api-spec/openapi.yaml` is hand-written; this keeps it honest: its paths
//! and methods are exactly the served routes, and it lists every error code.

use std::collections::BTreeSet;

use sancha_server::api::ROUTES;
use sancha_server::error::Code;

const SPEC: &str = include_str!("../../api-spec/openapi.yaml");
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// Each operation under `paths:` (paths at two spaces of indent, methods at
/// four) with the lines of its block.
fn spec_operation_blocks() -> Vec<((String, String), Vec<&'static str>)> {
    let mut ops: Vec<((String, String), Vec<&'static str>)> = Vec::new();
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
            let op = (
                key.to_string(),
                path.clone().expect("a method under a path"),
            );
            ops.push((op, Vec::new()));
        } else if indent > 4 {
            if let Some((_, block)) = ops.last_mut() {
                block.push(line);
            }
        }
    }
    ops
}

/// (method, path) pairs under `paths:`.
fn spec_operations() -> BTreeSet<(String, String)> {
    spec_operation_blocks()
        .into_iter()
        .map(|(op, _)| op)
        .collect()
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

/// Every operation that reads a body says what a body it cannot read gets:
/// 413 when too large, and for JSON bodies 400 (not JSON) and 415 (not
/// declared JSON). Contract fuzzing sends exactly these.
#[test]
fn every_operation_with_a_body_documents_the_body_errors() {
    let mut missing = Vec::new();
    for ((method, path), block) in spec_operation_blocks() {
        if !block.iter().any(|l| l.trim() == "requestBody:") {
            continue;
        }
        let json = block.iter().any(|l| l.trim() == "application/json:");
        let documented = |code: &str| block.iter().any(|l| l.trim() == format!("'{code}':"));
        let needed: &[&str] = if json {
            &["400", "413", "415"]
        } else {
            &["413"]
        };
        for code in needed.iter().filter(|c| !documented(c)) {
            missing.push(format!("{method} {path}: {code}"));
        }
    }
    assert!(
        missing.is_empty(),
        "body errors not documented: {missing:?}"
    );
}
