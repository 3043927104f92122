//! The printed cards as a reader sees them, through poppler: every QR on the rasterised
//! pages scans to a card's URL, the text is real searchable text, and the PDF embeds
//! exactly one subset font. Skipped (with a message) where poppler-utils is missing.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use sancha_cardgen::{sample, write_pdf, Card, Font, Layout};

fn poppler_present() -> bool {
    let ok = ["pdftoppm", "pdftotext", "pdffonts"]
        .iter()
        .all(|b| Command::new(b).arg("-v").output().is_ok());
    if !ok {
        eprintln!("skipped: poppler-utils not installed");
    }
    ok
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every QR found on every page of `pdf`, rasterised at 150 dpi.
fn scan_pages(pdf: &Path, dir: &Path) -> Vec<String> {
    let prefix = dir.join("page");
    run(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pages.sort();
    let mut urls = Vec::new();
    for page in pages {
        let img = image::open(&page).unwrap().to_luma8();
        // One quadrant at a time (an A6 card each on a6x4 pages; harmless on a4).
        let (w, h) = (img.width() / 2, img.height() / 2);
        for (x, y) in [(0, 0), (w, 0), (0, h), (w, h)] {
            let part = image::imageops::crop_imm(&img, x, y, w, h).to_image();
            let mut prepared = rqrr::PreparedImage::prepare(part);
            for grid in prepared.detect_grids() {
                if let Ok((_, s)) = grid.decode() {
                    urls.push(s);
                }
            }
        }
        std::fs::remove_file(&page).unwrap();
    }
    urls
}

fn check_pdf(cards: &[Card], layout: Layout, pages: usize) {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("cards.pdf");
    let report = write_pdf(
        cards,
        layout,
        Font::embedded(),
        std::fs::File::create(&pdf).unwrap(),
    )
    .unwrap();
    assert_eq!(report.pages, pages);
    assert_eq!(report.bytes, std::fs::metadata(&pdf).unwrap().len());

    // Every card's QR, and nothing else, scans off the printed pages.
    let scanned: BTreeSet<String> = scan_pages(&pdf, dir.path()).into_iter().collect();
    let expected: BTreeSet<String> = cards.iter().map(|c| c.qr_url.clone()).collect();
    assert_eq!(scanned, expected, "{layout}");

    // Searchable text (ToUnicode): the village and every head of household.
    let text = run("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    assert!(text.contains(&cards[0].location.village), "{text}");
    assert!(text.contains("三查一访"), "{text}");
    for c in cards {
        assert!(
            text.contains(&c.head_name),
            "{} not in the text",
            c.head_name
        );
        assert!(
            text.contains(&c.check_code),
            "{} not in the text",
            c.check_code
        );
    }
    assert_eq!(text.matches("扫码查看本户信息").count(), cards.len());

    // Exactly one font, embedded and subset.
    let fonts = run("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 1, "{fonts}");
    let cols: Vec<&str> = rows[0].split_whitespace().collect();
    let n = cols.len();
    assert_eq!(
        &cols[n - 5..n - 2],
        &["yes", "yes", "yes"],
        "emb sub uni: {fonts}"
    );
    assert!(cols[0].contains('+'), "subset tag: {fonts}");
}

#[test]
fn village_sheet_of_ten_cards_scans_reads_and_embeds_one_subset_font() {
    if !poppler_present() {
        return;
    }
    let cards = sample::village(42, 10);
    check_pdf(&cards, Layout::A6x4, 3);
}

#[test]
fn a4_poster_scans_reads_and_embeds_one_subset_font() {
    if !poppler_present() {
        return;
    }
    let cards = sample::village(43, 1);
    check_pdf(&cards, Layout::A4, 1);
}
