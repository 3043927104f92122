//! The phone card: a 1080 px wide PNG whose QR code decodes to exactly the card's URL.

use sancha_cardgen::{sample, write_png, Font, PNG_WIDTH};

fn decode_all(img: &image::GrayImage) -> Vec<String> {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}

#[test]
fn every_png_card_of_a_village_scans_to_its_own_url() {
    let font = Font::embedded();
    let village = sample::village(11, 20);
    for card in &village {
        let mut bytes = Vec::new();
        let report = write_png(card, font, &mut bytes).unwrap();
        assert_eq!(report.bytes as usize, bytes.len());
        assert!(report.missing_glyphs.is_empty());
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).unwrap();
        assert_eq!(img.width(), PNG_WIDTH);
        assert_eq!(img.height(), 1522, "A6 proportions");
        let urls = decode_all(&img.to_luma8());
        assert_eq!(urls, vec![card.qr_url.clone()], "{}", card.serial);
    }
}

#[test]
fn png_is_mostly_white_with_a_red_title_band() {
    let font = Font::embedded();
    let mut bytes = Vec::new();
    write_png(&sample::card(2, 3), font, &mut bytes).unwrap();
    let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
    // The band's centre-left (inside the band, left of the title) is red.
    let band = img.get_pixel(80, 80).0;
    assert!(band[0] > 150 && band[1] < 80 && band[2] < 80, "{band:?}");
    // A corner is white paper.
    assert_eq!(img.get_pixel(5, 5).0, [255, 255, 255]);
}
