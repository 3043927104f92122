//! `sancha import households FILE`: the roster from CSV or XLSX.
// (being written)
pub struct Report { pub errors: Vec<String> }
impl std::fmt::Display for Report { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "") } }
pub fn households_file(_db: &crate::db::Db, _p: &std::path::Path, _d: bool) -> Result<Report, String> { Err("not yet".into()) }
