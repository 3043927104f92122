//! The measured layout: for hard cards, in every geometry, nothing leaves its box and
//! no two content boxes overlap; overflowing lists say how much was left out.

mod common;

use common::{geometry_problems, hard_cards};
use sancha_cardgen::layout::{A6_H, A6_W};
use sancha_cardgen::{layout, sample, ElementKind, Font, Layout, Role};

const ALL: [Layout; 3] = [Layout::A6x4, Layout::A4, Layout::Png];

#[test]
fn hard_cards_fit_their_boxes_in_every_geometry() {
    let font = Font::embedded();
    let mut failures = Vec::new();
    for (name, card) in hard_cards() {
        for kind in ALL {
            let l = layout(&card, kind, font);
            for p in geometry_problems(&l) {
                failures.push(format!("{name} / {kind}: {p}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ordinary_village_cards_fit_their_boxes() {
    let font = Font::embedded();
    for card in sample::village(7, 40) {
        let l = layout(&card, Layout::A6x4, font);
        assert_eq!(
            geometry_problems(&l),
            Vec::<String>::new(),
            "{}",
            card.serial
        );
        // An ordinary card shows every member, helper and policy in full.
        let members = l.texts(Role::Members).join("");
        for m in &card.members {
            assert!(
                members.contains(&m.name),
                "{}: member {} missing from {members}",
                card.serial,
                m.name
            );
        }
        assert!(
            !members.contains('等'),
            "{}: nothing should be cut: {members}",
            card.serial
        );
        let policies = l.texts(Role::Policies).join("");
        for p in &card.policies {
            assert!(
                policies.contains(&p.item),
                "{}: policy {} missing",
                card.serial,
                p.item
            );
        }
    }
}

#[test]
fn geometries_have_their_sizes() {
    let font = Font::embedded();
    let card = sample::card(0, 0);
    let a6 = layout(&card, Layout::A6x4, font);
    assert_eq!((a6.width, a6.height), (A6_W, A6_H));
    let a4 = layout(&card, Layout::A4, font);
    assert_eq!((a4.width, a4.height), (2.0 * A6_W, 2.0 * A6_H));
    assert!(a4.height <= 297.0);
    let png = layout(&card, Layout::Png, font);
    assert_eq!(png.width, A6_W);
}

#[test]
fn qr_is_at_least_30_mm_wide_on_a6_and_sits_bottom_right() {
    let font = Font::embedded();
    for (name, card) in hard_cards() {
        let l = layout(&card, Layout::A6x4, font);
        let qr = l
            .elements
            .iter()
            .find(|e| e.role == Role::Qr)
            .expect("a QR element");
        let ElementKind::Qr(m) = &qr.kind else {
            panic!("{name}: QR element is not a QR")
        };
        let symbol = qr.rect.w * m.width as f32 / m.total_width() as f32;
        assert!(symbol >= 30.0, "{name}: QR symbol {symbol} mm");
        assert!(
            qr.rect.x > l.width / 2.0 && qr.rect.y > l.height / 2.0,
            "{name}: QR at {:?}",
            qr.rect
        );
        let caption = l
            .elements
            .iter()
            .find(|e| e.role == Role::QrCaption)
            .unwrap();
        assert_eq!(caption.text(), Some("扫码查看本户信息"));
        assert!(caption.rect.y >= qr.rect.bottom());
        let code = l.texts(Role::CheckCode).join("");
        assert!(code.contains(&card.check_code), "{name}: {code}");
    }
}

#[test]
fn fourteen_members_are_cut_with_a_count() {
    let font = Font::embedded();
    let (_, card) = hard_cards()
        .into_iter()
        .find(|(n, _)| *n == "everything at once")
        .unwrap();
    let l = layout(&card, Layout::A6x4, font);
    let members = l.texts(Role::Members).join("");
    let policies = l.texts(Role::Policies).join("");
    let helpers = l.texts(Role::Helpers).join("");
    // Either everything is there, or the marker says how many there are in all.
    let shown = card
        .members
        .iter()
        .filter(|m| members.contains(&format!("{}（", m.name)))
        .count();
    assert!(shown == 14 || members.ends_with("等14人"), "{members}");
    assert!(shown >= 1, "{members}");
    assert!(policies.ends_with("等12项"), "{policies}");
    assert!(
        helpers.ends_with("等6人") || helpers.matches("司马相如").count() == 6,
        "{helpers}"
    );
}

#[test]
fn a_card_that_fits_keeps_the_largest_body_size() {
    let font = Font::embedded();
    let mut card = sample::card(0, 0);
    card.members.truncate(2);
    card.helpers.truncate(1);
    card.policies.truncate(1);
    let l = layout(&card, Layout::A6x4, font);
    let size = l
        .elements
        .iter()
        .find_map(|e| match (&e.kind, e.role) {
            (ElementKind::Text(t), Role::Members) => Some(t.size_pt),
            _ => None,
        })
        .unwrap();
    assert_eq!(size, 7.0);
}

#[test]
fn characters_the_font_lacks_are_reported_and_printed_as_boxes() {
    let font = Font::embedded();
    let (_, card) = hard_cards()
        .into_iter()
        .find(|(n, _)| *n == "rare characters")
        .unwrap();
    let l = layout(&card, Layout::A6x4, font);
    assert_eq!(l.missing_glyphs, vec!['䶮', '𠮷']);
    assert_eq!(l.texts(Role::HeadName), vec!["刘□"]);
    let ok = layout(&sample::card(0, 0), Layout::A6x4, font);
    assert!(ok.missing_glyphs.is_empty());
}

#[test]
fn all_crosses_and_no_checks_yet_are_shown_as_such() {
    let font = Font::embedded();
    let cards = hard_cards();
    let (_, crosses) = cards.iter().find(|(n, _)| n.starts_with("all ✗")).unwrap();
    let l = layout(crosses, Layout::A6x4, font);
    let marks: Vec<bool> = l
        .elements
        .iter()
        .filter_map(|e| match e.kind {
            ElementKind::Mark { ok } => Some(ok),
            _ => None,
        })
        .collect();
    assert_eq!(marks, vec![false; 6]);
    assert!(l.texts(Role::Income).join("").contains("未达到收入标准"));

    let (_, empty) = cards
        .iter()
        .find(|(n, _)| n.starts_with("nothing checked"))
        .unwrap();
    let l = layout(empty, Layout::A6x4, font);
    assert_eq!(l.texts(Role::Income), vec!["尚未核查收入"]);
    assert_eq!(l.texts(Role::Checked), vec!["尚未检查"]);
    assert_eq!(l.texts(Role::Members), vec!["（暂无）"]);
}

#[test]
fn the_checker_catches_spills_and_overlaps() {
    let font = Font::embedded();
    let mut l = layout(&sample::card(0, 0), Layout::A6x4, font);
    assert!(geometry_problems(&l).is_empty());
    // Widen a text run beyond its box, and move the caption onto the QR.
    let i = l
        .elements
        .iter()
        .position(|e| e.role == Role::HeadName)
        .unwrap();
    let w = l.elements[i].rect.w;
    if let ElementKind::Text(t) = &mut l.elements[i].kind {
        t.width = w + 1.0;
    }
    let qr = l.elements.iter().find(|e| e.role == Role::Qr).unwrap().rect;
    let c = l
        .elements
        .iter()
        .position(|e| e.role == Role::QrCaption)
        .unwrap();
    l.elements[c].rect.y = qr.y + 5.0;
    let problems = geometry_problems(&l);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("HeadName") && p.contains("spills")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("QrCaption") && p.contains("overlaps")),
        "{problems:?}"
    );
}

/// The hard cards render to every output, and the files are left in
/// `target/hard-cards/` for looking at them.
#[test]
fn hard_cards_render_to_pdf_and_png() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/hard-cards");
    std::fs::create_dir_all(&dir).unwrap();
    let cards: Vec<_> = hard_cards().into_iter().map(|(_, c)| c).collect();
    let font = Font::embedded();
    let report = sancha_cardgen::write_pdf(
        &cards,
        Layout::A6x4,
        font,
        std::fs::File::create(dir.join("a6x4.pdf")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (report.cards, report.pages),
        (cards.len(), cards.len().div_ceil(4))
    );
    assert!(std::fs::read(dir.join("a6x4.pdf"))
        .unwrap()
        .starts_with(b"%PDF-"));
    sancha_cardgen::write_pdf(
        &cards[..1],
        Layout::A4,
        font,
        std::fs::File::create(dir.join("a4.pdf")).unwrap(),
    )
    .unwrap();
    for (i, c) in cards.iter().enumerate() {
        let mut png = Vec::new();
        sancha_cardgen::write_png(c, font, &mut png).unwrap();
        assert_eq!(
            image::load_from_memory(&png).unwrap().width(),
            sancha_cardgen::PNG_WIDTH
        );
        std::fs::write(dir.join(format!("{i}.png")), png).unwrap();
    }
}
