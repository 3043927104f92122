//! `sancha blobs migrate --to URL`: copies every stored image (and its
//! thumbnail) from the configured blob store to another, e.g. from the data
//! dir to S3 before a second replica starts. The database's `blobs` table is
//! the list; each image's SHA-256 is checked before it is written. Keys the
//! target holds already are skipped, so a run that stopped (or a second run
//! after the replicas switched stores) carries on where it left off.

use sha2::{Digest, Sha256};

use crate::blobs::{derive, BlobStore};
use crate::db::{visits, Db};

/// What a run did, per image.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub copied: u64,
    /// The target had it already.
    pub already: u64,
    /// Listed in the database but absent from the source store.
    pub missing: Vec<String>,
    /// The source's bytes do not hash to their key: not copied.
    pub corrupt: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.corrupt.is_empty()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "已复制 {} 张，目标已有 {} 张，源中缺失 {} 张，校验不符 {} 张 / copied {}, already there {}, missing from the source {}, hash mismatch {}",
            self.copied,
            self.already,
            self.missing.len(),
            self.corrupt.len(),
            self.copied,
            self.already,
            self.missing.len(),
            self.corrupt.len()
        )?;
        for key in &self.missing {
            write!(f, "\n  缺失 / missing: {key}")?;
        }
        for key in &self.corrupt {
            write!(f, "\n  校验不符 / hash mismatch: {key}")?;
        }
        Ok(())
    }
}

/// How many rows are read from the database at a time.
const PAGE: i64 = 500;

/// Copies every image listed in `db` from `from` to `to`. `progress` is
/// called after each image with the number done so far and the total. A
/// store that fails stops the run with the error; running it again resumes.
pub fn migrate(
    db: &Db,
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    mut progress: impl FnMut(u64, u64),
) -> Result<Report, String> {
    let total = db
        .read_blocking(visits::blob_count)
        .map_err(|e| format!("cannot count the images: {e:?}"))?;
    let mut report = Report::default();
    let mut after = String::new();
    let mut done = 0;
    loop {
        let page = db
            .read_blocking(|c| visits::blob_page(c, &after, PAGE))
            .map_err(|e| format!("cannot list the images: {e:?}"))?;
        let Some((last, _)) = page.last() else {
            return Ok(report);
        };
        after = last.clone();
        for (sha, content_type) in &page {
            copy_one(from, to, sha, content_type, &mut report)
                .map_err(|e| format!("image {sha}: {e}"))?;
            done += 1;
            progress(done, total);
        }
    }
}

fn copy_one(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    sha: &str,
    content_type: &str,
    report: &mut Report,
) -> std::io::Result<()> {
    let thumb_key = format!("{sha}.thumb.jpg");
    // The image is written last, so its presence means the thumbnail is there too.
    if to.exists(sha)? {
        report.already += 1;
        return Ok(());
    }
    let Some(bytes) = from.get(sha)? else {
        report.missing.push(sha.to_string());
        return Ok(());
    };
    let actual: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if actual != sha {
        report.corrupt.push(sha.to_string());
        return Ok(());
    }
    let thumb = match from.get(&thumb_key)? {
        Some(t) => Some(t),
        None => crate::blobs::image_format(content_type)
            .and_then(|f| derive(&bytes, f))
            .map(|d| d.thumb),
    };
    if let Some(thumb) = thumb {
        to.put(&thumb_key, &thumb, "image/jpeg")?;
    }
    to.put(sha, &bytes, content_type)?;
    report.copied += 1;
    Ok(())
}
