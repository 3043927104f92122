//! The hard errors a phone can find offline, as one table that both sides run:
//! each vector of `api-spec/check-vectors.json` patches the clean example
//! (RFC 6902) and names the exact 422 errors the server answers.
//! `web/shared/checks.test.ts` runs the same table against `checkVisit`, so
//! the field app's checks and the server's cannot drift apart.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use sancha_server::api::json;
use sancha_server::domain::visit::{Visit, VisitInput};
use sancha_server::error::{ApiError, Lang};

fn read(relative: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `errors` of the server's 422 body for `doc` checked at `now`, exactly
/// as `PUT /visits/{id}` renders them (empty when the visit passes): the shape
/// check of the JSON extractor, then `Visit::parse`. What needs storage (the
/// household, the caller's scope and role, `replaces`) is not in the table.
fn server_errors(doc: Value, now: DateTime<FixedOffset>) -> Vec<Value> {
    let errors = match json::from_value::<VisitInput>(doc) {
        Err(shape) => shape.errors,
        Ok(input) => Visit::parse(input, now).err().unwrap_or_default(),
    };
    let problem = ApiError::invalid(errors).to_problem(Lang::Zh);
    problem["errors"].as_array().cloned().unwrap_or_default()
}

/// A JSON Pointer's reference tokens (RFC 6901).
fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Applies the `add`, `replace` and `remove` operations of an RFC 6902 patch,
/// the three the table uses.
fn apply(doc: &mut Value, patch: &[Value]) -> Result<(), String> {
    for op in patch {
        let kind = op["op"].as_str().ok_or("an op without \"op\"")?;
        let path = op["path"].as_str().ok_or("an op without \"path\"")?;
        let mut parts = tokens(path);
        let last = parts.pop().ok_or(format!("{kind} of the whole document"))?;
        let parent_pointer: String = parts
            .iter()
            .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
            .collect();
        let parent = doc
            .pointer_mut(&parent_pointer)
            .ok_or(format!("{path}: no parent"))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or(format!("{path}: {kind} without a value"))
        };
        match (kind, parent) {
            ("add", Value::Object(m)) => {
                m.insert(last, value()?);
            }
            ("replace", Value::Object(m)) if m.contains_key(&last) => {
                m.insert(last, value()?);
            }
            ("remove", Value::Object(m)) if m.contains_key(&last) => {
                m.remove(&last);
            }
            ("add", Value::Array(a)) if last == "-" => a.push(value()?),
            (_, Value::Array(a)) => {
                let i: usize = last.parse().map_err(|_| format!("{path}: not an index"))?;
                match kind {
                    "add" if i <= a.len() => a.insert(i, value()?),
                    "replace" if i < a.len() => a[i] = value()?,
                    "remove" if i < a.len() => {
                        a.remove(i);
                    }
                    _ => return Err(format!("{path}: {kind} out of bounds")),
                }
            }
            _ => return Err(format!("{path}: cannot {kind} here")),
        }
    }
    Ok(())
}

/// (field, code, message) of each error, sorted: a set that keeps repeats
/// (an `ended_at` both before `started_at` and in the future is reported twice).
fn error_set(errors: &[Value]) -> Vec<(String, String, String)> {
    let mut set: Vec<_> = errors
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (s("field"), s("code"), s("message"))
        })
        .collect();
    set.sort();
    set
}

#[test]
fn the_server_answers_every_check_vector_with_exactly_its_errors() {
    let table = read("../api-spec/check-vectors.json");
    let example = read(&format!(
        "../api-spec/{}",
        table["example"].as_str().expect("\"example\"")
    ));
    let default_now = table["now"].as_str().expect("a default \"now\"");
    let vectors = table["vectors"].as_array().expect("\"vectors\"");
    let mut names = BTreeSet::new();
    let mut failures = Vec::new();
    for v in vectors {
        let name = v["name"].as_str().expect("every vector has a name");
        assert!(names.insert(name), "two vectors are named {name:?}");
        let now = v["now"].as_str().unwrap_or(default_now);
        let now = DateTime::parse_from_rfc3339(now).unwrap_or_else(|e| panic!("{name}: now: {e}"));
        // The server's clock is China time: its `today` and year are taken there.
        assert_eq!(
            now.offset().local_minus_utc(),
            8 * 3600,
            "{name}: now must be +08:00"
        );
        let mut doc = example.clone();
        let patch = v["patch"].as_array().expect("a patch");
        if let Err(e) = apply(&mut doc, patch) {
            failures.push(format!("{name}: the patch does not apply: {e}"));
            continue;
        }
        let expected = error_set(v["errors"].as_array().expect("errors"));
        let got = error_set(&server_errors(doc, now));
        if got != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  server   {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors differ:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

#[test]
fn the_patch_applier_follows_rfc_6902() {
    let mut doc = serde_json::json!({"a": [1, 2], "b": {"c~/d": 1}});
    let patch = serde_json::json!([
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "add", "path": "/a/0", "value": 0},
        {"op": "remove", "path": "/a/1"},
        {"op": "replace", "path": "/b/c~0~1d", "value": 2},
        {"op": "add", "path": "/e", "value": null},
    ]);
    apply(&mut doc, patch.as_array().unwrap()).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"a": [0, 2, 3], "b": {"c~/d": 2}, "e": null})
    );
    for bad in [
        serde_json::json!([{"op": "replace", "path": "/x", "value": 1}]),
        serde_json::json!([{"op": "remove", "path": "/a/9"}]),
        serde_json::json!([{"op": "add", "path": "/x/y", "value": 1}]),
    ] {
        assert!(apply(&mut doc, bad.as_array().unwrap()).is_err(), "{bad}");
    }
}
