//! Prints the URL of every QR code printed in a PDF of A6×4 card pages, one
//! per line, decoded the way the card tests decode them (poppler + rqrr).
//! The console's browser tests call it on the print run they downloaded.
//!
//! sancha-qr FILE.pdf [DPI]

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: sancha-qr FILE.pdf [DPI]");
        std::process::exit(2);
    };
    let dpi = args.next().and_then(|d| d.parse().ok()).unwrap_or(150);
    let pdf = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    for page in sancha_tests::rasterise(&pdf, dpi) {
        for url in sancha_tests::decode_a6x4_page(&page) {
            println!("{url}");
        }
    }
}
