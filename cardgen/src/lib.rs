//! The 明白卡 (clarity card) renderer.
//!
//! Knows nothing of HTTP or the database: its input is a [`Card`], everything the card
//! prints already decided by the caller. Outputs: a PDF of many cards ([`write_pdf`],
//! four A6 cards per A4 page or one A4 poster per card) and a PNG of one card for the
//! phone ([`write_png`]). Both draw the same measured [`CardLayout`] ([`layout()`]).

mod card;
mod font;
pub mod layout;
mod pdf;
mod png;
pub mod qr;
pub mod sample;
mod sheet;

use std::fmt;
use std::str::FromStr;

pub use card::{Card, Checked, Helper, Income, Location, Member, Policy, QualityCheck};
pub use font::Font;
pub use layout::{layout, CardLayout, Element, ElementKind, Rect, Role};
pub use pdf::{write_pdf, write_pdf_with_progress};
pub use png::{write_png, PNG_WIDTH};
pub use sheet::{slip_layout, write_sheet_pdf, Slip};

/// How cards are put on paper (or pixels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Four A6 cards on an A4 portrait page, with cut marks (the village print run).
    A6x4,
    /// One card as an A4 poster.
    A4,
    /// The electronic card for the phone: a PNG 1080 px wide.
    Png,
}

impl FromStr for Layout {
    type Err = Error;
    fn from_str(s: &str) -> Result<Layout, Error> {
        match s {
            "a6x4" => Ok(Layout::A6x4),
            "a4" => Ok(Layout::A4),
            "png" => Ok(Layout::Png),
            other => Err(Error::Layout(format!(
                "unknown layout {other:?} (a6x4, a4 or png)"
            ))),
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::A6x4 => "a6x4",
            Layout::A4 => "a4",
            Layout::Png => "png",
        })
    }
}

/// What a render produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub cards: usize,
    /// PDF pages (a PNG counts as one).
    pub pages: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Cards with characters the font has no glyph for (printed as □).
    pub missing_glyphs: Vec<MissingGlyphs>,
}

impl Report {
    /// Adds another report's counts to this one.
    pub fn merge(&mut self, other: Report) {
        self.cards += other.cards;
        self.pages += other.pages;
        self.bytes += other.bytes;
        self.missing_glyphs.extend(other.missing_glyphs);
    }
}

/// One card's characters that the font cannot print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingGlyphs {
    pub serial: String,
    pub chars: Vec<char>,
}

/// Why a render failed.
#[derive(Debug)]
pub enum Error {
    /// Writing the output failed.
    Io(std::io::Error),
    /// The font file could not be read or parsed.
    Font(String),
    /// A layout this call cannot produce (e.g. `Png` to `write_pdf`), or an unknown name.
    Layout(String),
    /// A card's QR code could not be made (its URL is too long).
    Qr { serial: String, reason: String },
    /// Encoding the PNG failed.
    Png(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "write failed: {e}"),
            Error::Font(m) => write!(f, "font: {m}"),
            Error::Layout(m) => write!(f, "layout: {m}"),
            Error::Qr { serial, reason } => {
                write!(f, "card {serial}: QR code cannot be made: {reason}")
            }
            Error::Png(m) => write!(f, "PNG encoding failed: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e)
    }
}

/// The missing-glyph entry for a laid-out card, if it has one.
fn missing_of(card: &Card, l: &CardLayout) -> Option<MissingGlyphs> {
    (!l.missing_glyphs.is_empty()).then(|| MissingGlyphs {
        serial: card.serial.clone(),
        chars: l.missing_glyphs.clone(),
    })
}

/// The error for a card whose QR could not be made.
fn check_qr(card: &Card, l: &CardLayout) -> Result<(), Error> {
    match &l.qr_error {
        Some(reason) => Err(Error::Qr {
            serial: card.serial.clone(),
            reason: reason.clone(),
        }),
        None => Ok(()),
    }
}
