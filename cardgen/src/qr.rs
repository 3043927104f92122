//! The card's QR code: error correction Q, a 4-module quiet zone, and the dark modules
//! as horizontal runs (one rectangle per run in the PDF, one fill per run in the PNG).

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, Version};

/// Modules of white border on every side.
pub const QUIET_ZONE: usize = 4;

/// The smallest symbol drawn (version 4, 33 modules): short URLs get this version so
/// the symbol stays at least 30 mm wide in the card's fixed QR box.
const MIN_VERSION: i16 = 4;

const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The mask penalty of ISO/IEC 18004 §7.8.3: N1 runs of five or more, N2 2×2 blocks,
/// N3 finder-like 1:1:3:1:1 patterns with four light modules beside, N4 dark share.
fn penalty(dark: &[bool], n: usize) -> u32 {
    const FINDER_A: [u8; 11] = [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1];
    const FINDER_B: [u8; 11] = [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0];
    let mut score = 0u32;
    // Every row and column, padded with four light modules on each side (the quiet zone).
    let mut line = vec![0u8; n + 8];
    for transposed in [false, true] {
        for i in 0..n {
            for j in 0..n {
                let d = if transposed {
                    dark[j * n + i]
                } else {
                    dark[i * n + j]
                };
                line[j + 4] = d as u8;
            }
            let cells = &line[4..n + 4];
            // N1: runs of five or more of one colour.
            let mut run = 1u32;
            for w in cells.windows(2) {
                if w[0] == w[1] {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            if run >= 5 {
                score += run - 2;
            }
            // N3: 1:1:3:1:1 with four light modules on one side.
            for w in line.windows(11) {
                if w == FINDER_A || w == FINDER_B {
                    score += 40;
                }
            }
        }
    }
    // N2: 2×2 blocks of one colour.
    for y in 0..n - 1 {
        let (a, b) = (&dark[y * n..(y + 1) * n], &dark[(y + 1) * n..(y + 2) * n]);
        for x in 0..n - 1 {
            let c = a[x];
            if a[x + 1] == c && b[x] == c && b[x + 1] == c {
                score += 3;
            }
        }
    }
    // N4: 10 points per 5% the dark share is away from 50%.
    let dark_count = dark.iter().filter(|d| **d).count();
    let pct = dark_count * 100 / (n * n);
    score + 10 * (pct.abs_diff(50) / 5) as u32
}

/// [`penalty`] on bit rows and columns, for symbols up to 56 modules (version 9):
/// the same score, several times faster.
fn penalty_bits(dark: &[bool], n: usize) -> u32 {
    debug_assert!(n <= 56);
    let mut rows = [0u64; 56];
    let mut cols = [0u64; 56];
    for y in 0..n {
        for x in 0..n {
            if dark[y * n + x] {
                rows[y] |= 1 << x;
                cols[x] |= 1 << y;
            }
        }
    }
    let full = (1u64 << n) - 1;
    const FINDER_A: [bool; 11] = [
        false, false, false, false, true, false, true, true, true, false, true,
    ];
    let window = |p: u64, pattern: &[bool; 11]| {
        let mut m = (1u64 << (n - 2)) - 1; // window starts 0..=n-3 on the padded line
        for (k, &bit) in pattern.iter().enumerate() {
            m &= if bit { p >> k } else { !(p >> k) };
        }
        m.count_ones()
    };
    let mut finder_b = FINDER_A;
    finder_b.reverse();
    let mut score = 0u32;
    for &line in rows[..n].iter().chain(&cols[..n]) {
        // N1: `e` marks cells equal to the next; `e4` starts of five equal cells. A run of
        // k ≥ 5 has k-4 bits in `e4` and scores k-2.
        let e = !(line ^ (line >> 1)) & (full >> 1);
        let e4 = e & (e >> 1) & (e >> 2) & (e >> 3);
        let starts = e4 & !(e4 << 1);
        score += e4.count_ones() + 2 * starts.count_ones();
        // N3 on the line padded with four light modules on each side.
        let padded = line << 4;
        score += 40 * (window(padded, &FINDER_A) + window(padded, &finder_b));
    }
    for y in 0..n - 1 {
        let (a, b) = (rows[y], rows[y + 1]);
        let same = !(a ^ b);
        let block = same & (same >> 1) & !(a ^ (a >> 1)) & (full >> 1);
        score += 3 * block.count_ones();
    }
    let dark_count: u32 = rows[..n].iter().map(|r| r.count_ones()).sum();
    let pct = dark_count as usize * 100 / (n * n);
    score + 10 * (pct.abs_diff(50) / 5) as u32
}

/// A QR symbol, without its quiet zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side (without the quiet zone).
    pub width: usize,
    /// Row-major, `true` = dark.
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `data` at error correction level Q.
    ///
    /// The `qrcode` crate does the encoding (segments, error correction, placement,
    /// masking); the choice among the eight masks uses the standard's penalty rules
    /// (ISO/IEC 18004 §7.8.3) scored here on a flat bit matrix, which is several times
    /// faster than the crate's own scoring and was most of the time per card.
    pub fn encode(data: &str) -> Result<QrMatrix, String> {
        let bits =
            qrcode::bits::encode_auto(data.as_bytes(), EcLevel::Q).map_err(|e| e.to_string())?;
        let bits = match bits.version() {
            Version::Normal(v) if v < MIN_VERSION => {
                let mut b = qrcode::bits::Bits::new(Version::Normal(MIN_VERSION));
                b.push_optimal_data(data.as_bytes())
                    .map_err(|e| e.to_string())?;
                b.push_terminator(EcLevel::Q).map_err(|e| e.to_string())?;
                b
            }
            _ => bits,
        };
        let version = bits.version();
        let width = version.width() as usize;
        let (data_cw, ec_cw) =
            qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::Q)
                .map_err(|e| e.to_string())?;
        let mut canvas = Canvas::new(version, EcLevel::Q);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data_cw, &ec_cw);
        let mut best: Option<(u32, Vec<bool>)> = None;
        for mask in MASKS {
            let mut c = canvas.clone();
            c.apply_mask(mask);
            let dark: Vec<bool> = c
                .into_colors()
                .into_iter()
                .map(|m| m == Color::Dark)
                .collect();
            let score = if width <= 56 {
                penalty_bits(&dark, width)
            } else {
                penalty(&dark, width)
            };
            if best.as_ref().is_none_or(|(s, _)| score < *s) {
                best = Some((score, dark));
            }
        }
        let (_, dark) = best.ok_or("no mask")?;
        Ok(QrMatrix { width, dark })
    }

    /// Modules per side including the quiet zone on both sides.
    pub fn total_width(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Horizontal runs of dark modules as `(row, first column, end column)` in symbol
    /// coordinates (quiet zone excluded, end exclusive).
    pub fn runs(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.width).flat_map(move |row| {
            let line = &self.dark[row * self.width..(row + 1) * self.width];
            let mut runs = Vec::new();
            let mut col = 0;
            while col < line.len() {
                if line[col] {
                    let start = col;
                    while col < line.len() && line[col] {
                        col += 1;
                    }
                    runs.push((row, start, col));
                } else {
                    col += 1;
                }
            }
            runs
        })
    }
}

impl QrMatrix {
    /// The dark modules as rectangles `(column, row, width, height)`: horizontal runs,
    /// with a run repeated exactly in the rows below merged into one taller rectangle.
    pub fn rects(&self) -> Vec<(usize, usize, usize, usize)> {
        let mut open: Vec<(usize, usize, usize, usize)> = Vec::new(); // (a, row, w, h) still growing
        let mut done = Vec::new();
        let mut row_runs: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.width];
        for (row, a, b) in self.runs() {
            row_runs[row].push((a, b));
        }
        for (row, runs) in row_runs.iter().enumerate() {
            let mut next = Vec::new();
            for r in open.drain(..) {
                if runs.contains(&(r.0, r.0 + r.2)) {
                    next.push((r.0, r.1, r.2, r.3 + 1));
                } else {
                    done.push(r);
                }
            }
            for &(a, b) in runs {
                if !next.iter().any(|r| r.0 == a && r.2 == b - a) {
                    next.push((a, row, b - a, 1));
                }
            }
            open = next;
        }
        done.extend(open);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_urls_get_at_least_version_4_and_runs_cover_every_dark_module() {
        let q = QrMatrix::encode("https://x.cn/c/a").unwrap();
        assert!(q.width >= 33, "{}", q.width);
        let from_runs: usize = q.runs().map(|(_, a, b)| b - a).sum();
        assert_eq!(from_runs, q.dark.iter().filter(|d| **d).count());
    }

    #[test]
    fn matches_the_qrcode_crate_up_to_the_mask_choice() {
        // Same version and same function patterns: the symbols differ at most by mask.
        let url = "https://sancha.fuxin.example.cn/c/AbCdEfGhIjKlMnOpQrStUv";
        let ours = QrMatrix::encode(url).unwrap();
        let theirs = qrcode::QrCode::with_error_correction_level(url, EcLevel::Q).unwrap();
        assert_eq!(ours.width, theirs.width());
        let finder =
            |d: &[bool], w: usize| (0..7).all(|i| d[i] && d[6 * w + i] && d[i * w] && d[i * w + 6]);
        assert!(finder(&ours.dark, ours.width));
    }

    #[test]
    fn penalty_prefers_balanced_irregular_matrices() {
        let n = 21;
        let all_dark = vec![true; n * n];
        let checker: Vec<bool> = (0..n * n).map(|i| (i / n + i % n) % 2 == 0).collect();
        assert!(penalty(&checker, n) < penalty(&all_dark, n));
        // All dark: N1 per row and column (3 + 16) * 42, N2 400 blocks, N4 100.
        assert_eq!(penalty(&all_dark, n), 19 * 42 + 3 * 400 + 100);
    }

    #[test]
    fn rectangles_cover_exactly_the_dark_modules() {
        let q =
            QrMatrix::encode("https://sancha.fuxin.example.cn/c/AbCdEfGhIjKlMnOpQrStUv").unwrap();
        let mut painted = vec![0u8; q.width * q.width];
        let rects = q.rects();
        for (a, row, w, h) in &rects {
            for y in *row..row + h {
                for x in *a..a + w {
                    painted[y * q.width + x] += 1;
                }
            }
        }
        let expected: Vec<u8> = q.dark.iter().map(|d| *d as u8).collect();
        assert_eq!(painted, expected);
        assert!(
            rects.len() < q.runs().count(),
            "finder patterns merge vertically"
        );
    }

    #[test]
    fn bit_penalty_equals_the_plain_one() {
        let mut r = crate::sample::Rng::new(7);
        for n in [21, 25, 33, 37, 45, 56] {
            for density in [2, 3, 5] {
                let dark: Vec<bool> = (0..n * n).map(|_| r.range(0, density) == 0).collect();
                assert_eq!(penalty_bits(&dark, n), penalty(&dark, n), "n={n}");
            }
            let q = QrMatrix::encode(&"h".repeat(n)).unwrap();
            assert_eq!(
                penalty_bits(&q.dark, q.width.min(56)),
                penalty(&q.dark, q.width.min(56))
            );
        }
        let all_dark = vec![true; 21 * 21];
        assert_eq!(penalty_bits(&all_dark, 21), penalty(&all_dark, 21));
    }

    #[test]
    fn too_much_data_is_an_error_not_a_panic() {
        assert!(QrMatrix::encode(&"x".repeat(5000)).is_err());
    }
}
