//! Print runs of 明白卡, shared by the HTTP API and `sancha cards`: one
//! village is one PDF; a larger region is a ZIP of one PDF per village,
//! written village by village so memory stays bounded by the largest village.

use std::io::{self, Write};
use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use sancha_cardgen::{Card, Font, Layout, Report};

use crate::cards::{card_of, CardSettings};
use crate::checklist::RuleConfig;
use crate::db::{cards, Db};
use crate::error::ApiError;

fn render_error(e: sancha_cardgen::Error) -> ApiError {
    ApiError::internal(format!("card rendering failed: {e}"))
}

/// Cards as one PDF in `layout`.
pub fn pdf(cards: &[Card], layout: Layout, font: &Font) -> Result<(Vec<u8>, Report), ApiError> {
    let mut out = Vec::new();
    let report = sancha_cardgen::write_pdf(cards, layout, font, &mut out).map_err(render_error)?;
    log_missing(&report);
    Ok((out, report))
}

/// One card as the phone's PNG.
pub fn png(card: &Card, font: &Font) -> Result<(Vec<u8>, Report), ApiError> {
    let mut out = Vec::new();
    let report = sancha_cardgen::write_png(card, font, &mut out).map_err(render_error)?;
    log_missing(&report);
    Ok((out, report))
}

/// Characters the font lacks print as boxes: say which cards (by serial; the
/// names themselves stay out of the log).
fn log_missing(report: &Report) {
    for m in &report.missing_glyphs {
        tracing::warn!(serial = %m.serial, characters = m.chars.len(), "card has characters the font lacks");
    }
}

/// `attachment` with an ASCII file name.
pub fn disposition(name: &str) -> String {
    format!("attachment; filename=\"{name}\"")
}

/// A rendered card or print run: not cached anywhere (it carries names), and
/// `Sancha-Missing-Glyphs` counts the cards with characters the font lacks.
pub fn response(content_type: &str, name: &str, report: &Report) -> actix_web::HttpResponseBuilder {
    let mut r = HttpResponse::Ok();
    r.content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, disposition(name)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            "Sancha-Missing-Glyphs",
            report.missing_glyphs.len().to_string(),
        ));
    r
}

/// Everything a print run needs, cheap to clone into a worker thread.
#[derive(Clone)]
pub struct PrintRun {
    db: Db,
    settings: CardSettings,
    rules: Arc<RuleConfig>,
    font: &'static Font,
    layout: Layout,
    /// Only these households (a reprint), when given.
    only: Option<Arc<std::collections::HashSet<String>>>,
}

impl PrintRun {
    pub fn new(
        db: Db,
        settings: CardSettings,
        rules: Arc<RuleConfig>,
        font: &'static Font,
        layout: Layout,
    ) -> PrintRun {
        PrintRun {
            db,
            settings,
            rules,
            font,
            layout,
            only: None,
        }
    }

    /// Prints only the households in `only` (all when `None`).
    pub fn only(self, only: Option<Arc<std::collections::HashSet<String>>>) -> PrintRun {
        PrintRun { only, ..self }
    }

    /// The cards of one village, in print order (group, household code).
    pub fn cards_of(&self, village: &str) -> Result<(cards::Place, Vec<Card>), ApiError> {
        let v = village.to_string();
        let (place, mut sources) = self
            .db
            .read_blocking(move |c| Ok((cards::place(c, &v)?, cards::village(c, &v)?)))?;
        if let Some(only) = &self.only {
            sources.retain(|s| only.contains(&s.household.id));
        }
        let now = crate::clock::now_cn();
        let cards = sources
            .iter()
            .map(|s| card_of(s, &place, &self.settings, &self.rules, now))
            .collect();
        Ok((place, cards))
    }

    /// One village's PDF: its file name, bytes and report.
    pub fn village(&self, village: &str) -> Result<(String, Vec<u8>, Report), ApiError> {
        let (_, cards) = self.cards_of(village)?;
        let (bytes, report) = pdf(&cards, self.layout, self.font)?;
        Ok((format!("cards-{village}.pdf"), bytes, report))
    }

    /// Writes a ZIP of one PDF per village to `out`, calling `progress` after
    /// each village with its report.
    pub fn write_zip(
        &self,
        villages: &[String],
        out: impl Write,
        mut progress: impl FnMut(&Report),
    ) -> io::Result<()> {
        let mut zip = StoredZip::new(out);
        for village in villages {
            let (place, cards) = self
                .cards_of(village)
                .map_err(|e| io::Error::other(e.to_string()))?;
            let (bytes, report) =
                pdf(&cards, self.layout, self.font).map_err(|e| io::Error::other(e.to_string()))?;
            zip.add(
                &format!("{village}-{}.pdf", file_safe(&place.village)),
                &bytes,
            )?;
            progress(&report);
        }
        zip.finish().map(drop)
    }

    /// The ZIP as a response body, made on a worker thread while it is sent.
    pub fn zip_stream(
        self,
        villages: Vec<String>,
    ) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>> {
        crate::stream::from_writer(move |w| self.write_zip(&villages, w, |_| {}))
    }
}

/// A place name as part of a file name.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// A ZIP archive of stored (uncompressed: PDFs are compressed already)
/// entries whose size is known when they are added, so nothing needs to seek
/// back and no data descriptors are needed. File names are UTF-8 (flag 11).
pub struct StoredZip<W: Write> {
    out: W,
    offset: u64,
    central: Vec<u8>,
    entries: u16,
}

const UTF8_NAMES: u16 = 1 << 11;

impl<W: Write> StoredZip<W> {
    pub fn new(out: W) -> StoredZip<W> {
        StoredZip {
            out,
            offset: 0,
            central: Vec::new(),
            entries: 0,
        }
    }

    pub fn add(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        let too_big = || io::Error::other("the archive would need ZIP64");
        let size = u32::try_from(data.len()).map_err(|_| too_big())?;
        let offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let name_len =
            u16::try_from(name.len()).map_err(|_| io::Error::other("file name too long"))?;
        self.entries = self.entries.checked_add(1).ok_or_else(too_big)?;
        let crc = crc32fast::hash(data);
        let (time, date) = dos_now();
        let mut local = Vec::with_capacity(30 + name.len());
        for (v, w) in [
            (0x0403_4b50, 4),
            (20, 2),
            (u32::from(UTF8_NAMES), 2),
            (0, 2),
            (time, 2),
            (date, 2),
            (crc, 4),
            (size, 4),
            (size, 4),
            (u32::from(name_len), 2),
            (0, 2),
        ] {
            put(&mut local, v, w);
        }
        local.extend_from_slice(name.as_bytes());
        for (v, w) in [
            (0x0201_4b50, 4),
            (20, 2),
            (20, 2),
            (u32::from(UTF8_NAMES), 2),
            (0, 2),
            (time, 2),
            (date, 2),
            (crc, 4),
            (size, 4),
            (size, 4),
            (u32::from(name_len), 2),
            (0, 2),
            (0, 2),
            (0, 2),
            (0, 2),
            (0, 4),
            (offset, 4),
        ] {
            put(&mut self.central, v, w);
        }
        self.central.extend_from_slice(name.as_bytes());
        self.out.write_all(&local)?;
        self.out.write_all(data)?;
        self.offset += (local.len() + data.len()) as u64;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<W> {
        let too_big = || io::Error::other("the archive would need ZIP64");
        let offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let size = u32::try_from(self.central.len()).map_err(|_| too_big())?;
        let mut end = Vec::with_capacity(22);
        let n = u32::from(self.entries);
        for (v, w) in [
            (0x0605_4b50, 4),
            (0, 2),
            (0, 2),
            (n, 2),
            (n, 2),
            (size, 4),
            (offset, 4),
            (0, 2),
        ] {
            put(&mut end, v, w);
        }
        self.out.write_all(&self.central)?;
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Little-endian `value` in `width` bytes.
fn put(buf: &mut Vec<u8>, value: u32, width: usize) {
    buf.extend_from_slice(&value.to_le_bytes()[..width]);
}

/// Now as MS-DOS time and date (China time, as the files are read there).
fn dos_now() -> (u32, u32) {
    use chrono::{Datelike, Timelike};
    let t = crate::clock::now_cn();
    let time = (t.hour() << 11) | (t.minute() << 5) | (t.second() / 2);
    let date = ((t.year().clamp(1980, 2107) - 1980) as u32) << 9 | (t.month() << 5) | t.day();
    (time, date)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a stored ZIP back by its central directory, as unzip does.
    fn entries(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
        let u32_at =
            |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]) as usize;
        let end = zip.len() - 22;
        assert_eq!(u32_at(end), 0x0605_4b50);
        let (count, mut at) = (u16_at(end + 10), u32_at(end + 16));
        let mut out = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(at), 0x0201_4b50);
            let (crc, size, name_len, local) = (
                u32_at(at + 16),
                u32_at(at + 24),
                u16_at(at + 28),
                u32_at(at + 42),
            );
            let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(local), 0x0403_4b50);
            let data_at = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            let data = zip[data_at..data_at + size].to_vec();
            assert_eq!(crc32fast::hash(&data) as usize, crc);
            out.push((name, data));
            at += 46 + name_len;
        }
        out
    }

    #[test]
    fn a_stored_zip_reads_back_with_utf8_names() {
        let mut zip = StoredZip::new(Vec::new());
        zip.add("210922201203-双龙村.pdf", b"%PDF-1.7 one").unwrap();
        zip.add("210922201204-.pdf", b"").unwrap();
        let bytes = zip.finish().unwrap();
        assert_eq!(
            entries(&bytes),
            vec![
                (
                    "210922201203-双龙村.pdf".to_string(),
                    b"%PDF-1.7 one".to_vec()
                ),
                ("210922201204-.pdf".to_string(), Vec::new())
            ]
        );
    }

    #[test]
    fn file_names_lose_path_characters_only() {
        assert_eq!(file_safe("双龙/村:1"), "双龙_村_1");
    }
}
