//! No card content makes the renderer panic or spill: empty and huge strings, emoji,
//! control characters, right-to-left marks, huge numbers, thousands of list items.

mod common;

use common::geometry_problems;
use proptest::prelude::*;
use sancha_cardgen::{
    layout, sample, write_pdf, write_png, Card, Font, Helper, Layout, Member, Policy, QualityCheck,
};

fn with_every_text(text: &str) -> Card {
    let mut c = sample::card(5, 5);
    let t = text.to_string();
    c.location.city = t.clone();
    c.location.county = t.clone();
    c.location.town = t.clone();
    c.location.village = t.clone();
    c.location.group = t.clone();
    c.serial = t.clone();
    c.head_name = t.clone();
    c.status = t.clone();
    c.main_cause = t.clone();
    c.check_code = t.clone();
    c.complaint_line = t.clone();
    for m in &mut c.members {
        m.name = t.clone();
        m.relation = t.clone();
    }
    for h in &mut c.helpers {
        h.name = t.clone();
        h.unit = t.clone();
        h.phone = t.clone();
    }
    for p in &mut c.policies {
        p.category = t.clone();
        p.item = t.clone();
        p.amount = t.clone();
    }
    for q in &mut c.quality {
        q.label = t.clone();
    }
    if let Some(i) = &mut c.income {
        i.year = t.clone();
        i.per_capita = t.clone();
        i.note = t.clone();
    }
    if let Some(k) = &mut c.checked {
        k.inspector = t.clone();
        k.date = t.clone();
    }
    c
}

fn nasty_strings() -> Vec<String> {
    vec![
        String::new(),
        " ".into(),
        "\n\t\r\0\u{7}\u{1b}[31m".into(),
        "😀👨‍👩‍👧‍👦🇨🇳".into(),
        "\u{202e}مرحبا שלום\u{200f}".into(),
        "\u{feff}\u{200b}\u{200d}\u{fe0f}".into(),
        "a\u{301}\u{302}\u{303}\u{304}".into(),
        "W".repeat(5000),
        "龘".repeat(100_000),
        "等".repeat(777),
        "…等12人".into(),
        "\u{10ffff}\u{e000}\u{fffd}".into(),
        "𠀀𠮷𪚥䶮".into(),
    ]
}

#[test]
fn nasty_text_in_every_field_lays_out_inside_its_boxes() {
    let font = Font::embedded();
    for s in nasty_strings() {
        let card = with_every_text(&s);
        for kind in [Layout::A6x4, Layout::A4, Layout::Png] {
            let l = layout(&card, kind, font);
            let problems = geometry_problems(&l);
            assert!(
                problems.is_empty(),
                "{:?}…: {problems:#?}",
                s.chars().take(20).collect::<String>()
            );
        }
    }
}

#[test]
fn nasty_cards_render_or_fail_cleanly_in_pdf_and_png() {
    let font = Font::embedded();
    let mut cards: Vec<Card> = nasty_strings().iter().map(|s| with_every_text(s)).collect();
    // Lists far beyond what fits, and extreme numbers.
    let mut big = sample::card(6, 6);
    big.members = (0..5000)
        .map(|i| Member {
            name: format!("成员{i}"),
            relation: "之子".into(),
            age: Some(u32::MAX),
        })
        .collect();
    big.helpers = (0..1000)
        .map(|i| Helper {
            name: format!("帮扶{i}"),
            unit: "单位".repeat(50),
            phone: "1".repeat(200),
        })
        .collect();
    big.policies = (0..1000)
        .map(|i| Policy {
            category: format!("类{i}"),
            item: "项".repeat(300),
            amount: "9".repeat(50),
        })
        .collect();
    big.quality = (0..50)
        .map(|i| QualityCheck {
            label: format!("检查{i}"),
            ok: i % 2 == 0,
        })
        .collect();
    big.household_size = u32::MAX;
    big.version = u32::MAX;
    cards.push(big);

    let mut out = Vec::new();
    let report = write_pdf(&cards, Layout::A6x4, font, &mut out);
    // Emoji and other missing glyphs are reported, not fatal.
    let report = report.unwrap();
    assert!(out.starts_with(b"%PDF-"));
    assert!(
        report
            .missing_glyphs
            .iter()
            .any(|m| m.chars.contains(&'😀')),
        "{:?}",
        report.missing_glyphs
    );
    assert!(
        !report
            .missing_glyphs
            .iter()
            .flat_map(|m| &m.chars)
            .any(|c| c.is_control()),
        "control characters are not glyphs"
    );

    for c in &cards {
        let mut png = Vec::new();
        write_png(c, font, &mut png).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }

    // A URL too long for any QR code is an error naming the card, not a panic.
    let mut c = sample::card(7, 7);
    c.qr_url = "x".repeat(10_000);
    let err = write_pdf(std::slice::from_ref(&c), Layout::A4, font, Vec::new()).unwrap_err();
    assert!(err.to_string().contains(&c.serial), "{err}");
    assert!(write_png(&c, font, Vec::new()).is_err());

    // No cards: a valid, blank, one-page PDF.
    let mut empty = Vec::new();
    let r = write_pdf(&[], Layout::A6x4, font, &mut empty).unwrap();
    assert_eq!((r.cards, r.pages), (0, 1));
    assert!(empty.starts_with(b"%PDF-"));
    // And PNG is not a PDF layout.
    assert!(write_pdf(&cards[..1], Layout::Png, font, Vec::new()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn any_text_lays_out_without_panic_or_spill(text in "\\PC{0,120}", n in 0usize..30) {
        let font = Font::embedded();
        let mut card = with_every_text(&text);
        card.members = (0..n).map(|i| Member { name: format!("{text}{i}"), relation: text.clone(), age: None }).collect();
        for kind in [Layout::A6x4, Layout::A4] {
            let l = layout(&card, kind, font);
            let problems = geometry_problems(&l);
            prop_assert!(problems.is_empty(), "{:?}", problems);
        }
    }
}
