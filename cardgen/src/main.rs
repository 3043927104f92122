//! `cardgen`: renders 明白卡 from a JSON Lines file (one `Card` per line) into a PDF
//! (`a6x4`, `a4`) or a directory of PNGs (`png`, one file per card named by serial).

use std::io::{BufRead, BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use sancha_cardgen::{write_pdf_with_progress, write_png, Card, Font, Layout, Report};

#[derive(Parser)]
#[command(
    name = "cardgen",
    about = "Render 三查一访 明白卡 (clarity cards) as PDF or PNG"
)]
struct Args {
    /// JSON Lines file, one card per line.
    #[arg(long)]
    input: PathBuf,
    /// The PDF file to write, or for `--layout png` the directory for the PNGs.
    #[arg(long)]
    out: PathBuf,
    /// a6x4 (four A6 cards per A4 page), a4 (one poster per card) or png.
    #[arg(long, default_value = "a6x4")]
    layout: Layout,
    /// A font file to use instead of the embedded Noto Sans CJK SC (GBK) subset.
    #[arg(long, env = "SANCHA_CARD_FONT")]
    font: Option<PathBuf>,
    /// Face index inside a font collection (.ttc); 2 is Noto Sans CJK SC in Debian's file.
    #[arg(long, default_value_t = 0)]
    font_index: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("cardgen: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let cards = read_cards(&args.input)?;
    let owned;
    let font = match &args.font {
        Some(p) => {
            owned = Font::from_file_face(p, args.font_index).map_err(|e| e.to_string())?;
            &owned
        }
        None => Font::embedded(),
    };
    let bar = progress_bar(cards.len());
    let report = match args.layout {
        Layout::Png => write_pngs(&cards, font, &args.out, &bar)?,
        kind => {
            let file = std::fs::File::create(&args.out)
                .map_err(|e| format!("{}: {e}", args.out.display()))?;
            write_pdf_with_progress(&cards, kind, font, BufWriter::new(file), |n| {
                bar.inc(n as u64);
                if bar.position() == bar.length().unwrap_or(0) {
                    bar.set_message("writing the PDF…");
                }
            })
            .map_err(|e| e.to_string())?
        }
    };
    bar.finish_and_clear();
    eprintln!("{}", summary(&report, started.elapsed().as_secs_f64()));
    Ok(())
}

/// Reads one card per non-empty line; every bad line is reported with its number.
fn read_cards(path: &Path) -> Result<Vec<Card>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut cards = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: line {}: {e}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Card>(&line) {
            Ok(c) => cards.push(c),
            Err(e) => errors.push(format!(
                "{}: line {}: not a card: {e}",
                path.display(),
                i + 1
            )),
        }
    }
    if errors.is_empty() {
        Ok(cards)
    } else {
        let n = errors.len();
        let mut msg: Vec<String> = errors.into_iter().take(20).collect();
        if n > 20 {
            msg.push(format!("… and {} more bad lines", n - 20));
        }
        Err(format!(
            "{n} bad input line(s), nothing written:\n{}",
            msg.join("\n")
        ))
    }
}

fn progress_bar(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} cards  {per_sec}  eta {eta}  {msg}")
    {
        bar.set_style(style);
    }
    bar
}

/// Renders each card to `dir/<serial>.png`, on all cores.
fn write_pngs(
    cards: &[Card],
    font: &Font,
    dir: &Path,
    bar: &ProgressBar,
) -> Result<Report, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let results: Vec<Result<Report, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut report = Report::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(card) = cards.get(i) else { break };
                        let path = dir.join(format!("{}.png", file_name(&card.serial, i)));
                        let file = std::fs::File::create(&path)
                            .map_err(|e| format!("{}: {e}", path.display()))?;
                        let r = write_png(card, font, BufWriter::new(file))
                            .map_err(|e| format!("{}: {e}", path.display()))?;
                        report.merge(r);
                        bar.inc(1);
                    }
                    Ok(report)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a PNG worker panicked".into()))
            })
            .collect()
    });
    let mut total = Report::default();
    for r in results {
        total.merge(r?);
    }
    Ok(total)
}

/// The serial made safe as a file name (card `i` if nothing is left of it).
fn file_name(serial: &str, i: usize) -> String {
    let s: String = serial
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.');
    if s.is_empty() {
        format!("card-{}", i + 1)
    } else {
        s.chars().take(100).collect()
    }
}

fn summary(r: &Report, secs: f64) -> String {
    let mut s = format!(
        "{} cards, {} pages, {} bytes, {:.2} s",
        r.cards, r.pages, r.bytes, secs
    );
    if r.missing_glyphs.is_empty() {
        s.push_str(", no missing glyphs");
    } else {
        let list: Vec<String> = r
            .missing_glyphs
            .iter()
            .take(10)
            .map(|m| {
                format!(
                    "{} ({})",
                    m.serial,
                    m.chars
                        .iter()
                        .map(|c| format!("{c} U+{:04X}", *c as u32))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            })
            .collect();
        s.push_str(&format!(
            "; {} card(s) with missing glyphs: {}",
            r.missing_glyphs.len(),
            list.join(", ")
        ));
        if r.missing_glyphs.len() > 10 {
            s.push_str(", …");
        }
    }
    s
}
