//! `sancha import households FILE`: the roster from a `.csv` (UTF-8, with
//! or without BOM) or `.xlsx` sheet, one row per member, grouped by
//! household code. Headers may be English or Chinese ([`COLUMNS`]); enum
//! cells may hold the code (`exited`) or its Chinese label (`已脱贫`).
//!
//! Every household goes through the same checks as the API. Every bad row
//! is reported with its row number, column and code, and nothing is stored
//! unless every row is good: the whole file is one transaction.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crate::db::households::{self, Actor};
use crate::db::Db;
use crate::domain::household::{
    Attribute, Cause, Datum, HelperInput, HouseholdInput, IdType, LocationInput, MemberInput,
    PovertyStatus, Relation,
};
use crate::error::{ApiError, Code, FieldError};

/// One import column: its field name in English and its Chinese header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Col {
    HouseholdCode,
    DivisionCode,
    GroupName,
    RegisteredYear,
    PovertyStatus,
    ExitYear,
    Attribute,
    MainCause,
    OtherCauses,
    MemberNo,
    Name,
    IdType,
    IdNumber,
    Relation,
    Sex,
    BirthDate,
    PendingReason,
    HelperName,
    HelperUnit,
    HelperTitle,
    HelperPhone,
    Lat,
    Lon,
}

/// (column, English header, Chinese header, required).
pub const COLUMNS: &[(Col, &str, &str, bool)] = &[
    (Col::HouseholdCode, "household_code", "户编号", true),
    (Col::DivisionCode, "division_code", "区划代码", true),
    (Col::GroupName, "group_name", "村民小组", true),
    (Col::RegisteredYear, "registered_year", "识别年度", true),
    (Col::PovertyStatus, "poverty_status", "脱贫状态", true),
    (Col::ExitYear, "exit_year", "脱贫年度", false),
    (Col::Attribute, "attribute", "贫困户属性", true),
    (Col::MainCause, "main_cause", "主要致贫原因", true),
    (Col::OtherCauses, "other_causes", "其他致贫原因", false),
    (Col::MemberNo, "member_no", "成员序号", false),
    (Col::Name, "name", "姓名", true),
    (Col::IdType, "id_type", "证件类型", false),
    (Col::IdNumber, "id_number", "证件号码", false),
    (Col::Relation, "relation", "与户主关系", true),
    (Col::Sex, "sex", "性别", false),
    (Col::BirthDate, "birth_date", "出生日期", false),
    (Col::PendingReason, "pending_reason", "待证明原因", false),
    (Col::HelperName, "helper_name", "帮扶责任人", false),
    (Col::HelperUnit, "helper_unit", "帮扶单位", false),
    (Col::HelperTitle, "helper_title", "帮扶人职务", false),
    (Col::HelperPhone, "helper_phone", "帮扶人电话", false),
    (Col::Lat, "lat", "纬度", false),
    (Col::Lon, "lon", "经度", false),
];

/// A sheet: its header row and data rows with their 1-based row numbers.
#[derive(Debug, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub code: Code,
}

#[derive(Debug, Default)]
pub struct Report {
    pub households: usize,
    pub members: usize,
    pub dry_run: bool,
    pub errors: Vec<RowError>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(
                f,
                "第 {} 行，列「{}」：{}（{}）",
                e.row,
                e.column,
                e.code.message(crate::error::Lang::Zh),
                e.code.as_str()
            )?;
        }
        let verb = match (self.errors.is_empty(), self.dry_run) {
            (false, _) => "未导入（有错误）",
            (true, true) => "检查通过（试运行，未写入）",
            (true, false) => "已导入",
        };
        write!(
            f,
            "{verb}：{} 户，{} 人，错误 {} 处",
            self.households,
            self.members,
            self.errors.len()
        )
    }
}

/// Reads, checks and (unless `dry_run` or any row is bad) stores a roster file.
pub fn households_file(db: &Db, path: &Path, dry_run: bool) -> Result<Report, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let table = match ext.as_str() {
        "csv" => read_csv(
            &std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        )?,
        "xlsx" | "xlsm" | "xls" | "ods" => read_sheet(path)?,
        _ => {
            return Err(
                "只支持 .csv 和 .xlsx 文件 / only .csv and .xlsx files are supported".into(),
            )
        }
    };
    import_table(
        db,
        &table,
        dry_run,
        crate::clock::today_cn(),
        "cli:import",
        &|_| true,
    )
    .map_err(|e| format!("database error: {e}"))
}

pub fn read_csv(bytes: &[u8]) -> Result<Table, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("CSV row {}: {e}", i + 2))?;
        // The line the record starts on, counted from its byte offset: after
        // a CRLF the reader's own line count still stands on the `\n`, one
        // short, and Excel writes CSV with CRLF.
        let line = record.position().map_or(i + 2, |p| {
            let at = (p.byte() as usize).min(bytes.len().saturating_sub(1));
            1 + bytes[..=at].iter().filter(|&&b| b == b'\n').count()
        });
        rows.push((line, record.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(Table { headers, rows })
}

fn read_sheet(path: &Path) -> Result<Table, String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("工作簿没有工作表 / the workbook has no sheet")?
        .map_err(|e| format!("cannot read the first sheet: {e}"))?;
    Ok(sheet_table(&range))
}

/// The first sheet of an `.xlsx` workbook held in memory (an upload).
pub fn read_xlsx(bytes: &[u8]) -> Result<Table, String> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("cannot open the workbook: {e}"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("工作簿没有工作表 / the workbook has no sheet")?
        .map_err(|e| format!("cannot read the first sheet: {e}"))?;
    Ok(sheet_table(&range))
}

fn sheet_table(range: &calamine::Range<calamine::Data>) -> Table {
    use calamine::Data;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let cell = |d: &Data| match d {
        // Whole numbers typed into Excel come back as floats: 2014.0 → "2014".
        Data::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", *x as i64),
        other => other.to_string().trim().to_string(),
    };
    let mut rows = range.rows();
    let headers = rows
        .next()
        .map(|r| r.iter().map(cell).collect())
        .unwrap_or_default();
    let rows = rows
        .enumerate()
        .map(|(i, r)| (first_row + i + 2, r.iter().map(cell).collect()))
        .collect();
    Table { headers, rows }
}

/// Where each field of the household being built came from, to turn a JSON
/// Pointer back into a row and column.
struct Origin {
    first_row: usize,
    member_rows: Vec<usize>,
    helper_rows: Vec<usize>,
}

/// Checks every row and, unless `dry_run` or any row is bad, stores every
/// household in one transaction as `actor`. A household whose village is
/// not `in_scope` (the caller's region) is a row error `auth.out_of_scope`.
pub fn import_table(
    db: &Db,
    table: &Table,
    dry_run: bool,
    today: chrono::NaiveDate,
    actor: &str,
    in_scope: &dyn Fn(&str) -> bool,
) -> Result<Report, ApiError> {
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    let Some((built, columns)) = build_all(table, &mut report) else {
        return Ok(report);
    };
    let header_of = |col: Col| {
        columns
            .get(&col)
            .map_or_else(|| header_name(col), |&i| table.headers[i].clone())
    };

    // Pass 1: check everything, store nothing.
    let checked = db.read_blocking(|c| {
        let mut ok = Vec::new();
        for (input, origin) in built {
            if !in_scope(&input.division_code) {
                report.errors.push(RowError {
                    row: origin.first_row,
                    column: header_of(Col::DivisionCode),
                    code: Code::OutOfScope,
                });
                continue;
            }
            let result = households::check(c, input, today)
                .and_then(|h| households::ensure_code_free(c, &h, None).map(|_| h));
            match result {
                Ok(h) => ok.push(h),
                Err(e) if e.errors.is_empty() => report.errors.push(RowError {
                    row: origin.first_row,
                    column: header_of(Col::HouseholdCode),
                    code: e.code,
                }),
                Err(e) => report
                    .errors
                    .extend(e.errors.iter().map(|f| locate(f, &origin, &header_of))),
            }
        }
        Ok(ok)
    })?;
    report
        .errors
        .sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    if dry_run || !report.errors.is_empty() {
        return Ok(report);
    }
    // Pass 2: one transaction for the whole file.
    db.write_blocking(|c| {
        for h in &checked {
            households::insert(c, h, Actor(actor))?;
        }
        Ok(())
    })?;
    Ok(report)
}

/// Households read from a file, each with where its rows were.
type Built = Vec<(HouseholdInput, Origin)>;

/// Maps the header row to columns and groups member rows into households,
/// in order of first appearance; `None` when the headers are wrong (the
/// report says why). Pure: the import and [`parse_csv`] share it.
fn build_all(table: &Table, report: &mut Report) -> Option<(Built, HashMap<Col, usize>)> {
    let mut columns: HashMap<Col, usize> = HashMap::new();
    for (i, h) in table.headers.iter().enumerate() {
        match COLUMNS
            .iter()
            .find(|(_, en, zh, _)| h.eq_ignore_ascii_case(en) || h == zh)
        {
            Some((col, ..)) => {
                columns.insert(*col, i);
            }
            None if h.is_empty() => {}
            None => report.errors.push(RowError {
                row: 1,
                column: h.clone(),
                code: Code::SchemaInvalid,
            }),
        }
    }
    for (col, en, zh, required) in COLUMNS {
        if *required && !columns.contains_key(col) {
            report.errors.push(RowError {
                row: 1,
                column: format!("{zh}/{en}"),
                code: Code::SchemaInvalid,
            });
        }
    }
    if !report.errors.is_empty() {
        return None;
    }
    let header_of = |col: Col| {
        columns
            .get(&col)
            .map_or_else(|| header_name(col), |&i| table.headers[i].clone())
    };

    // Group member rows by household code, in order of first appearance.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<&(usize, Vec<String>)>> = HashMap::new();
    for row in &table.rows {
        let code = cell(&columns, &row.1, Col::HouseholdCode);
        if row.1.iter().all(String::is_empty) {
            continue;
        }
        if !groups.contains_key(code) {
            order.push(code);
        }
        groups.entry(code).or_default().push(row);
    }

    let mut built = Vec::new();
    for code in order {
        let rows = &groups[code];
        match build_household(&columns, rows) {
            Ok((input, origin)) => built.push((input, origin)),
            Err(errs) => report
                .errors
                .extend(errs.into_iter().map(|(row, col)| RowError {
                    row,
                    column: header_of(col),
                    code: Code::SchemaInvalid,
                })),
        }
    }
    report.households = built.len();
    report.members = built.iter().map(|(h, _)| h.members.len()).sum();
    Some((built, columns))
}

/// Reads a CSV roster and parses every household without a database (what
/// the fuzzer drives): the households that parse, and the problems found.
pub fn parse_csv(bytes: &[u8], today: chrono::NaiveDate) -> (usize, usize) {
    let Ok(table) = read_csv(bytes) else {
        return (0, 1);
    };
    let mut report = Report::default();
    let Some((built, _)) = build_all(&table, &mut report) else {
        return (0, report.errors.len());
    };
    let mut ok = 0;
    let mut problems = report.errors.len();
    for (input, _) in built {
        match crate::domain::household::Household::parse(input, today) {
            Ok(_) => ok += 1,
            Err(errors) => problems += errors.len(),
        }
    }
    (ok, problems)
}

/// The empty roster template: the Chinese header row as CSV (UTF-8 with a
/// BOM, so Excel opens it without mojibake).
pub fn template_csv() -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.2).collect();
    out.extend_from_slice(headers.join(",").as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// The empty roster template as an XLSX workbook: the Chinese header row,
/// frozen, and the code and number columns formatted as text so that Excel
/// keeps their digits (an ID number is not a number).
pub fn template_xlsx() -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    sheet.set_name("户籍名册").map_err(err)?;
    let as_text = Format::new().set_num_format("@");
    let bold = Format::new().set_bold();
    for (i, (col, _, zh, _)) in (0u16..).zip(COLUMNS) {
        sheet
            .write_string_with_format(0, i, *zh, &bold)
            .map_err(err)?;
        sheet.set_column_width(i, 14).map_err(err)?;
        if matches!(
            col,
            Col::HouseholdCode | Col::DivisionCode | Col::IdNumber | Col::HelperPhone
        ) {
            sheet.set_column_format(i, &as_text).map_err(err)?;
            sheet.set_column_width(i, 22).map_err(err)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

fn header_name(col: Col) -> String {
    COLUMNS
        .iter()
        .find(|(c, ..)| *c == col)
        .map_or_else(String::new, |(_, en, zh, _)| format!("{zh}/{en}"))
}

fn cell<'a>(columns: &HashMap<Col, usize>, row: &'a [String], col: Col) -> &'a str {
    columns
        .get(&col)
        .and_then(|&i| row.get(i))
        .map_or("", String::as_str)
}

/// Accepts an enum's code or its Chinese label; anything else passes
/// through unchanged for the household parser to report.
fn code_of(value: &str, codes: &[(&'static str, &'static str)]) -> String {
    codes
        .iter()
        .find(|(_, zh)| *zh == value)
        .map_or_else(|| value.to_string(), |(code, _)| code.to_string())
}

macro_rules! labels {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| (v.as_str(), v.label_zh()))
            .collect::<Vec<_>>()
    };
}

type CellErrors = Vec<(usize, Col)>;

fn build_household(
    columns: &HashMap<Col, usize>,
    rows: &[&(usize, Vec<String>)],
) -> Result<(HouseholdInput, Origin), CellErrors> {
    let mut errors = Vec::new();
    let (first_row, first) = (rows[0].0, &rows[0].1);
    let get = |row: &[String], col: Col| cell(columns, row, col).to_string();
    let mut int = |row_no: usize, row: &[String], col: Col| -> Option<i32> {
        let v = get(row, col);
        if v.is_empty() {
            return None;
        }
        v.parse().map_err(|_| errors.push((row_no, col))).ok()
    };
    let registered_year = int(first_row, first, Col::RegisteredYear);
    let exit_year = int(first_row, first, Col::ExitYear);
    let mut members = Vec::new();
    let mut helpers: Vec<HelperInput> = Vec::new();
    let mut helper_rows = Vec::new();
    let sexes = [("M", "男"), ("F", "女")];
    for (i, (row_no, row)) in rows.iter().map(|r| (r.0, &r.1)).enumerate() {
        let member_no = int(row_no, row, Col::MemberNo).unwrap_or(i as i32 + 1);
        let id_type = get(row, Col::IdType);
        members.push(MemberInput {
            member_no,
            name: get(row, Col::Name),
            id_type: if id_type.is_empty() {
                "resident_id".into()
            } else {
                code_of(&id_type, &labels!(IdType))
            },
            id_number: Some(get(row, Col::IdNumber)).filter(|s| !s.is_empty()),
            relation: code_of(&get(row, Col::Relation), &labels!(Relation)),
            sex: Some(code_of(&get(row, Col::Sex), &sexes)).filter(|s| !s.is_empty()),
            birth_date: Some(get(row, Col::BirthDate)).filter(|s| !s.is_empty()),
            pending_reason: Some(get(row, Col::PendingReason)).filter(|s| !s.is_empty()),
        });
        let helper = HelperInput {
            name: get(row, Col::HelperName),
            unit: get(row, Col::HelperUnit),
            title: get(row, Col::HelperTitle),
            phone: get(row, Col::HelperPhone),
        };
        if !helper.name.is_empty() && !helpers.contains(&helper) {
            helpers.push(helper);
            helper_rows.push(row_no);
        }
    }
    let coordinate = |col: Col| get(first, col).parse::<f64>().ok();
    let location = match (
        get(first, Col::Lat).is_empty(),
        coordinate(Col::Lat),
        coordinate(Col::Lon),
    ) {
        (true, ..) => None,
        (false, Some(lat), Some(lon)) => Some(LocationInput {
            lat,
            lon,
            datum: Datum::WGS84,
        }),
        (false, ..) => {
            errors.push((first_row, Col::Lat));
            None
        }
    };
    let other_causes = get(first, Col::OtherCauses)
        .split(['、', ';', '；', ',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|c| code_of(c, &labels!(Cause)))
        .collect();
    let Some(registered_year) = registered_year.filter(|_| errors.is_empty()) else {
        if errors.is_empty() {
            errors.push((first_row, Col::RegisteredYear));
        }
        return Err(errors);
    };
    let input = HouseholdInput {
        division_code: get(first, Col::DivisionCode),
        group_name: get(first, Col::GroupName),
        household_code: get(first, Col::HouseholdCode),
        registered_year,
        poverty_status: code_of(&get(first, Col::PovertyStatus), &labels!(PovertyStatus)),
        exit_year,
        attribute: code_of(&get(first, Col::Attribute), &labels!(Attribute)),
        main_cause: code_of(&get(first, Col::MainCause), &labels!(Cause)),
        other_causes,
        members,
        helpers,
        location,
    };
    let origin = Origin {
        first_row,
        member_rows: rows.iter().map(|r| r.0).collect(),
        helper_rows,
    };
    Ok((input, origin))
}

/// Turns a field error's JSON Pointer back into the row and column it came from.
fn locate(f: &FieldError, origin: &Origin, header_of: &dyn Fn(Col) -> String) -> RowError {
    let parts: Vec<&str> = f.field.trim_start_matches('/').split('/').collect();
    let index = |i: usize| parts.get(i).and_then(|s| s.parse::<usize>().ok());
    let (row, col) = match parts.as_slice() {
        ["members", _, field, ..] => (
            index(1)
                .and_then(|i| origin.member_rows.get(i))
                .copied()
                .unwrap_or(origin.first_row),
            match *field {
                "member_no" => Col::MemberNo,
                "name" => Col::Name,
                "id_type" => Col::IdType,
                "relation" => Col::Relation,
                "sex" => Col::Sex,
                "birth_date" => Col::BirthDate,
                "pending_reason" => Col::PendingReason,
                _ => Col::IdNumber,
            },
        ),
        ["members"] => (origin.first_row, Col::Relation),
        ["helpers", _, field, ..] => (
            index(1)
                .and_then(|i| origin.helper_rows.get(i))
                .copied()
                .unwrap_or(origin.first_row),
            match *field {
                "unit" => Col::HelperUnit,
                "title" => Col::HelperTitle,
                "phone" => Col::HelperPhone,
                _ => Col::HelperName,
            },
        ),
        ["helpers"] => (origin.first_row, Col::HelperName),
        [field, ..] => (
            origin.first_row,
            match *field {
                "division_code" => Col::DivisionCode,
                "group_name" => Col::GroupName,
                "household_code" => Col::HouseholdCode,
                "registered_year" => Col::RegisteredYear,
                "poverty_status" => Col::PovertyStatus,
                "exit_year" => Col::ExitYear,
                "attribute" => Col::Attribute,
                "main_cause" => Col::MainCause,
                "other_causes" => Col::OtherCauses,
                "location" if parts.get(1) == Some(&"lon") => Col::Lon,
                "location" => Col::Lat,
                _ => Col::HouseholdCode,
            },
        ),
        [] => (origin.first_row, Col::HouseholdCode),
    };
    RowError {
        row,
        column: header_of(col),
        code: f.code,
    }
}
