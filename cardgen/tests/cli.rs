//! The `cardgen` binary: JSON Lines in, PDF or PNGs out, a one-line summary, and bad
//! lines named by number.

use std::io::Write;
use std::process::Command;

use sancha_cardgen::sample;

fn jsonl(dir: &std::path::Path, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join("cards.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    path
}

fn cardgen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cardgen"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn renders_a_village_pdf_and_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let mut cards: Vec<String> = sample::village(3, 5)
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    let mut rare = sample::card(3, 9);
    rare.head_name = "刘䶮".into();
    cards.push(serde_json::to_string(&rare).unwrap());
    cards.insert(2, String::new()); // blank lines are skipped
    let input = jsonl(dir.path(), &cards);
    let out = dir.path().join("v.pdf");
    let o = cardgen(&[
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--layout",
        "a6x4",
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF-"));
    assert!(stderr.contains("6 cards, 2 pages"), "{stderr}");
    assert!(
        stderr.contains(&format!("{} (䶮 U+4DAE)", rare.serial)),
        "{stderr}"
    );
}

#[test]
fn writes_one_png_per_card_named_by_serial() {
    let dir = tempfile::tempdir().unwrap();
    let cards: Vec<String> = sample::village(4, 2)
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    let input = jsonl(dir.path(), &cards);
    let out = dir.path().join("png");
    let o = cardgen(&[
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--layout",
        "png",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for c in sample::village(4, 2) {
        let png = std::fs::read(out.join(format!("{}.png", c.serial))).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }
}

#[test]
fn bad_lines_are_named_by_number_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::to_string(&sample::card(1, 1)).unwrap();
    let input = jsonl(
        dir.path(),
        &[good.clone(), "{\"serial\": 12".into(), good, "[]".into()],
    );
    let out = dir.path().join("v.pdf");
    let o = cardgen(&[
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("line 2:") && stderr.contains("line 4:"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("line 1:") && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn unknown_layout_and_missing_font_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = jsonl(
        dir.path(),
        &[serde_json::to_string(&sample::card(1, 1)).unwrap()],
    );
    let o = cardgen(&[
        "--input",
        input.to_str().unwrap(),
        "--out",
        "x.pdf",
        "--layout",
        "a5",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("a6x4, a4 or png"));
    let out = dir.path().join("v.pdf");
    let o = cardgen(&[
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--font",
        "/nonexistent.otf",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent.otf"));
}
