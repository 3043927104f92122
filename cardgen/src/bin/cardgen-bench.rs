//! The city benchmark: a synthetic city of 44,196 households in 619 villages, rendered
//! as 619 a6x4 PDFs (one per village, as the server does), to files in a directory or
//! to a counting sink. Prints cards/s, seconds and bytes per card.
//!
//!     cardgen-bench [--villages N] [--jobs N] [--out-dir DIR]
//!
//! `--jobs` villages are rendered at the same time (default 1: one village after the
//! other, each PDF using all cores inside `write_pdf`).
//!     cardgen-bench --emit-jsonl FILE [--cards N]     # sample input for `cardgen`

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use sancha_cardgen::{sample, write_pdf, Font, Layout};

/// Counts bytes and drops them.
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut villages = sample::CITY_VILLAGES;
    let mut out_dir: Option<PathBuf> = None;
    let mut emit: Option<PathBuf> = None;
    let mut cards = 20usize;
    let mut jobs = 1usize;
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| die(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--villages" => villages = value().parse().unwrap_or_else(|_| die("--villages N")),
            "--out-dir" => out_dir = Some(PathBuf::from(value())),
            "--emit-jsonl" => emit = Some(PathBuf::from(value())),
            "--jobs" => jobs = value().parse().unwrap_or_else(|_| die("--jobs N")),
            "--cards" => cards = value().parse().unwrap_or_else(|_| die("--cards N")),
            _ => die(&format!("unknown argument {a}")),
        }
    }
    if let Some(path) = emit {
        let file = std::fs::File::create(&path).unwrap_or_else(|e| die(&e.to_string()));
        let mut w = BufWriter::new(file);
        for h in 0..cards {
            let line = serde_json::to_string(&sample::card(h / 100, h % 100))
                .unwrap_or_else(|e| die(&e.to_string()));
            writeln!(w, "{line}").unwrap_or_else(|e| die(&e.to_string()));
        }
        return;
    }

    let t0 = Instant::now();
    let font = Font::embedded();
    let font_s = t0.elapsed().as_secs_f64();
    let sizes: Vec<usize> = sample::city_sizes().into_iter().take(villages).collect();
    let total_cards: usize = sizes.iter().sum();
    if let Some(dir) = &out_dir {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| die(&e.to_string()));
    }
    let t1 = Instant::now();
    let next = AtomicUsize::new(0);
    let totals = Mutex::new((0u64, 0usize, 0usize, 0.0f64)); // bytes, pages, missing, data seconds
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let v = next.fetch_add(1, Ordering::Relaxed);
                let Some(&n) = sizes.get(v) else { break };
                let tg = Instant::now();
                let village = sample::village(v, n);
                let gen = tg.elapsed().as_secs_f64();
                let report = match &out_dir {
                    Some(dir) => {
                        let path = dir.join(format!("village-{v:03}.pdf"));
                        let file =
                            std::fs::File::create(path).unwrap_or_else(|e| die(&e.to_string()));
                        write_pdf(&village, Layout::A6x4, font, BufWriter::new(file))
                    }
                    None => write_pdf(&village, Layout::A6x4, font, Sink(0)),
                }
                .unwrap_or_else(|e| die(&e.to_string()));
                let mut t = totals.lock().unwrap_or_else(|e| e.into_inner());
                t.0 += report.bytes;
                t.1 += report.pages;
                t.2 += report.missing_glyphs.len();
                t.3 += gen;
            });
        }
    });
    let (bytes, pages, missing, gen_s) = totals.into_inner().unwrap_or_else(|e| e.into_inner());
    let secs = t1.elapsed().as_secs_f64();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "{{\"tool\": \"sancha-cardgen\", \"villages\": {}, \"cards\": {total_cards}, \"pages\": {pages}, \"bytes\": {bytes}, \
         \"bytes_per_card\": {:.0}, \"seconds\": {secs:.2}, \"cards_per_s\": {:.0}, \"data_gen_s\": {gen_s:.2}, \
         \"font_parse_s\": {font_s:.3}, \"cards_with_missing_glyphs\": {missing}, \"cores\": {cores}, \"jobs\": {jobs}}}",
        sizes.len(),
        bytes as f64 / total_cards.max(1) as f64,
        total_cards as f64 / secs,
    );
}

fn die(msg: &str) -> ! {
    eprintln!("cardgen-bench: {msg}");
    std::process::exit(2)
}
