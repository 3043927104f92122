//! Photos and signature images, content-addressed by SHA-256 behind a small
//! trait: files under the data dir (one machine), or an S3-compatible object
//! store that every replica shares (`--blob-url s3://…`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where blob bytes live. Keys are lower-case hex SHA-256 digests, with a
/// suffix for derived files (`<sha>.thumb.jpg`). Storing a key again is a
/// success: the key names its bytes.
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key`; durable when it returns.
    fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> io::Result<()>;
    /// Streams the blob into `out`; `Ok(false)` when there is none under `key`.
    fn copy_to(&self, key: &str, out: &mut (dyn Write + Send)) -> io::Result<bool>;
    /// Whether something is stored under `key` (stores write a key whole or not at all).
    fn exists(&self, key: &str) -> io::Result<bool>;
    /// Whether the store takes blobs now (for `GET /readyz`).
    fn ready(&self) -> io::Result<()>;

    /// The whole blob in memory (small files: thumbnails, a migration's copy).
    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        let mut bytes = Vec::new();
        Ok(self.copy_to(key, &mut bytes)?.then_some(bytes))
    }
}

/// Where the images are, from `--blob-url` / `SANCHA_BLOB_URL`:
/// `file://DIR`, or `s3://BUCKET[/PREFIX][?endpoint=URL&region=NAME]` with the
/// credentials in `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobUrl {
    File(PathBuf),
    S3 {
        bucket: String,
        /// Prepended to every key with a `/`: several deployments may share a bucket.
        prefix: String,
        /// `http://host:port` of an S3-compatible server; AWS's own for the region by default.
        endpoint: String,
        region: String,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct S3Query {
    endpoint: Option<String>,
    region: Option<String>,
}

impl BlobUrl {
    /// The configured store, or files under `<data_dir>/blobs` when none is.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> Result<BlobUrl, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(BlobUrl::File(data_dir.join("blobs")));
        };
        let bad = |why: &str| format!("blob store URL {url:?}: {why}");
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(bad("file:// needs a directory"));
            }
            return Ok(BlobUrl::File(PathBuf::from(dir)));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(bad(
                "expected file://DIR or s3://BUCKET?endpoint=…&region=…",
            ));
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, prefix) = path.split_once('/').unwrap_or((path, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(bad(
                "a bucket name is 3 to 63 lower-case letters, digits, '-' or '.'",
            ));
        }
        let q: S3Query = serde_urlencoded::from_str(query)
            .map_err(|e| bad(&format!("the query takes endpoint and region ({e})")))?;
        let region = q.region.unwrap_or_else(|| "us-east-1".into());
        let endpoint = q
            .endpoint
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(bad("the endpoint is an http:// or https:// URL"));
        }
        Ok(BlobUrl::S3 {
            bucket: bucket.into(),
            prefix: prefix.trim_matches('/').into(),
            endpoint: endpoint.trim_end_matches('/').into(),
            region,
        })
    }

    /// The store this URL names. S3 credentials are read from the environment.
    pub fn open(&self) -> Result<Arc<dyn BlobStore>, String> {
        Ok(match self {
            BlobUrl::File(dir) => Arc::new(FsBlobStore::new(dir.clone())),
            BlobUrl::S3 { .. } => Arc::new(S3BlobStore::open(self)?),
        })
    }
}

impl std::fmt::Display for BlobUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobUrl::File(dir) => write!(f, "file://{}", dir.display()),
            BlobUrl::S3 {
                bucket,
                prefix,
                endpoint,
                region,
            } => {
                let slash = if prefix.is_empty() { "" } else { "/" };
                write!(
                    f,
                    "s3://{bucket}{slash}{prefix}?endpoint={endpoint}&region={region}"
                )
            }
        }
    }
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
    fn put(&self, key: &str, bytes: &[u8], _content_type: &str) -> io::Result<()> {
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

    fn copy_to(&self, key: &str, out: &mut (dyn Write + Send)) -> io::Result<bool> {
        match std::fs::File::open(self.path(key)) {
            Ok(mut f) => io::copy(&mut f, out).map(|_| true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn exists(&self, key: &str) -> io::Result<bool> {
        self.path(key).try_exists()
    }

    /// The directory exists (or can be made) and takes a file.
    fn ready(&self) -> io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        let probe = self
            .root
            .join(format!(".ready.{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(probe)
    }
}

/// An S3-compatible bucket (SeaweedFS, AWS S3, or any other), addressed
/// path-style. Requests time out after [`S3_TIMEOUT`]; rust-s3 retries a
/// refused or reset connection once, so a store that is down answers in
/// about a second and the API says 503.
pub struct S3BlobStore {
    bucket: Box<s3::Bucket>,
    prefix: String,
}

/// How long one request to the object store may take.
const S3_TIMEOUT: Duration = Duration::from_secs(20);

impl S3BlobStore {
    fn open(url: &BlobUrl) -> Result<S3BlobStore, String> {
        let BlobUrl::S3 {
            bucket,
            prefix,
            endpoint,
            region,
        } = url
        else {
            unreachable!("S3BlobStore::open takes an s3:// URL");
        };
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        else {
            return Err(
                "the s3:// blob store needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            );
        };
        let token = var("AWS_SESSION_TOKEN");
        let credentials =
            s3::creds::Credentials::new(Some(&key), Some(&secret), None, token.as_deref(), None)
                .map_err(|e| format!("S3 credentials: {e}"))?;
        let region = s3::Region::Custom {
            region: region.clone(),
            endpoint: endpoint.clone(),
        };
        let bucket = s3::Bucket::new(bucket, region, credentials)
            .and_then(|b| b.with_request_timeout(S3_TIMEOUT))
            .map_err(|e| format!("S3 bucket: {e}"))?
            .with_path_style();
        Ok(S3BlobStore {
            bucket,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

/// An S3 failure as an I/O error; a 404 as `NotFound`. S3 error bodies name
/// the bucket and key (a digest), never a person.
fn s3_error(e: s3::error::S3Error) -> io::Error {
    match e {
        s3::error::S3Error::HttpFailWithBody(404, _) => io::ErrorKind::NotFound.into(),
        s3::error::S3Error::Io(e) => e,
        e => io::Error::other(e.to_string()),
    }
}

impl BlobStore for S3BlobStore {
    fn put(&self, key: &str, bytes: &[u8], content_type: &str) -> io::Result<()> {
        self.bucket
            .put_object_with_content_type(self.key(key), bytes, content_type)
            .map(drop)
            .map_err(s3_error)
    }

    fn copy_to(&self, key: &str, out: &mut (dyn Write + Send)) -> io::Result<bool> {
        match self
            .bucket
            .get_object_to_writer(self.key(key), out)
            .map_err(s3_error)
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn exists(&self, key: &str) -> io::Result<bool> {
        match self.bucket.head_object(self.key(key)).map_err(s3_error) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The bucket takes a write: one small object, always the same key.
    fn ready(&self) -> io::Result<()> {
        self.put(".readyz", b"", "text/plain")
    }
}

/// A blob store that cannot serve: 503 with Retry-After, the cause logged.
pub fn unavailable(e: impl std::fmt::Display) -> crate::error::ApiError {
    tracing::error!(error = %e, "blob store unavailable");
    crate::error::ApiError::new(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        crate::error::Code::Unavailable,
    )
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

/// What an uploaded image gives besides its bytes.
pub struct Derived {
    /// A JPEG at most 320 px on a side.
    pub thumb: Vec<u8>,
    /// Its 64-bit difference hash, for `process.photo_reused`.
    pub dhash: u64,
}

/// Decodes the image once for its thumbnail and its dHash; `None` when the
/// bytes are not an image of that format.
pub fn derive(bytes: &[u8], format: image::ImageFormat) -> Option<Derived> {
    let img = image::load_from_memory_with_format(bytes, format).ok()?;
    let thumb = img.thumbnail(320, 320).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    thumb.write_to(&mut out, image::ImageFormat::Jpeg).ok()?;
    Some(Derived {
        thumb: out.into_inner(),
        dhash: dhash(&img),
    })
}

/// The difference hash (dHash, after Krawetz): the image in grey at 9×8,
/// one bit per pair of horizontal neighbours, set where the left one is
/// brighter. Re-encoding, scaling and small crops change few bits.
pub fn dhash(img: &image::DynamicImage) -> u64 {
    let small = img
        .resize_exact(9, 8, image::imageops::FilterType::Triangle)
        .to_luma8();
    let mut hash = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            let bit = small.get_pixel(x, y)[0] > small.get_pixel(x + 1, y)[0];
            hash = (hash << 1) | u64::from(bit);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_bytes_come_back_and_missing_keys_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path().join("blobs"));
        store.put("abcd", b"hello", "image/jpeg").unwrap();
        assert_eq!(store.get("abcd").unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(store.get("ab99").unwrap(), None);
    }

    #[test]
    fn blob_urls_parse_and_bad_ones_say_why() {
        let data = Path::new("/srv/sancha");
        assert_eq!(
            BlobUrl::parse(None, data).unwrap(),
            BlobUrl::File(data.join("blobs"))
        );
        assert_eq!(
            BlobUrl::parse(Some("file:///mnt/photos"), data).unwrap(),
            BlobUrl::File("/mnt/photos".into())
        );
        let s3 = BlobUrl::parse(
            Some("s3://blobs/county-1/?endpoint=http://10.0.0.5:8333/&region=cn-north-1"),
            data,
        )
        .unwrap();
        assert_eq!(
            s3,
            BlobUrl::S3 {
                bucket: "blobs".into(),
                prefix: "county-1".into(),
                endpoint: "http://10.0.0.5:8333".into(),
                region: "cn-north-1".into()
            }
        );
        assert_eq!(
            BlobUrl::parse(Some(&s3.to_string()), data).unwrap(),
            s3,
            "Display round-trips"
        );
        let aws = BlobUrl::parse(Some("s3://photos"), data).unwrap();
        assert_eq!(
            aws.to_string(),
            "s3://photos?endpoint=https://s3.us-east-1.amazonaws.com&region=us-east-1"
        );
        for (bad, why) in [
            ("ftp://x", "expected file://"),
            ("file://", "needs a directory"),
            ("s3://", "bucket name"),
            ("s3://Blobs", "bucket name"),
            ("s3://blobs?endpoint=10.0.0.5:8333", "http://"),
            ("s3://blobs?bucket=x", "the query takes"),
        ] {
            let err = BlobUrl::parse(Some(bad), data).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn a_png_gets_a_jpeg_thumbnail_and_garbage_does_not() {
        let img = image::RgbImage::from_pixel(800, 400, image::Rgb([200, 30, 30]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let derived = derive(png.get_ref(), image::ImageFormat::Png).unwrap();
        let back =
            image::load_from_memory_with_format(&derived.thumb, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (320, 160));
        assert!(derive(b"not an image", image::ImageFormat::Png).is_none());
    }

    /// A scene: smooth shading with a few shapes, `shift` pixels to the right.
    fn scene(seed: u32, shift: u32) -> image::DynamicImage {
        image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(640, 480, |x, y| {
            let x = x + shift;
            let v = (x * (3 + seed % 5) + y * (7 + seed % 3)) % 256;
            let blob = ((x / (60 + seed * 7)) + (y / (45 + seed * 3))) % 2 * 90;
            image::Rgb([((v + blob) % 256) as u8, (v / 2) as u8, (255 - v) as u8])
        }))
    }

    #[test]
    fn a_re_encoded_or_shifted_photo_keeps_its_dhash_and_another_scene_does_not() {
        let original = scene(1, 0);
        let mut jpeg = std::io::Cursor::new(Vec::new());
        original
            .to_rgb8()
            .write_to(&mut jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        let reencoded = image::load_from_memory(jpeg.get_ref()).unwrap();
        let h = dhash(&original);
        assert!(!crate::checklist::is_flat(h), "{h:064b}");
        assert!(crate::checklist::dhash_distance(h, dhash(&reencoded)) <= 2);
        assert!(crate::checklist::dhash_distance(h, dhash(&scene(1, 4))) <= 6);
        assert!(crate::checklist::dhash_distance(h, dhash(&scene(4, 0))) > 12);
        let flat = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            64,
            64,
            image::Rgb([0, 0, 0]),
        ));
        assert!(crate::checklist::is_flat(dhash(&flat)));
    }
}
