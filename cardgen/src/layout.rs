//! The measured layout model shared by the PDF and the PNG renderers.
//!
//! [`layout`] turns a [`Card`] into boxes in millimetres (origin top left, y down):
//! fills, lines, text runs, the QR symbol and the ✓/✗ marks. Every text is measured
//! with the card font; text that would overflow its box is shrunk (down to a minimum
//! size), wrapped (within a line limit) or cut with an explicit "…" / "等N项" marker.
//! The renderers only translate the boxes; they decide nothing.
//!
//! The card is designed at A6 (105 × 148 mm); the A4 poster is the same design at
//! twice the size, and the PNG is the A6 design rasterised 1080 px wide.

use crate::card::Card;
use crate::font::{Font, EM_ASCENT};
use crate::qr::QrMatrix;
use crate::Layout;

/// Millimetres per PostScript point.
pub const MM_PER_PT: f32 = 25.4 / 72.0;

/// A6 card size, the design size.
pub const A6_W: f32 = 105.0;
pub const A6_H: f32 = 148.0;
/// Margin inside the card (at A6).
pub const MARGIN: f32 = 5.0;
/// The smallest text size used for card content (A6 points).
pub const MIN_PT: f32 = 5.0;
/// Longest string (in characters) taken from any card field; nothing longer can fit.
const MAX_CHARS: usize = 300;
/// Most list items (members, helpers, policies) considered; the count still shows in "等N项".
const MAX_ITEMS: usize = 200;

/// A box in millimetres, origin top left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w, h }
    }
    pub fn right(&self) -> f32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }
    /// Whether `other` lies inside `self` (with `eps` mm of tolerance).
    pub fn contains(&self, other: &Rect, eps: f32) -> bool {
        other.x >= self.x - eps
            && other.y >= self.y - eps
            && other.right() <= self.right() + eps
            && other.bottom() <= self.bottom() + eps
    }
    /// Whether the interiors of the two boxes intersect by more than `eps` mm.
    pub fn overlaps(&self, other: &Rect, eps: f32) -> bool {
        self.x + eps < other.right()
            && other.x + eps < self.right()
            && self.y + eps < other.bottom()
            && other.y + eps < self.bottom()
    }
    fn scaled(&self, s: f32) -> Rect {
        Rect::new(self.x * s, self.y * s, self.w * s, self.h * s)
    }
}

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

pub const RED: Rgb = Rgb(196, 28, 28);
pub const WHITE: Rgb = Rgb(255, 255, 255);
pub const INK: Rgb = Rgb(25, 25, 25);
pub const LABEL: Rgb = Rgb(80, 80, 80);
pub const GREY: Rgb = Rgb(110, 110, 110);
pub const GRID: Rgb = Rgb(150, 150, 150);
pub const SHADE: Rgb = Rgb(242, 242, 242);
pub const GREEN: Rgb = Rgb(22, 128, 60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// One measured line of text.
#[derive(Clone, Debug, PartialEq)]
pub struct TextRun {
    pub text: String,
    /// Size in points (at the layout's scale).
    pub size_pt: f32,
    pub color: Rgb,
    pub align: Align,
    /// Faux bold (fill + thin outline).
    pub bold: bool,
    /// Measured advance width in mm.
    pub width: f32,
}

impl TextRun {
    /// The em height in mm.
    pub fn em(&self) -> f32 {
        self.size_pt * MM_PER_PT
    }
    /// Where the text's em boxes actually go inside its element box `rect`:
    /// aligned horizontally, centred vertically.
    pub fn ink(&self, rect: &Rect) -> Rect {
        let x = match self.align {
            Align::Left => rect.x,
            Align::Center => rect.x + (rect.w - self.width) / 2.0,
            Align::Right => rect.right() - self.width,
        };
        let em = self.em();
        Rect::new(x, rect.y + (rect.h - em) / 2.0, self.width, em)
    }
    /// The baseline's y for this run inside `rect`.
    pub fn baseline(&self, rect: &Rect) -> f32 {
        self.ink(rect).y + EM_ASCENT * self.em()
    }
}

/// What an element draws.
#[derive(Clone, Debug, PartialEq)]
pub enum ElementKind {
    /// A filled box.
    Fill(Rgb),
    /// A straight line from the box's top-left to its bottom-right corner (the box
    /// has zero width or height); `width` in mm.
    Line { color: Rgb, width: f32 },
    /// A single line of text.
    Text(TextRun),
    /// The QR symbol; the box includes the quiet zone.
    Qr(QrMatrix),
    /// ✓ (`ok`) or ✗, drawn as strokes inside the box.
    Mark { ok: bool },
}

/// What an element is, for tests and readers of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Band,
    Title,
    Location,
    Serial,
    Version,
    Grid,
    LabelShade,
    Label,
    HeadName,
    HouseholdSize,
    Status,
    MainCause,
    Members,
    Helpers,
    Policies,
    Income,
    QualityLabel,
    QualityMark,
    Checked,
    Qr,
    QrCaption,
    CheckCode,
    Complaint,
    /// A line of an enrolment slip ([`crate::sheet`]).
    Slip,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    pub role: Role,
    pub rect: Rect,
    pub kind: ElementKind,
}

impl Element {
    /// Content (text, QR, marks) must never overlap other content; fills and lines
    /// are background.
    pub fn is_content(&self) -> bool {
        matches!(
            self.kind,
            ElementKind::Text(_) | ElementKind::Qr(_) | ElementKind::Mark { .. }
        )
    }
    /// The part of the box actually painted: the ink of a text, the box otherwise.
    pub fn ink(&self) -> Rect {
        match &self.kind {
            ElementKind::Text(t) => t.ink(&self.rect),
            _ => self.rect,
        }
    }
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            ElementKind::Text(t) => Some(&t.text),
            _ => None,
        }
    }
}

/// One card, measured and placed, in millimetres from the card's top-left corner.
#[derive(Clone, Debug, PartialEq)]
pub struct CardLayout {
    pub layout: Layout,
    pub width: f32,
    pub height: f32,
    pub elements: Vec<Element>,
    /// Characters of the card that the font has no glyph for (printed as □), in order
    /// of first appearance.
    pub missing_glyphs: Vec<char>,
    /// Why the QR code could not be made (then the QR box holds a notice instead).
    pub qr_error: Option<String>,
}

impl CardLayout {
    /// Texts of the elements with `role`, in order.
    pub fn texts(&self, role: Role) -> Vec<&str> {
        self.elements
            .iter()
            .filter(|e| e.role == role)
            .filter_map(|e| e.text())
            .collect()
    }
    /// The printable area: the card less its margins.
    pub fn safe_area(&self) -> Rect {
        let m = MARGIN * self.width / A6_W;
        Rect::new(m, m, self.width - 2.0 * m, self.height - 2.0 * m)
    }
}

/// Measures and places everything `card` prints, for `layout`'s geometry.
pub fn layout(card: &Card, layout: Layout, font: &Font) -> CardLayout {
    let mut b = Builder {
        font,
        els: Vec::new(),
        missing: Vec::new(),
    };
    let qr_error = b.card(card);
    let scale = match layout {
        Layout::A4 => 2.0,
        Layout::A6x4 | Layout::Png => 1.0,
    };
    let mut elements = b.els;
    if scale != 1.0 {
        for e in &mut elements {
            e.rect = e.rect.scaled(scale);
            match &mut e.kind {
                ElementKind::Text(t) => {
                    t.size_pt *= scale;
                    t.width *= scale;
                }
                ElementKind::Line { width, .. } => *width *= scale,
                _ => {}
            }
        }
    }
    CardLayout {
        layout,
        width: A6_W * scale,
        height: A6_H * scale,
        elements,
        missing_glyphs: b.missing,
        qr_error,
    }
}

// ---------------------------------------------------------------------------------
// The design, at A6.

const X0: f32 = MARGIN;
const X1: f32 = A6_W - MARGIN;
/// Label column of the table.
const LABEL_W: f32 = 15.0;
/// Cell padding.
const PAD: f32 = 0.8;
/// Line height as a multiple of the em.
const LEADING: f32 = 1.28;
/// Body text size range.
const BODY_MAX: f32 = 7.0;
const TABLE_TOP: f32 = 26.5;
const ROW1_H: f32 = 5.6;
/// Where the full-width part of the table ends and the QR column begins.
const UPPER_BOTTOM: f32 = 91.0;
/// Right edge of the lower, left-hand part of the table.
const LOWER_RIGHT: f32 = 59.5;
const QR_SIDE: f32 = 38.0;
const QR_X: f32 = X1 - QR_SIDE;
const QR_Y: f32 = 92.5;
const LOWER_BOTTOM: f32 = 138.5;
const COMPLAINT_Y: f32 = 139.3;

/// Characters that must not begin a line (closing punctuation).
const NO_LINE_START: &str = "，。、；：？！）」』》】〕…—,.;:?!)%";

struct Builder<'f> {
    font: &'f Font,
    els: Vec<Element>,
    missing: Vec<char>,
}

/// How a single line fits its box: largest and smallest size (pt), colour, alignment.
#[derive(Clone, Copy)]
struct Fit(f32, f32, Rgb, Align);

/// A list shown in one table cell.
struct Flow {
    items: Vec<(String, Rgb)>,
    /// Items follow each other on a line (members) instead of one item per line.
    inline: bool,
    /// Most lines one item may wrap onto before it is cut with "…".
    max_item_lines: usize,
    /// Full item count and unit for the "…等N人" marker when not all items fit.
    more: Option<(usize, &'static str)>,
}

fn em_mm(size: f32) -> f32 {
    size * MM_PER_PT
}
fn line_h(size: f32) -> f32 {
    em_mm(size) * LEADING
}

/// Sizes to try, largest first, in quarter points.
fn sizes(max: f32, min: f32) -> impl Iterator<Item = f32> {
    let steps = ((max - min) * 4.0).round().max(0.0) as usize;
    (0..=steps).map(move |i| max - i as f32 * 0.25)
}

impl Builder<'_> {
    /// Control characters become spaces, characters the font lacks become □ (and are
    /// reported), and the text is capped at `MAX_CHARS`.
    fn clean(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len().min(MAX_CHARS * 4));
        for (i, c) in s.chars().enumerate() {
            if i == MAX_CHARS {
                out.push('…');
                break;
            }
            let c = if c.is_control() || c == '\u{FEFF}' {
                ' '
            } else if !self.font.has_glyph(c) {
                if !self.missing.contains(&c) {
                    self.missing.push(c);
                }
                '□'
            } else {
                c
            };
            out.push(c);
        }
        out
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        self.font.width_mm(s, size)
    }

    /// `s` cut to fit `width` at `size`, with "…" when something was cut.
    fn ellipsize(&self, s: &str, width: f32, size: f32) -> String {
        if self.width(s, size) <= width {
            return s.to_string();
        }
        let budget = width - self.width("…", size);
        let mut w = 0.0;
        let mut out = String::new();
        for c in s.chars() {
            let cw = self.font.advance_em(c) * em_mm(size);
            if w + cw > budget {
                break;
            }
            w += cw;
            out.push(c);
        }
        out.push('…');
        out
    }

    /// Greedy character wrap of `s` into lines no wider than `width`.
    fn wrap(&self, s: &str, width: f32, size: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut cur = String::new();
        let mut w = 0.0;
        for c in s.chars() {
            let cw = self.font.advance_em(c) * em_mm(size);
            if w + cw > width && !cur.is_empty() {
                if c == ' ' || c == '\u{3000}' {
                    lines.push(std::mem::take(&mut cur));
                    w = 0.0;
                    continue;
                }
                // No line may start with closing punctuation: carry the last character over.
                let carry = if NO_LINE_START.contains(c) && cur.chars().count() > 1 {
                    cur.pop()
                } else {
                    None
                };
                lines.push(std::mem::take(&mut cur));
                w = 0.0;
                if let Some(p) = carry {
                    cur.push(p);
                    w = self.font.advance_em(p) * em_mm(size);
                }
            }
            cur.push(c);
            w += cw;
        }
        if !cur.is_empty() || lines.is_empty() {
            lines.push(cur);
        }
        lines
    }

    /// Wraps one item into at most `max_lines` lines, cutting the last with "…".
    fn wrap_item(&self, s: &str, width: f32, size: f32, max_lines: usize) -> Vec<String> {
        let mut lines = self.wrap(s, width, size);
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            let last = lines.pop().unwrap_or_default();
            lines.push(self.ellipsize(&format!("{last}……"), width, size));
        }
        lines
    }

    /// Every line of `items` at `size` (items capped, the list not).
    fn flow_lines(
        &self,
        flow: &Flow,
        items: &[(String, Rgb)],
        width: f32,
        size: f32,
    ) -> Vec<(String, Rgb)> {
        let mut out: Vec<(String, Rgb)> = Vec::new();
        if !flow.inline {
            for (text, color) in items {
                for l in self.wrap_item(text, width, size, flow.max_item_lines) {
                    out.push((l, *color));
                }
            }
            return out;
        }
        let sep = "　";
        let sep_w = self.width(sep, size);
        let mut cur = String::new();
        let mut cur_w = 0.0;
        for (text, color) in items {
            let w = self.width(text, size);
            if !cur.is_empty() && cur_w + sep_w + w <= width {
                cur.push_str(sep);
                cur.push_str(text);
                cur_w += sep_w + w;
                continue;
            }
            if !cur.is_empty() {
                out.push((std::mem::take(&mut cur), *color));
            }
            let mut parts = self.wrap_item(text, width, size, flow.max_item_lines);
            let last = parts.pop().unwrap_or_default();
            out.extend(parts.into_iter().map(|p| (p, *color)));
            cur_w = self.width(&last, size);
            cur = last;
        }
        if !cur.is_empty() {
            let color = items.last().map(|i| i.1).unwrap_or(INK);
            out.push((cur, color));
        }
        out
    }

    /// The lines of `flow` that fit `cap` lines at `size`: all of them, or as many
    /// items as fit followed by "…等N项" (or the last line cut with "…").
    fn fit_flow(&self, flow: &Flow, width: f32, size: f32, cap: usize) -> Vec<(String, Rgb)> {
        let cap = cap.max(1);
        let all = self.flow_lines(flow, &flow.items, width, size);
        if all.len() <= cap {
            return all;
        }
        let Some((total, unit)) = flow.more else {
            let mut lines = all;
            lines.truncate(cap);
            if let Some((last, _)) = lines.last_mut() {
                *last = self.ellipsize(&format!("{last}……"), width, size);
            }
            return lines;
        };
        let marker = (format!("…等{total}{unit}"), GREY);
        let fits = |k: usize| {
            let mut items: Vec<(String, Rgb)> = flow.items[..k].to_vec();
            items.push(marker.clone());
            let lines = self.flow_lines(flow, &items, width, size);
            (lines.len() <= cap).then_some(lines)
        };
        // Monotone in k: binary search the most items that fit with the marker.
        let (mut lo, mut hi) = (0usize, flow.items.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(mid).is_some() {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        fits(lo).unwrap_or_else(|| vec![(self.ellipsize(&marker.0, width, size), GREY)])
    }

    fn push(&mut self, role: Role, rect: Rect, kind: ElementKind) {
        self.els.push(Element { role, rect, kind });
    }

    fn text(&mut self, role: Role, rect: Rect, text: String, size: f32, color: Rgb, align: Align) {
        let width = self.width(&text, size);
        self.push(
            role,
            rect,
            ElementKind::Text(TextRun {
                text,
                size_pt: size,
                color,
                align,
                bold: false,
                width,
            }),
        );
    }

    /// One line in `rect`: the largest size in `max..=min` at which it fits (also in
    /// height), else cut with "…" at `min`.
    fn fit_line(&mut self, role: Role, rect: Rect, text: &str, fit: Fit) {
        let Fit(max, min, color, align) = fit;
        let max = max.min(rect.h / MM_PER_PT);
        let min = min.min(max);
        let em_w = self.width(text, 1.0);
        let mut size = if em_w > 0.0 {
            (rect.w / em_w).min(max)
        } else {
            max
        };
        size = (size * 4.0).floor() / 4.0;
        let text = if size < min {
            size = min;
            self.ellipsize(text, rect.w, size)
        } else {
            text.to_string()
        };
        self.text(role, rect, text, size, color, align);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Rgb) {
        self.push(
            Role::Grid,
            Rect::new(x1, y1, x2 - x1, y2 - y1),
            ElementKind::Line { color, width },
        );
    }

    /// Places `lines` (at `size`) from the top of the value cell `cell`.
    fn place_lines(&mut self, role: Role, cell: Rect, lines: Vec<(String, Rgb)>, size: f32) {
        let lh = line_h(size);
        let used = lines.len() as f32 * lh;
        let mut y = cell.y + ((cell.h - used) / 2.0).max(0.0);
        for (text, color) in lines {
            self.text(
                role,
                Rect::new(cell.x, y, cell.w, lh),
                text,
                size,
                color,
                Align::Left,
            );
            y += lh;
        }
    }

    /// Shares `avail` mm of height among `flows` (one table row each), all at one
    /// size: the largest at which all fit, else the minimum with each row given what
    /// it needs or a fair share. Returns the size and each row's height.
    fn allocate(&self, flows: &[&Flow], width: f32, avail: f32) -> (f32, Vec<f32>) {
        let need = |size: f32| -> Vec<f32> {
            flows
                .iter()
                .map(|f| {
                    self.flow_lines(f, &f.items, width, size).len().max(1) as f32 * line_h(size)
                        + 2.0 * PAD
                })
                .collect()
        };
        for size in sizes(BODY_MAX, MIN_PT) {
            let n = need(size);
            let total: f32 = n.iter().sum();
            if total <= avail {
                let extra = (avail - total) / flows.len() as f32;
                return (size, n.into_iter().map(|h| h + extra).collect());
            }
        }
        // Water-filling at the minimum size.
        let n = need(MIN_PT);
        let mut heights = vec![0.0; flows.len()];
        let mut open: Vec<usize> = (0..flows.len()).collect();
        let mut left = avail;
        loop {
            let share = left / open.len() as f32;
            let (small, big): (Vec<usize>, Vec<usize>) = open.iter().partition(|&&i| n[i] <= share);
            if small.is_empty() {
                for &i in &big {
                    heights[i] = share;
                }
                break;
            }
            for &i in &small {
                heights[i] = n[i];
                left -= n[i];
            }
            open = big;
            if open.is_empty() {
                break;
            }
        }
        (MIN_PT, heights)
    }

    /// A table row: shaded label cell + a flow in the value cell.
    fn flow_row(&mut self, role: Role, label: &str, flow: &Flow, row: Rect, size: f32) {
        let (y, h) = (row.y, row.h);
        self.label(label, y, h);
        let cell = Rect::new(
            row.x + LABEL_W + PAD,
            y + PAD,
            row.w - LABEL_W - 2.0 * PAD,
            h - 2.0 * PAD,
        );
        let cap = ((cell.h + 0.01) / line_h(size)).floor() as usize;
        let lines = self.fit_flow(flow, cell.w, size, cap);
        self.place_lines(role, cell, lines, size);
    }

    fn label(&mut self, label: &str, y: f32, h: f32) {
        self.label_at(label, X0, y, LABEL_W, h);
    }

    fn label_at(&mut self, label: &str, x: f32, y: f32, w: f32, h: f32) {
        self.push(
            Role::LabelShade,
            Rect::new(x, y, w, h),
            ElementKind::Fill(SHADE),
        );
        let lh = line_h(6.5).min(h - 2.0 * PAD);
        let rect = Rect::new(x + PAD, y + (h - lh) / 2.0, w - 2.0 * PAD, lh);
        self.fit_line(
            Role::Label,
            rect,
            label,
            Fit(6.5, MIN_PT, LABEL, Align::Center),
        );
    }

    /// Lays out the whole card at A6. Returns the QR error, if any.
    fn card(&mut self, card: &Card) -> Option<String> {
        // Title band.
        self.push(
            Role::Band,
            Rect::new(X0, X0, X1 - X0, 11.0),
            ElementKind::Fill(RED),
        );
        self.fit_line(
            Role::Title,
            Rect::new(X0 + 2.0, X0 + 1.5, X1 - X0 - 4.0, 8.0),
            "三查一访 明白卡",
            Fit(16.0, 10.0, WHITE, Align::Center),
        );
        if let Some(Element {
            kind: ElementKind::Text(t),
            ..
        }) = self.els.last_mut()
        {
            t.bold = true;
        }

        // Location, serial and version.
        let loc = &card.location;
        let place: Vec<&str> = [&loc.city, &loc.county, &loc.town, &loc.village, &loc.group]
            .into_iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        let place = self.clean(&place.join(" "));
        self.fit_line(
            Role::Location,
            Rect::new(X0, 17.0, X1 - X0, 4.4),
            &place,
            Fit(8.5, MIN_PT, INK, Align::Center),
        );
        let serial = self.clean(&format!("编号：{}", card.serial));
        self.fit_line(
            Role::Serial,
            Rect::new(X0, 21.8, 72.0, 3.8),
            &serial,
            Fit(6.5, MIN_PT, GREY, Align::Left),
        );
        self.fit_line(
            Role::Version,
            Rect::new(X0 + 74.0, 21.8, X1 - X0 - 74.0, 3.8),
            &format!("第{}版", card.version),
            Fit(6.5, MIN_PT, GREY, Align::Right),
        );

        // Rows 1–2: two label/value pairs each.
        let col2 = 58.0;
        let lab2_w = 13.0;
        let pairs = [
            (
                "户主",
                Role::HeadName,
                self.clean(&card.head_name),
                "家庭人口",
                Role::HouseholdSize,
                format!("{}人", card.household_size),
            ),
            (
                "户类型",
                Role::Status,
                self.clean(&card.status),
                "致贫原因",
                Role::MainCause,
                self.clean(&card.main_cause),
            ),
        ];
        let mut y = TABLE_TOP;
        for (l1, r1, v1, l2, r2, v2) in pairs {
            self.label(l1, y, ROW1_H);
            let vh = ROW1_H - 2.0 * PAD;
            self.fit_line(
                r1,
                Rect::new(
                    X0 + LABEL_W + PAD,
                    y + PAD,
                    col2 - X0 - LABEL_W - 2.0 * PAD,
                    vh,
                ),
                &v1,
                Fit(7.5, MIN_PT, INK, Align::Left),
            );
            self.label_at(l2, col2, y, lab2_w, ROW1_H);
            self.fit_line(
                r2,
                Rect::new(
                    col2 + lab2_w + PAD,
                    y + PAD,
                    X1 - col2 - lab2_w - 2.0 * PAD,
                    vh,
                ),
                &v2,
                Fit(7.5, MIN_PT, INK, Align::Left),
            );
            y += ROW1_H;
        }
        let mut row_lines = vec![TABLE_TOP, TABLE_TOP + ROW1_H, y];

        // Rows 3–5: members, helpers, policies share the rest of the upper table.
        let members = self.members(card);
        let helpers = self.helpers(card);
        let policies = self.policies(card);
        let value_w = X1 - X0 - LABEL_W - 2.0 * PAD;
        let (size, hs) = self.allocate(&[&members, &helpers, &policies], value_w, UPPER_BOTTOM - y);
        for ((role, label, flow), h) in [
            (Role::Members, "家庭成员", &members),
            (Role::Helpers, "帮扶责任人", &helpers),
            (Role::Policies, "享受政策", &policies),
        ]
        .into_iter()
        .zip(hs)
        {
            self.flow_row(role, label, flow, Rect::new(X0, y, X1 - X0, h), size);
            y += h;
            row_lines.push(y);
        }

        // Lower left: income, the six checks, who checked.
        let income = self.income(card);
        let checked = self.checked(card);
        let quality_h = 2.0 * line_h(7.0) + 2.0 * PAD + 0.6;
        let lower_w = LOWER_RIGHT - X0 - LABEL_W - 2.0 * PAD;
        let (size, hs) = self.allocate(
            &[&income, &checked],
            lower_w,
            LOWER_BOTTOM - UPPER_BOTTOM - quality_h,
        );
        self.flow_row(
            Role::Income,
            "收入情况",
            &income,
            Rect::new(X0, y, LOWER_RIGHT - X0, hs[0]),
            size,
        );
        y += hs[0];
        row_lines.push(y);
        self.quality(card, y, quality_h);
        y += quality_h;
        row_lines.push(y);
        self.flow_row(
            Role::Checked,
            "检查情况",
            &checked,
            Rect::new(X0, y, LOWER_RIGHT - X0, hs[1]),
            size,
        );
        y += hs[1];

        // Grid: row lines, column lines, frame.
        let thin = 0.2;
        // Rows of the upper table span the card; those below it stop at the QR column.
        for &ry in &row_lines {
            let right = if ry > UPPER_BOTTOM + 0.01 {
                LOWER_RIGHT
            } else {
                X1
            };
            self.line(X0, ry, right, ry, thin, GRID);
        }
        self.line(X0, y, LOWER_RIGHT, y, thin, GRID);
        self.line(X0, TABLE_TOP, X0, y, thin, GRID);
        self.line(X0 + LABEL_W, TABLE_TOP, X0 + LABEL_W, y, thin, GRID);
        self.line(X1, TABLE_TOP, X1, UPPER_BOTTOM, thin, GRID);
        self.line(LOWER_RIGHT, UPPER_BOTTOM, LOWER_RIGHT, y, thin, GRID);
        for ry in [TABLE_TOP, TABLE_TOP + ROW1_H] {
            self.line(col2, ry, col2, ry + ROW1_H, thin, GRID);
            self.line(col2 + lab2_w, ry, col2 + lab2_w, ry + ROW1_H, thin, GRID);
        }

        // QR code, caption, check code.
        let qr_rect = Rect::new(QR_X, QR_Y, QR_SIDE, QR_SIDE);
        let qr_error = match QrMatrix::encode(&card.qr_url) {
            Ok(m) => {
                self.push(Role::Qr, qr_rect, ElementKind::Qr(m));
                None
            }
            Err(e) => {
                let r = Rect::new(QR_X, QR_Y + QR_SIDE / 2.0 - 2.0, QR_SIDE, 4.0);
                self.fit_line(
                    Role::Qr,
                    r,
                    "二维码无法生成",
                    Fit(7.0, MIN_PT, RED, Align::Center),
                );
                Some(e)
            }
        };
        let cap_x = LOWER_RIGHT + 1.0;
        let cap_w = X1 - cap_x;
        self.fit_line(
            Role::QrCaption,
            Rect::new(cap_x, QR_Y + QR_SIDE + 0.2, cap_w, 3.4),
            "扫码查看本户信息",
            Fit(7.0, MIN_PT, INK, Align::Center),
        );
        let code = self.clean(&format!("校验码 {}", card.check_code));
        self.fit_line(
            Role::CheckCode,
            Rect::new(cap_x, QR_Y + QR_SIDE + 3.7, cap_w, 4.0),
            &code,
            Fit(8.5, MIN_PT, INK, Align::Center),
        );
        if let Some(Element {
            kind: ElementKind::Text(t),
            ..
        }) = self.els.last_mut()
        {
            t.bold = true;
        }

        // Complaint line.
        self.line(X0, COMPLAINT_Y - 0.4, X1, COMPLAINT_Y - 0.4, 0.3, RED);
        let complaint = self.clean(&card.complaint_line);
        self.fit_line(
            Role::Complaint,
            Rect::new(X0, COMPLAINT_Y, X1 - X0, 3.6),
            &complaint,
            Fit(7.5, MIN_PT, RED, Align::Center),
        );
        qr_error
    }

    fn members(&mut self, card: &Card) -> Flow {
        let items: Vec<(String, Rgb)> = card
            .members
            .iter()
            .take(MAX_ITEMS)
            .map(|m| {
                let s = match m.age {
                    Some(age) => format!("{}（{}，{}岁）", m.name, m.relation, age),
                    None => format!("{}（{}）", m.name, m.relation),
                };
                (self.clean(&s), INK)
            })
            .collect();
        let n = card.members.len();
        flow_or_none(items, true, 1, n, "人")
    }

    fn helpers(&mut self, card: &Card) -> Flow {
        let items: Vec<(String, Rgb)> = card
            .helpers
            .iter()
            .take(MAX_ITEMS)
            .map(|h| {
                (
                    self.clean(&format!("{}　{}　{}", h.name, h.unit, h.phone)),
                    INK,
                )
            })
            .collect();
        flow_or_none(items, false, 2, card.helpers.len(), "人")
    }

    fn policies(&mut self, card: &Card) -> Flow {
        let items: Vec<(String, Rgb)> = card
            .policies
            .iter()
            .take(MAX_ITEMS)
            .map(|p| {
                let s = if p.amount.trim().is_empty() {
                    format!("{}：{}", p.category, p.item)
                } else {
                    format!("{}：{}　{}", p.category, p.item, p.amount)
                };
                (self.clean(&s), INK)
            })
            .collect();
        flow_or_none(items, false, 2, card.policies.len(), "项")
    }

    fn income(&mut self, card: &Card) -> Flow {
        let items = match &card.income {
            Some(i) => {
                let (verdict, color) = if i.above_line {
                    ("达到", INK)
                } else {
                    ("未达到", RED)
                };
                let mut items = vec![
                    (
                        self.clean(&format!("{}人均纯收入 {}", i.year, i.per_capita)),
                        INK,
                    ),
                    (self.clean(&format!("{verdict}收入标准 {}", i.line)), color),
                ];
                if !i.note.trim().is_empty() {
                    items.push((self.clean(&format!("注：{}", i.note)), GREY));
                }
                items
            }
            None => vec![("尚未核查收入".to_string(), GREY)],
        };
        Flow {
            items,
            inline: false,
            max_item_lines: 2,
            more: None,
        }
    }

    fn checked(&mut self, card: &Card) -> Flow {
        let items = match &card.checked {
            Some(c) => vec![
                (self.clean(&c.inspector), INK),
                (self.clean(&format!("{}　{}", c.level, c.date)), INK),
            ],
            None => vec![("尚未检查".to_string(), GREY)],
        };
        Flow {
            items,
            inline: false,
            max_item_lines: 2,
            more: None,
        }
    }

    /// "两不愁三保障": up to six label + ✓/✗ cells, three per line.
    fn quality(&mut self, card: &Card, y: f32, h: f32) {
        self.label("两不愁三保障", y, h);
        let cell_x = X0 + LABEL_W + PAD;
        let cell_w = (LOWER_RIGHT - cell_x - PAD) / 3.0;
        let lh = (h - 2.0 * PAD) / 2.0;
        if card.quality.is_empty() {
            let r = Rect::new(cell_x, y + PAD, LOWER_RIGHT - cell_x - PAD, h - 2.0 * PAD);
            self.fit_line(
                Role::QualityLabel,
                r,
                "尚未核查",
                Fit(7.0, MIN_PT, GREY, Align::Left),
            );
            return;
        }
        let shown: Vec<_> = card.quality.iter().take(6).collect();
        for (i, q) in shown.iter().enumerate() {
            let cx = cell_x + (i % 3) as f32 * cell_w;
            let cy = y + PAD + (i / 3) as f32 * lh;
            let mark = em_mm(7.0) * 0.95;
            let label = self.clean(&q.label);
            let text_rect = Rect::new(cx, cy, cell_w - mark - 1.4, lh);
            self.fit_line(
                Role::QualityLabel,
                text_rect,
                &label,
                Fit(7.0, MIN_PT, INK, Align::Left),
            );
            // The label's box ends where its text does; the mark follows.
            let tw = match self.els.last_mut() {
                Some(Element {
                    kind: ElementKind::Text(t),
                    rect,
                    ..
                }) => {
                    rect.w = t.width;
                    t.width
                }
                _ => 0.0,
            };
            let mx = cx + tw + 0.8;
            self.push(
                Role::QualityMark,
                Rect::new(mx, cy + (lh - mark) / 2.0, mark, mark),
                ElementKind::Mark { ok: q.ok },
            );
        }
    }
}

fn flow_or_none(
    items: Vec<(String, Rgb)>,
    inline: bool,
    max_item_lines: usize,
    total: usize,
    unit: &'static str,
) -> Flow {
    if items.is_empty() {
        return Flow {
            items: vec![("（暂无）".to_string(), GREY)],
            inline,
            max_item_lines,
            more: None,
        };
    }
    Flow {
        items,
        inline,
        max_item_lines,
        more: Some((total, unit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_overlap_and_containment() {
        let a = Rect::new(0.0, 0.0, 10.0, 10.0);
        assert!(a.overlaps(&Rect::new(5.0, 5.0, 10.0, 10.0), 0.01));
        assert!(!a.overlaps(&Rect::new(10.0, 0.0, 5.0, 5.0), 0.01));
        assert!(a.contains(&Rect::new(1.0, 1.0, 2.0, 2.0), 0.0));
        assert!(!a.contains(&Rect::new(9.0, 1.0, 2.0, 2.0), 0.0));
    }

    #[test]
    fn sizes_step_down_in_quarter_points() {
        let v: Vec<f32> = sizes(7.0, 6.0).collect();
        assert_eq!(v, vec![7.0, 6.75, 6.5, 6.25, 6.0]);
    }
}
