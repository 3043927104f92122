//! Online backups of the embedded database: `sancha backup --out FILE` copies
//! the SQLite database while the server runs and takes visits, and
//! `sancha restore FILE` puts such a copy into an empty data dir.
//!
//! The copy is `VACUUM INTO`: one read transaction on the live database, so
//! it holds exactly the visits committed before it began (a 2xx was only ever
//! sent after a commit), and writers go on meanwhile (WAL). Into the copy go
//! the list of stored images (photos and signatures stay files under
//! `blobs/`, copied separately) and when it was taken. PostgreSQL deployments
//! back up with their own tools instead (pg_basebackup and WAL archiving).

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::{Backend, Target};

/// What a backup holds.
#[derive(Debug)]
pub struct BackupReport {
    pub visits: i64,
    pub images: usize,
    pub bytes: u64,
}

impl std::fmt::Display for BackupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "已备份：{} 条核查记录，{} 张图片的清单，{} 字节 / backed up: {} visits, a list of {} images, {} bytes",
            self.visits, self.images, self.bytes, self.visits, self.images, self.bytes
        )
    }
}

/// What a restore found.
#[derive(Debug)]
pub struct RestoreReport {
    pub visits: i64,
    pub taken_at: String,
    /// Images the backup listed that the data dir's `blobs/` does not hold.
    pub missing_images: Vec<String>,
}

impl std::fmt::Display for RestoreReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "已恢复 {} 的备份：{} 条核查记录 / restored the backup of {}: {} visits",
            self.taken_at, self.visits, self.taken_at, self.visits
        )?;
        if !self.missing_images.is_empty() {
            write!(
                f,
                "\n缺少 {} 张图片：请把原数据目录的 blobs/ 复制过来 / {} images missing: copy the old data dir's blobs/ here",
                self.missing_images.len(),
                self.missing_images.len()
            )?;
        }
        Ok(())
    }
}

fn sqlite_path(database_url: Option<&str>, data_dir: &Path) -> Result<PathBuf, String> {
    let target = Target::parse(database_url, data_dir)?;
    if target.backend != Backend::Sqlite {
        return Err("PostgreSQL 请用 pg_basebackup 与 WAL 归档备份 / \
                    back PostgreSQL up with pg_basebackup and WAL archiving"
            .into());
    }
    Ok(data_dir.join("sancha.db"))
}

fn open(path: &Path) -> Result<SqliteConnection, String> {
    let url = path.to_str().ok_or("the path is not UTF-8")?;
    let mut conn =
        SqliteConnection::establish(url).map_err(|e| format!("{}: {e}", path.display()))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000")
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The image keys under `<data_dir>/blobs/`.
fn stored_images(data_dir: &Path) -> Vec<String> {
    let mut keys: Vec<String> = std::fs::read_dir(data_dir.join("blobs"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|d| d.path().is_dir())
        .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
        .filter_map(|f| f.file_name().into_string().ok())
        .filter(|name| name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()))
        .collect();
    keys.sort();
    keys
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn visits_in(conn: &mut SqliteConnection) -> Result<i64, String> {
    diesel::sql_query("SELECT COUNT(*) AS n FROM visits")
        .get_result::<Count>(conn)
        .map(|c| c.n)
        .map_err(|e| e.to_string())
}

/// Copies the live database of `data_dir` to `out` (which must not exist).
pub fn backup(
    database_url: Option<&str>,
    data_dir: &Path,
    out: &Path,
) -> Result<BackupReport, String> {
    let live = sqlite_path(database_url, data_dir)?;
    if out.exists() {
        return Err(format!(
            "{} 已存在，不会覆盖 / exists; not overwritten",
            out.display()
        ));
    }
    if !live.exists() {
        return Err(format!("{} 不存在 / does not exist", live.display()));
    }
    let partial = out.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let copy = partial.to_str().ok_or("the output path is not UTF-8")?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(copy)
        .execute(&mut open(&live)?)
        .map_err(|e| format!("VACUUM INTO: {e}"))?;
    // Listed after the copy: every image the copy's visits had (images are never deleted).
    let images = stored_images(data_dir);
    let mut conn = open(&partial)?;
    conn.batch_execute(
        "CREATE TABLE backup_images (sha256 TEXT PRIMARY KEY NOT NULL); \
         CREATE TABLE backup_info (taken_at TEXT NOT NULL);",
    )
    .map_err(|e| e.to_string())?;
    conn.transaction(|c| {
        for key in &images {
            diesel::sql_query("INSERT INTO backup_images (sha256) VALUES (?)")
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(c)?;
        }
        diesel::sql_query("INSERT INTO backup_info (taken_at) VALUES (?)")
            .bind::<diesel::sql_types::Text, _>(crate::clock::now_cn().to_rfc3339())
            .execute(c)
            .map(drop)
    })
    .map_err(|e: diesel::result::Error| e.to_string())?;
    let visits = visits_in(&mut conn)?;
    drop(conn);
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| e.to_string())?;
    std::fs::rename(&partial, out).map_err(|e| e.to_string())?;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport {
        visits,
        images: images.len(),
        bytes,
    })
}

/// Puts the backup `file` into `data_dir`, which must hold no database yet.
/// The copy is checked (`PRAGMA integrity_check`) before it takes its place;
/// the schema is brought up to date when the server next opens it.
pub fn restore(
    database_url: Option<&str>,
    data_dir: &Path,
    file: &Path,
) -> Result<RestoreReport, String> {
    let live = sqlite_path(database_url, data_dir)?;
    if live.exists() {
        return Err(format!(
            "{} 已有数据库；请恢复到空的数据目录 / already holds a database; restore into an empty data dir",
            data_dir.display()
        ));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| e.to_string())?;
    let partial = live.with_extension("restoring");
    std::fs::copy(file, &partial).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut conn = open(&partial)?;
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let check = diesel::sql_query("PRAGMA integrity_check")
        .get_result::<Check>(&mut conn)
        .map_err(|e| format!("not a sancha backup: {e}"))?;
    if check.integrity_check != "ok" {
        return Err(format!(
            "备份文件已损坏 / the backup is damaged: {}",
            check.integrity_check
        ));
    }
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = diesel::sql_types::Text)]
        taken_at: String,
    }
    #[derive(QueryableByName)]
    struct Image {
        #[diesel(sql_type = diesel::sql_types::Text)]
        sha256: String,
    }
    let taken_at = diesel::sql_query("SELECT taken_at FROM backup_info")
        .get_result::<Taken>(&mut conn)
        .map_err(|e| format!("not a sancha backup (no backup_info): {e}"))?
        .taken_at;
    let listed = diesel::sql_query("SELECT sha256 FROM backup_images")
        .load::<Image>(&mut conn)
        .map_err(|e| e.to_string())?;
    conn.batch_execute("DROP TABLE backup_images; DROP TABLE backup_info;")
        .map_err(|e| e.to_string())?;
    let visits = visits_in(&mut conn)?;
    drop(conn);
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| e.to_string())?;
    std::fs::rename(&partial, &live).map_err(|e| e.to_string())?;
    let present = stored_images(data_dir);
    let missing_images = listed
        .into_iter()
        .map(|i| i.sha256)
        .filter(|k| present.binary_search(k).is_err())
        .collect();
    Ok(RestoreReport {
        visits,
        taken_at,
        missing_images,
    })
}
