//! The card font: parsed once, shared by the layout (measuring), the PDF writer
//! (embedding, subset per document) and the PNG writer (rasterising).
//!
//! The default is the GBK subset of Noto Sans CJK SC committed in `cardgen/fonts/`
//! and compiled into the binary, so no machine needs a font installed.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use ab_glyph::{Font as _, FontArc, GlyphId};

use crate::Error;

/// The embedded default font (OFL 1.1, see `cardgen/fonts/OFL.txt`).
static EMBEDDED_BYTES: &[u8] = include_bytes!("../fonts/NotoSansSC-GBK.otf");

/// Top of the em box above the baseline, as a share of the em. CJK faces centre
/// their ideographs in an em box from -0.12 to +0.88 em around the baseline.
pub(crate) const EM_ASCENT: f32 = 0.88;

/// A parsed font face, ready for measuring, embedding and rasterising.
///
/// Parsing takes tens of milliseconds; build one `Font` and pass it by reference.
pub struct Font {
    /// printpdf's view: embedded (and subset) into every PDF.
    pub(crate) pdf: printpdf::ParsedFont,
    /// ab_glyph's view: outlines for the PNG renderer.
    pub(crate) raster: FontArc,
    /// Glyph id (high 16 bits) and advance width in font units (low 16 bits) for every
    /// BMP code point; 0 where the face has no glyph.
    bmp: Arc<[u32]>,
    units_per_em: f32,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("units_per_em", &self.units_per_em)
            .finish_non_exhaustive()
    }
}

impl Font {
    /// The font compiled into the crate (Noto Sans CJK SC, GBK coverage). Parsed on first use.
    pub fn embedded() -> &'static Font {
        static FONT: OnceLock<Font> = OnceLock::new();
        FONT.get_or_init(|| {
            let raster = FontArc::try_from_slice(EMBEDDED_BYTES).expect("the embedded font parses");
            Font::build(EMBEDDED_BYTES, 0, raster).expect("the embedded font parses")
        })
    }

    /// Loads a font file (.otf, .ttf; for a collection .ttc the first face).
    pub fn from_file(path: &Path) -> Result<Font, Error> {
        Font::from_file_face(path, 0)
    }

    /// Loads face `index` of a font file; e.g. index 2 of Debian's
    /// `NotoSansCJK-Regular.ttc` is Noto Sans CJK SC.
    pub fn from_file_face(path: &Path, index: u32) -> Result<Font, Error> {
        let bytes =
            std::fs::read(path).map_err(|e| Error::Font(format!("{}: {e}", path.display())))?;
        Font::from_bytes(bytes, index).map_err(|e| match e {
            Error::Font(m) => Error::Font(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Parses face `index` of font bytes.
    pub fn from_bytes(bytes: Vec<u8>, index: u32) -> Result<Font, Error> {
        let raster = ab_glyph::FontVec::try_from_vec_and_index(bytes.clone(), index)
            .map_err(|_| Error::Font("not a font file this renderer can read".into()))?;
        Font::build(&bytes, index, FontArc::new(raster))
    }

    fn build(bytes: &[u8], index: u32, raster: FontArc) -> Result<Font, Error> {
        let mut warnings = Vec::new();
        let pdf = printpdf::ParsedFont::from_bytes(bytes, index as usize, &mut warnings)
            .ok_or_else(|| Error::Font("the PDF writer cannot parse this font".into()))?;
        let units_per_em = raster.units_per_em().unwrap_or(1000.0);
        // Code point -> glyph id comes from printpdf's cmap, the one the PDF uses.
        // (ttf-parser, under ab_glyph, drops format-4 cmap entries whose glyph id is
        // above 32767, which CJK faces have; ab_glyph is used by glyph id only.)
        let mut bmp = vec![0u32; 0x1_0000];
        for (cp, slot) in bmp.iter_mut().enumerate() {
            if char::from_u32(cp as u32).is_none() {
                continue;
            }
            if let Some(gid) = pdf.lookup_glyph_index(cp as u32).filter(|g| *g != 0) {
                let adv = raster
                    .h_advance_unscaled(GlyphId(gid))
                    .round()
                    .clamp(0.0, u16::MAX as f32);
                *slot = (u32::from(gid) << 16) | adv as u32;
            }
        }
        if bmp['0' as usize] == 0 || bmp['中' as usize] == 0 {
            return Err(Error::Font(
                "the font lacks digits or common Chinese characters".into(),
            ));
        }
        Ok(Font {
            pdf,
            raster,
            bmp: bmp.into(),
            units_per_em,
        })
    }

    /// Whether the face has a glyph for `c` (what prints as a box otherwise).
    pub fn has_glyph(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    /// The glyph id of `c` and its advance in font units; `None` when the face lacks it.
    pub(crate) fn glyph(&self, c: char) -> Option<(GlyphId, f32)> {
        if let Some(&v) = self.bmp.get(c as usize) {
            return (v != 0).then_some((GlyphId((v >> 16) as u16), (v & 0xFFFF) as f32));
        }
        let gid = self.pdf.lookup_glyph_index(c as u32).filter(|g| *g != 0)?;
        Some((GlyphId(gid), self.raster.h_advance_unscaled(GlyphId(gid))))
    }

    /// Advance width of `c` in em (a missing glyph measures as the .notdef box, 1 em).
    pub fn advance_em(&self, c: char) -> f32 {
        self.glyph(c).map_or(self.units_per_em, |g| g.1) / self.units_per_em
    }

    /// Width of `text` set at `size_pt`, in millimetres.
    pub fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        let em: f32 = text.chars().map(|c| self.advance_em(c)).sum();
        em * size_pt * crate::layout::MM_PER_PT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_covers_the_card_and_rare_name_characters() {
        let f = Font::embedded();
        for c in
            "三查一访明白卡户主家庭人口扫码查看本户信息等项…（）0123456789ABCxyz-:/堃喆✓□".chars()
        {
            assert!(f.has_glyph(c), "missing {c}");
        }
        assert!(!f.has_glyph('✗'), "✗ is drawn as lines, not a glyph");
        assert!(!f.has_glyph('😀'));
    }

    #[test]
    fn glyph_lookup_is_the_pdf_writers_cmap() {
        let f = Font::embedded();
        for c in "张王李金博：堃喆䶮A1✓✗😀".chars() {
            assert_eq!(
                f.has_glyph(c),
                f.pdf.lookup_glyph_index(c as u32).is_some(),
                "{c}"
            );
        }
        // Glyph ids above 32767 (金 in this face) are found and measured.
        let (gid, adv) = f.glyph('金').unwrap();
        assert!(gid.0 > 32767 && adv > 0.0);
        let w = f.width_mm("中文", 10.0);
        assert!(
            (w - 2.0 * 10.0 * crate::layout::MM_PER_PT).abs() < 0.01,
            "{w}"
        );
    }
}
