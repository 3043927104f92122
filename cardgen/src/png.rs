//! PNG output: the electronic card for the phone, the A6 layout rasterised 1080 px
//! wide with the card font (ab_glyph), the QR drawn as whole-pixel module squares.

use std::io::Write;

use ab_glyph::{point, Font as _, PxScale};
use image::{ImageEncoder, Rgb as Px, RgbImage};

use crate::layout::{layout, CardLayout, ElementKind, Rgb, TextRun};
use crate::qr::QUIET_ZONE;
use crate::{check_qr, missing_of, Card, Error, Font, Layout, Report};

/// Width of the PNG card in pixels.
pub const PNG_WIDTH: u32 = 1080;

/// Renders one card as a PNG (1080 px wide) to `out`.
pub fn write_png<W: Write>(card: &Card, font: &Font, mut out: W) -> Result<Report, Error> {
    let l = layout(card, Layout::Png, font);
    check_qr(card, &l)?;
    let img = rasterize(&l, font);
    let mut bytes = Vec::with_capacity(256 * 1024);
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| Error::Png(e.to_string()))?;
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(Report {
        cards: 1,
        pages: 1,
        bytes: bytes.len() as u64,
        missing_glyphs: missing_of(card, &l).into_iter().collect(),
    })
}

/// Draws a card layout into an image `PNG_WIDTH` pixels wide.
pub fn rasterize(l: &CardLayout, font: &Font) -> RgbImage {
    let s = PNG_WIDTH as f32 / l.width;
    let h = (l.height * s).round() as u32;
    let mut img = RgbImage::from_pixel(PNG_WIDTH, h, Px([255, 255, 255]));
    for e in &l.elements {
        let r = e.rect;
        match &e.kind {
            ElementKind::Fill(c) => fill(&mut img, r.x * s, r.y * s, r.w * s, r.h * s, *c),
            ElementKind::Line { color, width } => {
                let w = (width * s).max(1.0);
                if r.w == 0.0 || r.h == 0.0 {
                    // Axis-aligned: a crisp box of whole pixels.
                    let (x, y) = ((r.x * s - w / 2.0).round(), (r.y * s - w / 2.0).round());
                    let (x2, y2) = (
                        (r.right() * s + w / 2.0).round(),
                        (r.bottom() * s + w / 2.0).round(),
                    );
                    fill(
                        &mut img,
                        x,
                        y,
                        (x2 - x).max(w.round()),
                        (y2 - y).max(w.round()),
                        *color,
                    );
                } else {
                    segment(
                        &mut img,
                        (r.x * s, r.y * s),
                        (r.right() * s, r.bottom() * s),
                        w,
                        *color,
                    );
                }
            }
            ElementKind::Qr(m) => {
                let total = m.total_width() as f32;
                let module = ((r.w * s) / total).floor().max(1.0);
                let x0 = (r.x * s + (r.w * s - module * total) / 2.0).round();
                let y0 = (r.y * s + (r.h * s - module * total) / 2.0).round();
                for (row, a, b) in m.runs() {
                    let x = x0 + (QUIET_ZONE + a) as f32 * module;
                    let y = y0 + (QUIET_ZONE + row) as f32 * module;
                    fill(
                        &mut img,
                        x,
                        y,
                        (b - a) as f32 * module,
                        module,
                        Rgb(0, 0, 0),
                    );
                }
            }
            ElementKind::Mark { ok } => {
                let (c, strokes) = crate::pdf::mark_strokes(*ok, r.x * s, r.y * s, r.w * s);
                for st in strokes {
                    for pair in st.windows(2) {
                        segment(&mut img, pair[0], pair[1], r.w * s * 0.16, c);
                    }
                }
            }
            ElementKind::Text(t) => text(&mut img, font, t, &e.rect, s),
        }
    }
    img
}

fn fill(img: &mut RgbImage, x: f32, y: f32, w: f32, h: f32, c: Rgb) {
    let x0 = x.round().max(0.0) as u32;
    let y0 = y.round().max(0.0) as u32;
    let x1 = ((x + w).round().max(0.0) as u32).min(img.width());
    let y1 = ((y + h).round().max(0.0) as u32).min(img.height());
    for yy in y0..y1 {
        for xx in x0..x1 {
            img.put_pixel(xx, yy, Px([c.0, c.1, c.2]));
        }
    }
}

fn blend(img: &mut RgbImage, x: i64, y: i64, c: Rgb, cov: f32) {
    if x < 0 || y < 0 || x >= img.width() as i64 || y >= img.height() as i64 || cov <= 0.0 {
        return;
    }
    let a = cov.min(1.0);
    let p = img.get_pixel_mut(x as u32, y as u32);
    for (dst, src) in p.0.iter_mut().zip([c.0, c.1, c.2]) {
        *dst = (*dst as f32 * (1.0 - a) + src as f32 * a).round() as u8;
    }
}

/// An anti-aliased thick segment with round caps.
fn segment(img: &mut RgbImage, a: (f32, f32), b: (f32, f32), width: f32, c: Rgb) {
    let half = width / 2.0;
    let (minx, maxx) = (a.0.min(b.0) - half - 1.0, a.0.max(b.0) + half + 1.0);
    let (miny, maxy) = (a.1.min(b.1) - half - 1.0, a.1.max(b.1) + half + 1.0);
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = (dx * dx + dy * dy).max(1e-6);
    for y in miny.floor() as i64..=maxy.ceil() as i64 {
        for x in minx.floor() as i64..=maxx.ceil() as i64 {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0);
            let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
            let d = (qx * qx + qy * qy).sqrt();
            blend(img, x, y, c, half + 0.5 - d);
        }
    }
}

fn text(img: &mut RgbImage, font: &Font, t: &TextRun, rect: &crate::Rect, s: f32) {
    let f = &font.raster;
    let em_px = t.em() * s;
    // ab_glyph scales by ascent - descent; convert so that one em is `em_px` pixels.
    let upm = f.units_per_em().unwrap_or(1000.0);
    let height = f.height_unscaled();
    let scale = PxScale::from(em_px * height / upm);
    let ink = t.ink(rect);
    let baseline = t.baseline(rect) * s;
    let mut x = ink.x * s;
    for c in t.text.chars() {
        let adv = font.advance_em(c) * em_px;
        let gid = font.glyph(c).map_or(ab_glyph::GlyphId(0), |g| g.0);
        let glyph = gid.with_scale_and_position(scale, point(x, baseline));
        if let Some(outlined) = f.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            let passes: &[f32] = if t.bold { &[0.0, 0.7] } else { &[0.0] };
            for &dx in passes {
                outlined.draw(|gx, gy, cov| {
                    blend(
                        img,
                        (bounds.min.x + dx) as i64 + gx as i64,
                        bounds.min.y as i64 + gy as i64,
                        t.color,
                        cov,
                    );
                });
            }
        }
        x += adv;
    }
}
