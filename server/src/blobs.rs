//! Photos and signature images, content-addressed by SHA-256 behind a small
//! trait, so an object store can take over from the data dir at scale.

use std::io::Write;
use std::path::PathBuf;

/// Where blob bytes live. Keys are lower-case hex SHA-256 digests, with a
/// suffix for derived files (`<sha>.thumb.jpg`).
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key`; durable when it returns.
    fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()>;
    fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>>;
    /// Whether the store takes blobs now (for `GET /readyz`).
    fn ready(&self) -> std::io::Result<()>;
}

/// Files under `<data-dir>/blobs/<first two hex digits>/<key>`.
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(root: PathBuf) -> FsBlobStore {
        FsBlobStore { root }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key.get(..2).unwrap_or("xx")).join(key)
    }
}

impl BlobStore for FsBlobStore {
    fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(key);
        let dir = path.parent().expect("a blob path has a parent");
        std::fs::create_dir_all(dir)?;
        // Write aside, sync, then rename: a crash never leaves half a blob under its key.
        let tmp = dir.join(format!(".{key}.{}", uuid::Uuid::new_v4().simple()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(dir)?.sync_all()
    }

    fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(key)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The directory exists (or can be made) and takes a file.
    fn ready(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        let probe = self.root.join(format!(".ready.{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(probe)
    }
}

/// Image types a phone may upload, by MIME type.
pub fn image_format(content_type: &str) -> Option<image::ImageFormat> {
    match content_type.split(';').next().map(str::trim) {
        Some("image/jpeg") => Some(image::ImageFormat::Jpeg),
        Some("image/png") => Some(image::ImageFormat::Png),
        Some("image/webp") => Some(image::ImageFormat::WebP),
        _ => None,
    }
}

/// Decodes the image and makes a JPEG thumbnail at most 320 px on a side;
/// `None` when the bytes are not an image of that format.
pub fn thumbnail(bytes: &[u8], format: image::ImageFormat) -> Option<Vec<u8>> {
    let img = image::load_from_memory_with_format(bytes, format).ok()?;
    let thumb = img.thumbnail(320, 320).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    thumb.write_to(&mut out, image::ImageFormat::Jpeg).ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_bytes_come_back_and_missing_keys_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path().join("blobs"));
        store.put("abcd", b"hello").unwrap();
        assert_eq!(store.get("abcd").unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(store.get("ab99").unwrap(), None);
    }

    #[test]
    fn a_png_gets_a_jpeg_thumbnail_and_garbage_does_not() {
        let img = image::RgbImage::from_pixel(800, 400, image::Rgb([200, 30, 30]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let thumb = thumbnail(png.get_ref(), image::ImageFormat::Png).unwrap();
        let back = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (320, 160));
        assert!(thumbnail(b"not an image", image::ImageFormat::Png).is_none());
    }
}
