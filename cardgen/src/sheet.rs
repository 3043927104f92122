//! The enrolment sheet (手机登记码): per user one A6 slip with the QR code a
//! phone scans to enrol, who it enrols, until when, and three lines of
//! instructions; four slips to an A4 page, cut like the print run's cards.

use std::io::Write;

use crate::layout::{Align, CardLayout, Element, ElementKind, Rect, Rgb, Role, TextRun};
use crate::layout::{A6_H, A6_W, INK, LABEL, MARGIN, RED};
use crate::qr::{QrMatrix, QUIET_ZONE};
use crate::{Error, Font, Layout, Report};

/// One user's slip. Every field is printed as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slip {
    /// What the QR code holds: the field app's enrolment link.
    pub url: String,
    pub username: String,
    /// The role in Chinese (核查员, 督导…).
    pub role: String,
    /// The region of the user's scope, in Chinese.
    pub scope: String,
    /// When the code stops working, as printed (Beijing time).
    pub expires: String,
}

/// What the slip tells the person holding the phone.
pub const INSTRUCTIONS: [&str; 3] = [
    "1. 用手机相机或微信扫描上面的二维码，打开核查员手机端。",
    "2. 在打开的页面点“登记本机”，不用输入密码。",
    "3. 此码只能登记一部手机，用后即失效；手机丢失请告知村办公室停用。",
];

/// QR side, quiet zone included, in mm: big enough for a phone at arm's length.
const QR_MM: f32 = 62.0;

/// The slip laid out at A6 (mm from its top-left corner).
pub fn slip_layout(slip: &Slip, font: &Font) -> Result<CardLayout, Error> {
    let qr = QrMatrix::encode(&slip.url).map_err(|reason| Error::Qr {
        serial: slip.username.clone(),
        reason,
    })?;
    let mut els = Vec::new();
    let room = A6_W - 2.0 * MARGIN;
    // A line too long for the slip (a long region name) is set smaller until it fits.
    let mut text = |y: f32, size: f32, color: Rgb, align: Align, s: &str| {
        let natural = font.width_mm(s, size);
        let size = if natural > room {
            size * room / natural
        } else {
            size
        };
        let width = font.width_mm(s, size);
        let h = size * crate::layout::MM_PER_PT * 1.4;
        els.push(Element {
            role: Role::Slip,
            rect: Rect::new(MARGIN, y, room, h),
            kind: ElementKind::Text(TextRun {
                text: s.to_string(),
                size_pt: size,
                color,
                align,
                bold: false,
                width,
            }),
        });
        y + h
    };
    let mut y = text(MARGIN + 1.0, 15.0, RED, Align::Center, "手机登记码");
    y = text(y, 8.0, LABEL, Align::Center, "三查一访 核查员手机端");
    let qr_y = y + 1.0;
    let module = QR_MM / (qr.width + 2 * QUIET_ZONE) as f32;
    let side = module * (qr.width + 2 * QUIET_ZONE) as f32;
    let qr_el = Element {
        role: Role::Qr,
        rect: Rect::new((A6_W - side) / 2.0, qr_y, side, side),
        kind: ElementKind::Qr(qr),
    };
    y = qr_y + side + 1.0;
    y = text(
        y,
        12.0,
        INK,
        Align::Center,
        &format!("用户名：{}", slip.username),
    );
    y = text(
        y,
        10.0,
        INK,
        Align::Center,
        &format!("{}　{}", slip.role, slip.scope),
    );
    y = text(
        y,
        10.0,
        RED,
        Align::Center,
        &format!("有效期至 {}", slip.expires),
    );
    y += 2.0;
    for line in INSTRUCTIONS {
        y = text(y, 7.5, LABEL, Align::Left, line);
    }
    els.push(qr_el);
    let missing = {
        let mut seen = Vec::new();
        for c in els.iter().filter_map(Element::text).flat_map(str::chars) {
            if !font.has_glyph(c) && !c.is_whitespace() && !seen.contains(&c) {
                seen.push(c);
            }
        }
        seen
    };
    Ok(CardLayout {
        layout: Layout::A6x4,
        width: A6_W,
        height: A6_H,
        elements: els,
        missing_glyphs: missing,
        qr_error: None,
    })
}

/// The sheet for `slips` as one PDF written to `out`.
pub fn write_sheet_pdf<W: Write>(slips: &[Slip], font: &Font, out: W) -> Result<Report, Error> {
    let layouts = slips
        .iter()
        .map(|s| slip_layout(s, font))
        .collect::<Result<Vec<_>, _>>()?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in slips.iter().flat_map(|s| s.url.bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let tag = (0..6)
        .map(|i| (b'A' + ((h >> (i * 8)) % 26) as u8) as char)
        .collect();
    let mut report = crate::pdf::write_slips(&layouts, tag, font, out)?;
    report.missing_glyphs = slips
        .iter()
        .zip(&layouts)
        .filter(|(_, l)| !l.missing_glyphs.is_empty())
        .map(|(s, l)| crate::MissingGlyphs {
            serial: s.username.clone(),
            chars: l.missing_glyphs.clone(),
        })
        .collect();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slip(n: usize) -> Slip {
        Slip {
            url: format!("https://sancha.example/app/#enroll=code{n:022}"),
            username: format!("hcy{n:03}"),
            role: "核查员".into(),
            scope: "辽宁省阜新市彰武县东风镇东风村第一村民小组和第二村民小组".into(),
            expires: "2026-12-03 09:30".into(),
        }
    }

    #[test]
    fn a_slip_keeps_inside_its_card_and_nothing_overlaps() {
        let l = slip_layout(&slip(1), Font::embedded()).unwrap();
        let content: Vec<_> = l.elements.iter().filter(|e| e.is_content()).collect();
        for e in &content {
            let ink = e.ink();
            assert!(
                ink.x >= 0.0 && ink.right() <= l.width && ink.bottom() <= l.height,
                "{:?} leaves the slip: {ink:?}",
                e.text()
            );
        }
        for (i, a) in content.iter().enumerate() {
            for b in &content[i + 1..] {
                assert!(
                    !a.ink().overlaps(&b.ink(), 0.01),
                    "{:?} overlaps {:?}",
                    a.text(),
                    b.text()
                );
            }
        }
        assert!(l.missing_glyphs.is_empty(), "{:?}", l.missing_glyphs);
        let texts = l.texts(Role::Slip).join("\n");
        assert!(texts.contains("用户名：hcy001") && texts.contains("有效期至 2026-12-03 09:30"));
    }

    #[test]
    fn five_slips_make_two_pages() {
        let mut out = Vec::new();
        let slips: Vec<Slip> = (0..5).map(slip).collect();
        let report = write_sheet_pdf(&slips, Font::embedded(), &mut out).unwrap();
        assert_eq!((report.cards, report.pages), (5, 2));
        assert!(out.starts_with(b"%PDF-"));
    }
}
