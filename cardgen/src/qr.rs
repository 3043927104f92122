//! The card's QR code: error correction Q, a 4-module quiet zone, and the dark modules
//! as horizontal runs (one rectangle per run in the PDF, one fill per run in the PNG).

use qrcode::{Color, EcLevel, QrCode, Version};

/// Modules of white border on every side.
pub const QUIET_ZONE: usize = 4;

/// The smallest symbol drawn (version 4, 33 modules): short URLs get this version so
/// the symbol stays at least 30 mm wide in the card's fixed QR box.
const MIN_VERSION: i16 = 4;

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
    pub fn encode(data: &str) -> Result<QrMatrix, String> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::Q)
            .map_err(|e| e.to_string())?;
        let code = if code.width() < (17 + 4 * MIN_VERSION as usize) {
            QrCode::with_version(data.as_bytes(), Version::Normal(MIN_VERSION), EcLevel::Q).unwrap_or(code)
        } else {
            code
        };
        let width = code.width();
        let dark = code.to_colors().into_iter().map(|c| c == Color::Dark).collect();
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
    fn too_much_data_is_an_error_not_a_panic() {
        assert!(QrMatrix::encode(&"x".repeat(5000)).is_err());
    }
}
