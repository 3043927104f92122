//! The screens show codes and enum values by their Chinese names from
//! `web/shared/codes.json`; this test keeps that table equal to the server's
//! registries (finding codes, the `str_enum!` enums, the messages of the hard
//! errors the phone finds offline and the province codes), so the two cannot
//! drift. `SANCHA_BLESS=1 cargo test -p sancha-server --test screen_codes`
//! rewrites it after a code is added.

use serde_json::{json, Map, Value};

use sancha_server::checklist::FindingCode;
use sancha_server::domain::household::{Attribute, Cause, IdType, PovertyStatus, Relation};
use sancha_server::domain::region::PROVINCES;
use sancha_server::domain::visit::{
    AnswerCode, AnswerValue, BenefitCategory, ChronicKind, Defect, Education, EmploymentStatus,
    ExcludedReason, GeoDatum, Grade, Health, Labor, MedicalInsurance, MonitorType, OperatingKind,
    Pension, PhotoKind, Place, PropertyKind, Provider, RenovationKind, SchoolStatus, SignMethod,
    SignatureRole, Structure, TransferKind, VerifiedBy, VisitLevel, WageKind, WaterQuality,
    WaterSource,
};
use sancha_server::domain::{Role, Sex};
use sancha_server::error::{Code, Lang};

/// The hard errors of a visit that need no storage (`Visit::parse`), which
/// `web/shared/checks.ts` gives offline with the server's own messages.
const OFFLINE_HARD_ERRORS: &[Code] = &[
    Code::SchemaInvalid,
    Code::IdNumberChecksum,
    Code::IdNumberFormat,
    Code::IdNumberMismatch,
    Code::IdNumberDuplicate,
    Code::MembersHead,
    Code::MembersRef,
    Code::MoneyNegative,
    Code::MoneyTooLarge,
    Code::Range,
    Code::TimingOrder,
    Code::SignatureMissing,
    Code::CausesTooMany,
    Code::RegionCodeInvalid,
    Code::RegionNotVillage,
];

macro_rules! labels {
    ($ty:ty) => {
        <$ty>::ALL
            .iter()
            .map(|v| (v.as_str().to_string(), Value::from(v.label_zh())))
            .collect::<Map<String, Value>>()
    };
}

fn table() -> Value {
    let findings: Map<String, Value> = FindingCode::ALL
        .iter()
        .map(|c| {
            let entry = json!({"zh": c.message(Lang::Zh), "severity": c.default_severity()});
            (c.as_str().to_string(), entry)
        })
        .collect();
    let hard_errors: Map<String, Value> = OFFLINE_HARD_ERRORS
        .iter()
        .map(|c| (c.as_str().to_string(), Value::from(c.message(Lang::Zh))))
        .collect();
    let provinces: Vec<String> = PROVINCES.iter().map(|p| format!("{p:02}")).collect();
    json!({
        "finding_codes": findings,
        "hard_errors": hard_errors,
        // The first two digits an ID number or a region code may start with.
        "provinces": provinces,
        "poverty_status": labels!(PovertyStatus),
        "attribute": labels!(Attribute),
        "cause": labels!(Cause),
        "relation": labels!(Relation),
        "id_type": labels!(IdType),
        "sex": labels!(Sex),
        "role": labels!(Role),
        "visit_level": labels!(VisitLevel),
        "benefit_category": labels!(BenefitCategory),
        // The enums of the visit document, keyed by the field they fill
        // (or the enum's name where the field name alone is ambiguous).
        "monitor_type": labels!(MonitorType),
        "education": labels!(Education),
        "school_status": labels!(SchoolStatus),
        "health": labels!(Health),
        "chronic_kind": labels!(ChronicKind),
        "labor": labels!(Labor),
        "employment_status": labels!(EmploymentStatus),
        "place": labels!(Place),
        "medical_insurance": labels!(MedicalInsurance),
        "pension": labels!(Pension),
        "verified_by": labels!(VerifiedBy),
        "wage_kind": labels!(WageKind),
        "operating_kind": labels!(OperatingKind),
        "property_kind": labels!(PropertyKind),
        "transfer_kind": labels!(TransferKind),
        "excluded_reason": labels!(ExcludedReason),
        "structure": labels!(Structure),
        "grade": labels!(Grade),
        "renovation_kind": labels!(RenovationKind),
        "defect": labels!(Defect),
        "water_source": labels!(WaterSource),
        "water_quality": labels!(WaterQuality),
        "answer_code": labels!(AnswerCode),
        "answer_value": labels!(AnswerValue),
        "signature_role": labels!(SignatureRole),
        "sign_method": labels!(SignMethod),
        "photo_kind": labels!(PhotoKind),
        "provider": labels!(Provider),
        "datum": labels!(GeoDatum),
    })
}

#[test]
fn the_screens_table_of_codes_matches_the_registries() {
    let expected = serde_json::to_string_pretty(&table()).expect("a map serialises") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/shared/codes.json");
    if std::env::var_os("SANCHA_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("write web/shared/codes.json");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "web/shared/codes.json differs from the server's registries: run SANCHA_BLESS=1 cargo test -p sancha-server --test screen_codes"
    );
}
