//! Exports of visits and findings as CSV (UTF-8 with BOM, RFC 4180) or XLSX
//! (constant-memory worksheet, frozen header row, column widths). Rows are
//! read a page at a time and written as they come, so memory stays flat
//! whatever the row count.

use std::collections::HashMap;
use std::io::{self, Write};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::checklist::FindingCode;
use crate::db::cards::Place;
use crate::db::schema::{findings, household_members, households, visits};
use crate::db::{AnyConnection, Db};
use crate::domain::visit::VisitLevel;
use crate::domain::RegionCode;
use crate::error::{ApiError, Lang};

/// Rows read per query.
const PAGE: i64 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Visits,
    Findings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// What an export holds.
#[derive(Debug, Clone)]
pub struct Options {
    pub scope: RegionCode,
    pub level: Option<VisitLevel>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Header language: Chinese by default.
    pub headers: Lang,
    /// Members' ID numbers (admin only, audited).
    pub private: bool,
    /// Every visit, not only those that stand for their household now.
    pub all: bool,
}

/// One column: Chinese and English header, width in characters.
struct Column(&'static str, &'static str, f64);

const VISIT_COLUMNS: &[Column] = &[
    Column("核查编号", "visit_id", 38.0),
    Column("户编号", "household_code", 20.0),
    Column("市", "city", 10.0),
    Column("县（区）", "county", 10.0),
    Column("乡（镇）", "town", 10.0),
    Column("村", "village", 10.0),
    Column("组", "group", 8.0),
    Column("户主", "head", 8.0),
    Column("核查级别", "level", 14.0),
    Column("检查人账号", "inspector", 12.0),
    Column("开始时间", "started_at", 20.0),
    Column("结束时间", "ended_at", 20.0),
    Column("接收时间", "received_at", 20.0),
    Column("现场扫码", "verified_on_site", 8.0),
    Column("审核", "review", 8.0),
    Column("被更正为", "superseded_by", 38.0),
    Column("家庭纯收入（元）", "net_income_yuan", 14.0),
    Column("共享预算人数", "budget_members", 10.0),
    Column("人均纯收入（元）", "per_capita_yuan", 14.0),
    Column("问题数", "findings", 8.0),
    Column("问题代码", "finding_codes", 40.0),
    Column("规则版本", "rule_version", 10.0),
];
const PRIVATE_VISIT_COLUMN: Column = Column("家庭成员身份证号", "member_id_numbers", 60.0);

const FINDING_COLUMNS: &[Column] = &[
    Column("问题编号", "finding_id", 38.0),
    Column("户编号", "household_code", 20.0),
    Column("市", "city", 10.0),
    Column("县（区）", "county", 10.0),
    Column("乡（镇）", "town", 10.0),
    Column("村", "village", 10.0),
    Column("户主", "head", 8.0),
    Column("问题代码", "code", 28.0),
    Column("问题说明", "message", 40.0),
    Column("严重程度", "severity", 8.0),
    Column("状态", "status", 8.0),
    Column("来源核查", "visit_id", 38.0),
    Column("发现时间", "created_at", 20.0),
    Column("更新时间", "updated_at", 20.0),
    Column("规则版本", "rule_version", 10.0),
];

/// One cell: text, or a number (yuan, counts) that Excel can sum.
pub enum Cell {
    Text(String),
    Number(f64),
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// China time, as people read it.
fn local(t: NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn yuan(fen: i64) -> Cell {
    Cell::Number(fen as f64 / 100.0)
}

fn label(lang: Lang, code: &str, zh: &'static [(&'static str, &'static str)]) -> String {
    match lang {
        Lang::En => code.to_string(),
        Lang::Zh => zh
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(code, |(_, z)| z)
            .to_string(),
    }
}

const REVIEW_ZH: &[(&str, &str)] = &[
    ("unreviewed", "未审核"),
    ("approved", "通过"),
    ("rejected", "退回"),
];
const STATUS_ZH: &[(&str, &str)] = &[
    ("open", "待整改"),
    ("rectified", "已整改"),
    ("closed", "已销号"),
];
const SEVERITY_ZH: &[(&str, &str)] = &[
    ("high", "高"),
    ("medium", "中"),
    ("low", "低"),
    ("info", "提示"),
];

/// Where rows go: a CSV writer or a worksheet.
trait Sink {
    fn row(&mut self, cells: &[Cell]) -> io::Result<()>;
}

struct CsvSink<W: Write>(csv::Writer<W>);

impl<W: Write> Sink for CsvSink<W> {
    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        let fields = cells.iter().map(|c| match c {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => format!("{n}"),
        });
        self.0.write_record(fields).map_err(io::Error::other)
    }
}

struct XlsxSink<'a> {
    sheet: &'a mut rust_xlsxwriter::Worksheet,
    next_row: u32,
}

impl Sink for XlsxSink<'_> {
    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        for (col, c) in (0u16..).zip(cells) {
            let written = match c {
                Cell::Text(s) => self
                    .sheet
                    .write_string(self.next_row, col, s.as_str())
                    .map(drop),
                Cell::Number(n) => self.sheet.write_number(self.next_row, col, *n).map(drop),
            };
            written.map_err(io::Error::other)?;
        }
        self.next_row += 1;
        Ok(())
    }
}

/// Writes the export to `out`. Database errors end the file early (the
/// streamed response is then cut short, never completed with wrong data).
pub fn write(
    db: &Db,
    kind: Kind,
    format: Format,
    opts: &Options,
    out: impl Write + Send,
) -> io::Result<()> {
    let mut columns: Vec<&Column> = match kind {
        Kind::Visits => VISIT_COLUMNS.iter().collect(),
        Kind::Findings => FINDING_COLUMNS.iter().collect(),
    };
    if opts.private && kind == Kind::Visits {
        columns.push(&PRIVATE_VISIT_COLUMN);
    }
    let sheet = if kind == Kind::Visits {
        "核查记录"
    } else {
        "问题清单"
    };
    write_sheet(format, sheet, &columns, opts.headers, out, |sink| {
        rows(db, kind, opts, sink)
    })
}

/// Writes one sheet: the header row of `columns` in `headers`' language, then
/// what `body` writes to the sink. CSV with a BOM and CRLF; XLSX with a
/// constant-memory worksheet named `sheet`, column widths and a frozen header.
fn write_sheet(
    format: Format,
    sheet: &str,
    columns: &[&Column],
    headers: Lang,
    out: impl Write + Send,
    body: impl FnOnce(&mut dyn Sink) -> io::Result<()>,
) -> io::Result<()> {
    let header: Vec<Cell> = columns
        .iter()
        .map(|c| text(if headers == Lang::En { c.1 } else { c.0 }))
        .collect();
    match format {
        Format::Csv => {
            let mut out = out;
            out.write_all("\u{feff}".as_bytes())?;
            let mut sink = CsvSink(
                csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(out),
            );
            sink.row(&header)?;
            body(&mut sink)?;
            sink.0.flush()
        }
        Format::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let ws = book
                .add_worksheet_with_constant_memory()
                .map_err(io::Error::other)?;
            ws.set_name(sheet).map_err(io::Error::other)?;
            for (i, c) in (0u16..).zip(columns) {
                ws.set_column_width(i, c.2).map_err(io::Error::other)?;
            }
            ws.set_freeze_panes(1, 0).map_err(io::Error::other)?;
            let mut sink = XlsxSink {
                sheet: ws,
                next_row: 0,
            };
            sink.row(&header)?;
            body(&mut sink)?;
            book.save_to_writer(out).map_err(io::Error::other)
        }
    }
}

const SAMPLE_COLUMNS: &[Column] = &[
    Column("乡（镇）", "town", 12.0),
    Column("村", "village", 12.0),
    Column("区划代码", "division_code", 14.0),
    Column("户编号", "household_code", 20.0),
    Column("户主", "head", 10.0),
    Column("村民小组", "group", 10.0),
    Column("脱贫状态", "poverty_status", 10.0),
    Column("家庭人数", "members", 8.0),
];

/// A sample's households (抽查名单), one row each in print order, read a
/// page at a time.
pub fn write_sample(
    db: &Db,
    sample_id: &str,
    format: Format,
    headers: Lang,
    out: impl Write + Send,
) -> io::Result<()> {
    use crate::domain::household::PovertyStatus;
    let columns: Vec<&Column> = SAMPLE_COLUMNS.iter().collect();
    write_sheet(format, "抽查名单", &columns, headers, out, |sink| {
        let mut places: HashMap<String, Place> = HashMap::new();
        let mut offset = 0;
        loop {
            let page = db
                .read_blocking(|c| {
                    let page = crate::db::samples::households_page(c, sample_id, offset, PAGE)?;
                    for h in &page {
                        place(c, &mut places, &h.division_code)?;
                    }
                    Ok(page)
                })
                .map_err(|e| {
                    io::Error::other(format!("export query failed: {}", e.code.as_str()))
                })?;
            for h in &page {
                let p = &places[&h.division_code];
                let status = match (headers, PovertyStatus::parse(&h.poverty_status)) {
                    (Lang::Zh, Some(s)) => s.label_zh().to_string(),
                    _ => h.poverty_status.clone(),
                };
                sink.row(&[
                    text(&p.town),
                    text(&p.village),
                    text(&h.division_code),
                    text(&h.household_code),
                    text(h.head_name.clone().unwrap_or_default()),
                    text(&h.group_name),
                    text(status),
                    Cell::Number(h.member_count as f64),
                ])?;
            }
            if (page.len() as i64) < PAGE {
                return Ok(());
            }
            offset += PAGE;
        }
    })
}

fn rows(db: &Db, kind: Kind, opts: &Options, sink: &mut dyn Sink) -> io::Result<()> {
    let mut places: HashMap<String, Place> = HashMap::new();
    let mut after = 0;
    loop {
        let opts = opts.clone();
        let page = match kind {
            Kind::Visits => db.read_blocking(|c| visit_page(c, &opts, after, &mut places)),
            Kind::Findings => db.read_blocking(|c| finding_page(c, &opts, after, &mut places)),
        };
        let (cells, last) = page
            .map_err(|e| io::Error::other(format!("export query failed: {}", e.code.as_str())))?;
        for row in &cells {
            sink.row(row)?;
        }
        match last {
            Some(seq) if cells.len() as i64 == PAGE => after = seq,
            _ => return Ok(()),
        }
    }
}

/// The names of a village's places, cached across pages.
fn place<'a>(
    conn: &mut AnyConnection,
    cache: &'a mut HashMap<String, Place>,
    village: &str,
) -> Result<&'a Place, ApiError> {
    if !cache.contains_key(village) {
        let p = crate::db::cards::place(conn, village)?;
        cache.insert(village.to_string(), p);
    }
    Ok(&cache[village])
}

/// What rows show of a household: its code, group and head's name.
#[derive(Debug, Clone, Default)]
struct Label {
    code: String,
    group: String,
    head: String,
}

fn household_labels(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<HashMap<String, Label>, ApiError> {
    let codes: Vec<(String, String, String)> = households::table
        .filter(households::id.eq_any(ids))
        .select((
            households::id,
            households::household_code,
            households::group_name,
        ))
        .load(conn)?;
    let heads: HashMap<String, String> = household_members::table
        .filter(household_members::household_id.eq_any(ids))
        .filter(household_members::relation.eq("head"))
        .select((household_members::household_id, household_members::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(codes
        .into_iter()
        .map(|(id, code, group)| {
            let head = heads.get(&id).cloned().unwrap_or_default();
            (id, Label { code, group, head })
        })
        .collect())
}

type Page = (Vec<Vec<Cell>>, Option<i64>);

fn visit_page(
    conn: &mut AnyConnection,
    o: &Options,
    after: i64,
    places: &mut HashMap<String, Place>,
) -> Result<Page, ApiError> {
    let (low, high) = o.scope.code_range();
    let mut q = visits::table
        .filter(visits::division_code.between(low, high))
        .filter(visits::seq.gt(after))
        .order(visits::seq.asc())
        .limit(PAGE)
        .into_boxed();
    if let Some(l) = o.level {
        q = q.filter(visits::level.eq(l.as_str()));
    }
    if let Some(t) = o.from {
        q = q.filter(visits::ended_at.ge(t));
    }
    if let Some(t) = o.to {
        q = q.filter(visits::ended_at.lt(t));
    }
    if !o.all {
        q = q
            .filter(visits::superseded_by.is_null())
            .filter(visits::review.ne("rejected"));
    }
    let rows = q.load::<crate::db::visits::VisitRow>(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let household_ids: Vec<&str> = rows.iter().map(|r| r.household_id.as_str()).collect();
    let labels = household_labels(conn, &household_ids)?;
    let mut codes: HashMap<String, Vec<String>> = HashMap::new();
    for (visit_id, code) in findings::table
        .filter(findings::visit_id.eq_any(&ids))
        .order((findings::visit_id, findings::position))
        .select((findings::visit_id.assume_not_null(), findings::code))
        .load::<(String, String)>(conn)?
    {
        codes.entry(visit_id).or_default().push(code);
    }
    let mut id_numbers: HashMap<String, Vec<String>> = HashMap::new();
    if o.private {
        for (hid, number) in household_members::table
            .filter(household_members::household_id.eq_any(&household_ids))
            .filter(household_members::id_number.is_not_null())
            .order((
                household_members::household_id,
                household_members::member_no,
            ))
            .select((
                household_members::household_id,
                household_members::id_number.assume_not_null(),
            ))
            .load::<(String, String)>(conn)?
        {
            id_numbers.entry(hid).or_default().push(number);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let p = place(conn, places, &r.division_code)?;
        let h = labels.get(&r.household_id).cloned().unwrap_or_default();
        let found = codes.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let level = VisitLevel::parse(&r.level);
        let mut row = vec![
            text(&r.id),
            text(h.code),
            text(&p.city),
            text(&p.county),
            text(&p.town),
            text(&p.village),
            text(h.group),
            text(h.head),
            text(match (o.headers, level) {
                (Lang::Zh, Some(l)) => l.label_zh(),
                _ => r.level.as_str(),
            }),
            text(&r.inspector_username),
            text(local(r.started_at)),
            text(local(r.ended_at)),
            text(local(r.received_at)),
            text(match (o.headers, r.verified_on_site) {
                (Lang::Zh, true) => "是",
                (Lang::Zh, false) => "否",
                (Lang::En, v) => {
                    if v {
                        "true"
                    } else {
                        "false"
                    }
                }
            }),
            text(label(o.headers, &r.review, REVIEW_ZH)),
            text(r.superseded_by.clone().unwrap_or_default()),
            yuan(r.net_income_fen),
            Cell::Number(f64::from(r.budget_members)),
            if r.budget_members > 0 {
                yuan(r.net_income_fen / i64::from(r.budget_members))
            } else {
                text("")
            },
            Cell::Number(found.len() as f64),
            text(found.join(" ")),
            text(&r.rule_version),
        ];
        if o.private {
            row.push(text(
                id_numbers
                    .get(&r.household_id)
                    .map(|v| v.join(" "))
                    .unwrap_or_default(),
            ));
        }
        out.push(row);
    }
    Ok((out, rows.last().map(|r| r.seq)))
}

fn finding_page(
    conn: &mut AnyConnection,
    o: &Options,
    after: i64,
    places: &mut HashMap<String, Place>,
) -> Result<Page, ApiError> {
    let (low, high) = o.scope.code_range();
    let mut q = findings::table
        .filter(findings::division_code.between(low, high))
        .filter(findings::seq.gt(after))
        .order(findings::seq.asc())
        .limit(PAGE)
        .into_boxed();
    if let Some(l) = o.level {
        let of_level = visits::table
            .filter(visits::level.eq(l.as_str()))
            .select(visits::id);
        q = q.filter(findings::visit_id.assume_not_null().eq_any(of_level));
    }
    if let Some(t) = o.from {
        q = q.filter(findings::created_at.ge(t));
    }
    if let Some(t) = o.to {
        q = q.filter(findings::created_at.lt(t));
    }
    let rows = q.load::<crate::db::visits::FindingRow>(conn)?;
    let household_ids: Vec<&str> = rows.iter().map(|r| r.household_id.as_str()).collect();
    let labels = household_labels(conn, &household_ids)?;
    let mut out = Vec::with_capacity(rows.len());
    for f in &rows {
        let p = place(conn, places, &f.division_code)?;
        let h = labels.get(&f.household_id).cloned().unwrap_or_default();
        out.push(vec![
            text(&f.id),
            text(h.code),
            text(&p.city),
            text(&p.county),
            text(&p.town),
            text(&p.village),
            text(h.head),
            text(&f.code),
            text(FindingCode::parse(&f.code).map_or("", |c| c.message(o.headers))),
            text(label(o.headers, &f.severity, SEVERITY_ZH)),
            text(label(o.headers, &f.status, STATUS_ZH)),
            text(f.visit_id.clone().unwrap_or_default()),
            text(local(f.created_at)),
            text(local(f.updated_at)),
            text(&f.rule_version),
        ]);
    }
    Ok((out, rows.last().map(|r| r.seq)))
}

/// The header row of an export, for the spec and tests.
pub fn headers(kind: Kind, lang: Lang, private: bool) -> Vec<&'static str> {
    let cols: Vec<&Column> = match kind {
        Kind::Visits => VISIT_COLUMNS
            .iter()
            .chain(private.then_some(&PRIVATE_VISIT_COLUMN))
            .collect(),
        Kind::Findings => FINDING_COLUMNS.iter().collect(),
    };
    cols.iter()
        .map(|c| if lang == Lang::En { c.1 } else { c.0 })
        .collect()
}

/// The integrity report's columns before the per-code counts.
const INTEGRITY_COLUMNS: &[Column] = &[
    Column("检查人", "inspector", 14.0),
    Column("核查户次", "visits", 10.0),
    Column("入户时长中位数（分钟）", "median_minutes", 12.0),
    Column("扫码核验占比（%）", "verified_pct", 12.0),
];

/// A column per `process.*` code (short Chinese names; the code in English), then the score.
const INTEGRITY_CODE_COLUMNS: &[Column] = &[
    Column("督导超次", "process.supervision_over_limit", 10.0),
    Column("单人签字", "process.single_inspector", 10.0),
    Column("无定位", "process.no_gps", 8.0),
    Column("定位过远", "process.gps_far", 10.0),
    Column("时间过短", "process.too_short", 10.0),
    Column("卡户不符", "process.card_mismatch", 10.0),
    Column("行程不可能", "process.impossible_travel", 10.0),
    Column("时间重叠", "process.overlap", 10.0),
    Column("照片重复", "process.photo_reused", 10.0),
    Column("签名重复", "process.signature_reused", 10.0),
    Column("回答雷同", "process.answers_copied", 10.0),
    Column("单日过多", "process.daily_volume", 10.0),
    Column("风险分", "risk", 8.0),
];

/// The integrity report (核查质量), one row per inspector, riskiest first.
pub fn write_integrity(
    rows: &[crate::db::integrity::InspectorRisk],
    format: Format,
    headers: Lang,
    out: impl Write + Send,
) -> io::Result<()> {
    let columns: Vec<&Column> = INTEGRITY_COLUMNS
        .iter()
        .chain(INTEGRITY_CODE_COLUMNS)
        .collect();
    write_sheet(format, "核查质量", &columns, headers, out, |sink| {
        for r in rows {
            let mut cells = vec![
                text(&r.inspector),
                Cell::Number(f64::from(r.visits)),
                Cell::Number(r.median_minutes),
                Cell::Number(f64::from(r.verified_permille) / 10.0),
            ];
            for c in &INTEGRITY_CODE_COLUMNS[..INTEGRITY_CODE_COLUMNS.len() - 1] {
                let n = r.findings.get(c.1).copied().unwrap_or(0);
                cells.push(Cell::Number(f64::from(n)));
            }
            cells.push(Cell::Number(r.risk));
            sink.row(&cells)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod integrity_tests {
    use super::*;

    #[test]
    fn the_integrity_export_has_a_column_for_every_process_code() {
        let process: Vec<&str> = FindingCode::ALL
            .iter()
            .filter(|c| c.family() == "process")
            .map(|c| c.as_str())
            .collect();
        let columns: Vec<&str> = INTEGRITY_CODE_COLUMNS.iter().map(|c| c.1).collect();
        assert_eq!(&columns[..columns.len() - 1], &process[..]);
    }
}
