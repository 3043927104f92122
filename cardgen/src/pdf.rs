//! PDF output: the layout model drawn with printpdf, the font embedded once per
//! document and subset to the glyphs used.
//!
//! Laying out cards (QR encoding included) and building page operations run on all
//! cores, pages kept in order; serialising the document runs on the calling thread.

use std::fmt::Write as _;
use std::io::Write;

use printpdf::{FontId, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, TextItem};

use crate::layout::{layout, CardLayout, ElementKind, Rect, Rgb};
use crate::qr::QUIET_ZONE;
use crate::{check_qr, missing_of, Card, Error, Font, Layout, Report};

const A4_W: f32 = 210.0;
const A4_H: f32 = 297.0;
const PT_PER_MM: f32 = 72.0 / 25.4;

/// Renders `cards` into one PDF written to `out`: four A6 cards per A4 page with cut
/// marks (`Layout::A6x4`) or one A4 poster per card (`Layout::A4`).
///
/// Cards whose text has characters the font lacks still print (□ for each) and are
/// listed in the report. An empty `cards` gives a valid one-page blank PDF.
pub fn write_pdf<W: Write>(
    cards: &[Card],
    layout_kind: Layout,
    font: &Font,
    out: W,
) -> Result<Report, Error> {
    write_pdf_with_progress(cards, layout_kind, font, out, |_| {})
}

/// [`write_pdf`], calling `progress(n)` from the worker threads as each page of `n`
/// cards is laid out.
pub fn write_pdf_with_progress<W: Write, P: Fn(usize) + Sync>(
    cards: &[Card],
    layout_kind: Layout,
    font: &Font,
    out: W,
    progress: P,
) -> Result<Report, Error> {
    let per_page = match layout_kind {
        Layout::A6x4 => 4,
        Layout::A4 => 1,
        Layout::Png => {
            return Err(Error::Layout(
                "write_pdf draws a6x4 or a4; use write_png for png".into(),
            ))
        }
    };
    let (doc, handle) = document("三查一访 明白卡", font, subset_tag(cards));

    let chunks: Vec<&[Card]> = cards.chunks(per_page).collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(chunks.len().max(1));
    let per_worker = chunks.len().div_ceil(workers.max(1)).max(1);
    let results: Vec<PageResult> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .chunks(per_worker)
            .map(|pages| {
                let (handle, progress) = (&handle, &progress);
                s.spawn(move || {
                    let build = |page: &&[Card]| {
                        let r = build_page(page, layout_kind, font, handle);
                        progress(page.len());
                        r
                    };
                    pages.iter().map(build).collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("page worker panicked"))
            .collect()
    });

    let mut report = Report {
        cards: cards.len(),
        ..Report::default()
    };
    let mut pages = Vec::with_capacity(results.len());
    for r in results {
        let r = r?;
        report.missing_glyphs.extend(r.missing);
        pages.push(r.page);
    }
    finish(doc, pages, report, out)
}

/// A document with `font` embedded under the resource name `tag`.
fn document(title: &str, font: &Font, tag: String) -> (PdfDocument, PdfFontHandle) {
    let mut doc = PdfDocument::new(title);
    // A short resource name, repeated at every size change in every page. printpdf
    // also makes it the subset tag, which must be six capital letters.
    let random_id = doc.add_font(&font.pdf);
    let font_id = FontId(tag);
    if let Some(f) = doc.resources.fonts.map.remove(&random_id) {
        doc.resources.fonts.map.insert(font_id.clone(), f);
    }
    (doc, PdfFontHandle::External(font_id))
}

/// Writes `doc` with `pages` (a blank page when there are none) to `out`.
fn finish<W: Write>(
    mut doc: PdfDocument,
    mut pages: Vec<PdfPage>,
    mut report: Report,
    mut out: W,
) -> Result<Report, Error> {
    if pages.is_empty() {
        pages.push(PdfPage::new(Mm(A4_W), Mm(A4_H), Vec::new()));
    }
    report.pages = pages.len();
    doc.with_pages(pages);
    let bytes = serialize(doc)?;
    out.write_all(&bytes)?;
    out.flush()?;
    report.bytes = bytes.len() as u64;
    Ok(report)
}

/// The enrolment sheet: slips laid out A6 ([`crate::sheet`]), four to an A4 page
/// with the print run's cut marks. `tag` names the font subset (six capitals).
pub(crate) fn write_slips<W: Write>(
    slips: &[CardLayout],
    tag: String,
    font: &Font,
    out: W,
) -> Result<Report, Error> {
    let (doc, handle) = document("三查 手机登记码", font, tag);
    let pages = slips
        .chunks(4)
        .map(|page| {
            let mut ops = Vec::new();
            for (i, l) in page.iter().enumerate() {
                let ox = (i % 2) as f32 * l.width;
                let oy = (A4_H - 2.0 * l.height) / 2.0 + (i / 2) as f32 * l.height;
                card_ops(l, ox, oy, &handle, &mut ops);
            }
            cut_marks(&mut ops);
            PdfPage::new(Mm(A4_W), Mm(A4_H), ops)
        })
        .collect();
    let report = Report {
        cards: slips.len(),
        ..Report::default()
    };
    finish(doc, pages, report, out)
}

/// The document as PDF bytes: printpdf builds the objects (subsetting the font), the
/// streams are deflated here on all cores, lopdf writes the file.
fn serialize(doc: PdfDocument) -> Result<Vec<u8>, Error> {
    // `optimize: false` only skips lopdf's compression pass, which we do instead.
    // `secure: false` lets the raw path operators above through; every operator in the
    // content is made by this module (card text only ever travels inside ShowText).
    let opts = PdfSaveOptions {
        subset_fonts: true,
        optimize: false,
        secure: false,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    drop(doc); // the pages' operations, no longer needed while compressing
    let mut streams: Vec<&mut lopdf::Stream> = lo
        .objects
        .values_mut()
        .filter_map(|o| match o {
            lopdf::Object::Stream(s) if s.allows_compression && s.dict.get(b"Filter").is_err() => {
                Some(s)
            }
            _ => None,
        })
        .collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per = streams.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        for group in streams.chunks_mut(per) {
            s.spawn(move || group.iter_mut().for_each(|st| deflate(st)));
        }
    });
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)?;
    Ok(bytes)
}

fn deflate(stream: &mut lopdf::Stream) {
    use flate2::write::ZlibEncoder;
    let mut enc = ZlibEncoder::new(
        Vec::with_capacity(stream.content.len() / 3),
        flate2::Compression::default(),
    );
    if enc.write_all(&stream.content).is_err() {
        return;
    }
    if let Ok(z) = enc.finish() {
        if z.len() + 19 < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(z);
        }
    }
}

/// Six capital letters derived from the cards, so different documents' subsets differ.
fn subset_tag(cards: &[Card]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in cards {
        for b in c.serial.bytes().chain(c.qr_url.bytes()) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| (b'A' + ((h >> (i * 8)) % 26) as u8) as char)
        .collect()
}

struct PageOut {
    page: PdfPage,
    missing: Vec<crate::MissingGlyphs>,
}
type PageResult = Result<PageOut, Error>;

fn build_page(cards: &[Card], kind: Layout, font: &Font, handle: &PdfFontHandle) -> PageResult {
    let mut ops = Vec::with_capacity(cards.len() * 160);
    let mut missing = Vec::new();
    for (i, card) in cards.iter().enumerate() {
        let l = layout(card, kind, font);
        check_qr(card, &l)?;
        missing.extend(missing_of(card, &l));
        // Card origin on the page, in mm from the top-left corner.
        let (ox, oy) = match kind {
            Layout::A4 => (0.0, (A4_H - l.height) / 2.0),
            _ => (
                (i % 2) as f32 * l.width,
                (A4_H - 2.0 * l.height) / 2.0 + (i / 2) as f32 * l.height,
            ),
        };
        card_ops(&l, ox, oy, handle, &mut ops);
    }
    if kind == Layout::A6x4 {
        cut_marks(&mut ops);
    }
    ops.shrink_to_fit();
    Ok(PageOut {
        page: PdfPage::new(Mm(A4_W), Mm(A4_H), ops),
        missing,
    })
}

/// Rounded to 1/100 pt: far below what prints, and short in the content stream.
fn r2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

/// Content-stream writer for one card, in the card's own coordinates (mm from its
/// top-left corner; the page position is one `cm`). Card-local numbers repeat from
/// card to card, which the stream compression turns into back-references.
///
/// Graphics (paths, colours) are written as PDF operators into a text buffer that goes
/// into the page as a single raw operation: printpdf passes an unknown operator through
/// verbatim when `secure` is off, and lopdf writes an operator's name as given. That
/// keeps a QR code of ~300 rectangles one operation instead of 300 (time and memory).
/// Only numbers and fixed operator names are ever written here; card text goes only
/// through `ShowText`, which printpdf encodes as glyph ids.
struct Pen<'a> {
    ops: &'a mut Vec<Op>,
    /// Card height in mm (PDF's y axis points up).
    h: f32,
    buf: String,
    fill: Option<Rgb>,
    stroke: Option<Rgb>,
    width: Option<f32>,
}

impl<'a> Pen<'a> {
    fn new(ops: &'a mut Vec<Op>, h: f32) -> Pen<'a> {
        Pen {
            ops,
            h,
            buf: String::with_capacity(4096),
            fill: None,
            stroke: None,
            width: None,
        }
    }
    fn num(&mut self, v: f32) {
        let _ = write!(self.buf, "{} ", r2(v));
    }
    fn op(&mut self, name: &str) {
        self.buf.push_str(name);
        self.buf.push('\n');
    }
    /// Hands the buffered operators to the page as one raw operation.
    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let mut raw = std::mem::take(&mut self.buf);
            raw.pop();
            self.ops.push(Op::Unknown {
                key: raw,
                value: Vec::new(),
            });
        }
    }
    /// A printpdf operation, after whatever is buffered.
    fn push(&mut self, op: Op) {
        self.flush();
        self.ops.push(op);
    }
    fn color(&mut self, c: Rgb, op: &str) {
        for v in [c.0, c.1, c.2] {
            let _ = write!(
                self.buf,
                "{} ",
                (v as f32 / 255.0 * 1000.0).round() / 1000.0
            );
        }
        self.op(op);
    }
    fn set_fill(&mut self, c: Rgb) {
        if self.fill != Some(c) {
            self.color(c, "rg");
            self.fill = Some(c);
        }
    }
    fn set_stroke(&mut self, c: Rgb, width_mm: f32) {
        if self.stroke != Some(c) {
            self.color(c, "RG");
            self.stroke = Some(c);
        }
        let w = r2(width_mm * PT_PER_MM);
        if self.width != Some(w) {
            self.num(w);
            self.op("w");
            self.width = Some(w);
        }
    }
    /// Adds a rectangle to the current path.
    fn rect(&mut self, r: &Rect) {
        self.num(r.x * PT_PER_MM);
        self.num((self.h - r.bottom()) * PT_PER_MM);
        self.num(r.w * PT_PER_MM);
        self.num(r.h * PT_PER_MM);
        self.op("re");
    }
    /// Adds an open polyline to the current path.
    fn polyline(&mut self, points: &[(f32, f32)]) {
        for (i, &(x, y)) in points.iter().enumerate() {
            self.num(x * PT_PER_MM);
            self.num((self.h - y) * PT_PER_MM);
            self.op(if i == 0 { "m" } else { "l" });
        }
    }
}

/// Appends the operations drawing `l` with its top-left corner at (`ox`, `oy`) mm on the page.
fn card_ops(l: &CardLayout, ox: f32, oy: f32, font: &PdfFontHandle, ops: &mut Vec<Op>) {
    let mut pen = Pen::new(ops, l.height);
    pen.op("q");
    pen.buf.push_str("1 0 0 1 ");
    pen.num(ox * PT_PER_MM);
    pen.num((A4_H - oy - l.height) * PT_PER_MM);
    pen.op("cm");

    // Fills, one path per colour run.
    let fills: Vec<_> = l
        .elements
        .iter()
        .filter_map(|e| match e.kind {
            ElementKind::Fill(c) => Some((c, e.rect)),
            _ => None,
        })
        .collect();
    for (i, (c, r)) in fills.iter().enumerate() {
        pen.set_fill(*c);
        pen.rect(r);
        if fills.get(i + 1).is_none_or(|n| n.0 != *c) {
            pen.op("f");
        }
    }
    // Lines, one path per colour and width run.
    let lines: Vec<_> = l
        .elements
        .iter()
        .filter_map(|e| match e.kind {
            ElementKind::Line { color, width } => Some((color, width, e.rect)),
            _ => None,
        })
        .collect();
    for (i, (c, w, r)) in lines.iter().enumerate() {
        pen.set_stroke(*c, *w);
        pen.polyline(&[(r.x, r.y), (r.right(), r.bottom())]);
        if lines.get(i + 1).is_none_or(|n| n.0 != *c || n.1 != *w) {
            pen.op("S");
        }
    }
    for e in &l.elements {
        let r = e.rect;
        match &e.kind {
            ElementKind::Qr(m) => {
                // Module units via the CTM: every rectangle is `col row len height re`
                // in integers, all one path filled once, in black.
                let module = r.w / m.total_width() as f32;
                let q = QUIET_ZONE as f32 * module;
                let k = module * PT_PER_MM;
                pen.op("q");
                for v in [
                    k,
                    0.0,
                    0.0,
                    -k,
                    (r.x + q) * PT_PER_MM,
                    (pen.h - r.y - q) * PT_PER_MM,
                ] {
                    let _ = write!(
                        pen.buf,
                        "{} ",
                        if v.abs() < 100.0 {
                            (v * 1e4).round() / 1e4
                        } else {
                            r2(v)
                        }
                    );
                }
                pen.op("cm");
                pen.op("0 0 0 rg");
                for (a, row, w, h) in m.rects() {
                    let _ = writeln!(pen.buf, "{a} {row} {w} {h} re");
                }
                pen.op("f");
                pen.op("Q");
            }
            ElementKind::Mark { ok } => {
                let (c, strokes) = mark_strokes(*ok, r.x, r.y, r.w);
                pen.set_stroke(c, r.w * 0.16);
                for s in strokes {
                    pen.polyline(&s);
                }
                pen.op("S");
            }
            _ => {}
        }
    }

    // Then all text in one text section.
    pen.push(Op::StartTextSection);
    let mut cur_size = -1.0;
    let mut cur_bold = false;
    for e in &l.elements {
        let ElementKind::Text(t) = &e.kind else {
            continue;
        };
        if t.text.trim().is_empty() {
            continue;
        }
        let size = r2(t.size_pt);
        if size != cur_size {
            pen.push(Op::SetFont {
                font: font.clone(),
                size: Pt(size),
            });
            cur_size = size;
        }
        pen.set_fill(t.color);
        if t.bold != cur_bold {
            pen.op(if t.bold { "2 Tr" } else { "0 Tr" });
            if t.bold {
                pen.set_stroke(t.color, t.em() * 0.04);
            }
            cur_bold = t.bold;
        }
        let ink = t.ink(&e.rect);
        pen.buf.push_str("1 0 0 1 ");
        pen.num(ink.x * PT_PER_MM);
        pen.num((pen.h - t.baseline(&e.rect)) * PT_PER_MM);
        pen.op("Tm");
        pen.push(Op::ShowText {
            items: vec![TextItem::Text(t.text.clone())],
        });
    }
    if cur_bold {
        pen.op("0 Tr");
    }
    pen.push(Op::EndTextSection);
    pen.op("Q");
    pen.flush();
}

/// ✓ or ✗ as polylines inside the square at (x, y) of side `s` mm.
pub(crate) fn mark_strokes(ok: bool, x: f32, y: f32, s: f32) -> (Rgb, Vec<Vec<(f32, f32)>>) {
    if ok {
        (
            crate::layout::GREEN,
            vec![vec![
                (x + 0.12 * s, y + 0.52 * s),
                (x + 0.40 * s, y + 0.82 * s),
                (x + 0.90 * s, y + 0.16 * s),
            ]],
        )
    } else {
        let (a, b) = (0.18 * s, 0.82 * s);
        (
            crate::layout::RED,
            vec![
                vec![(x + a, y + a), (x + b, y + b)],
                vec![(x + b, y + a), (x + a, y + b)],
            ],
        )
    }
}

/// Cut marks on the cut lines between the four A6 cards, in the page's outer margin
/// and at the centre, where no card prints anything.
fn cut_marks(ops: &mut Vec<Op>) {
    let (cx, cy, len) = (A4_W / 2.0, A4_H / 2.0, 7.0);
    let mut pen = Pen::new(ops, A4_H);
    pen.set_stroke(Rgb(0, 0, 0), 0.1);
    for seg in [
        [(cx, 0.0), (cx, len)],
        [(cx, A4_H - len), (cx, A4_H)],
        [(0.0, cy), (len, cy)],
        [(A4_W - len, cy), (A4_W, cy)],
        [(cx - 3.0, cy), (cx + 3.0, cy)],
        [(cx, cy - 3.0), (cx, cy + 3.0)],
    ] {
        pen.polyline(&seg);
    }
    pen.op("S");
    pen.flush();
}
