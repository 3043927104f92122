//! 整改清单: the checklist that turns one parsed [`Visit`] into [`Finding`]s
//! to rectify. One small function per rule, named after its stable code, one
//! file per section of DOMAIN.md's findings table; thresholds come only from
//! [`RuleConfig`]. Pure: no I/O, and nothing from `api` or `db` is imported;
//! what needs stored data arrives in a [`HouseholdContext`].
//!
//! A kind of income or benefit is *present* when a line of that kind has an
//! amount above zero. Money is fen; sums and products are `i128`
//! (see [`income`]), shares are integer per-mille, never floats.

mod basics;
mod education;
mod housing;
pub mod income;
mod integrity;
mod medical;
mod monitor;
mod process;
mod record;
mod satisfaction;
mod water;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::domain::visit::{Visit, VisitMember};
use crate::domain::RegionCode;
use crate::error::Lang;

pub use integrity::{
    answers_fingerprint, band_neighbours, dhash_bands, dhash_distance, is_flat, Answers,
    NEAR_BITS_REACH,
};

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
    Info,
}

macro_rules! findings {
    ($($variant:ident => $code:literal, $severity:ident, $zh:literal, $en:literal;)*) => {
        /// Every finding code (DOMAIN.md § Checklist findings). Codes are API:
        /// never rename one; add a new one instead.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FindingCode { $($variant),* }

        impl FindingCode {
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(FindingCode::$variant => $code),* }
            }

            pub fn parse(s: &str) -> Option<FindingCode> {
                match s { $($code => Some(FindingCode::$variant),)* _ => None }
            }

            /// The severity a finding has unless its rule says otherwise.
            pub fn default_severity(self) -> Severity {
                match self { $(FindingCode::$variant => Severity::$severity),* }
            }

            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((FindingCode::$variant, Lang::Zh) => $zh, (FindingCode::$variant, Lang::En) => $en,)*
                }
            }
        }
    };
}

findings! {
    EduDropout => "edu.dropout", High, "适龄儿童少年失学辍学", "a child of compulsory-school age is not in school";
    EduExemptionUnproven => "edu.exemption_unproven", Medium, "送教上门或因身体原因免于入学，但无县级残疾人教育专家委员会认定材料", "home teaching or physical exemption without a certificate reference";
    MedUninsured => "med.uninsured", High, "家庭成员未参加基本医疗保险", "a member has no basic medical insurance";
    MedNoCriticalIllnessInsurance => "med.no_critical_illness_insurance", Medium, "已参保成员未参加大病保险", "an insured member has no critical-illness insurance";
    MedChronicUnsigned => "med.chronic_unsigned", Medium, "四类慢性病患者未签约家庭医生", "a member with one of the four listed chronic diseases has no family-doctor contract";
    MedExpenseExceedsIncome => "med.expense_exceeds_income", High, "医疗自付费用超过家庭纯收入", "out-of-pocket medical spending exceeds the household's net income";
    HousingUnsafe => "housing.unsafe", High, "C级或D级危房未改造或未住上安全住房", "grade C or D house not renovated, or the household does not live safely";
    HousingUnassessed => "housing.unassessed", Medium, "土坯房或有明显破损的住房未经安全鉴定", "earth/adobe or visibly damaged house without a safety assessment";
    WaterQuantity => "water.quantity", High, "人均日供水量不达标", "too few litres of water per person per day";
    WaterQuality => "water.quality", Medium, "水质不合格，或水质可疑且无检测报告", "water quality failed, or suspect with no test report";
    WaterAccess => "water.access", Medium, "未供水入户且取水不方便", "water not piped to the home and fetching it is too far";
    WaterReliability => "water.reliability", Medium, "上年缺水断水天数超标", "too many days without water last year";
    BasicFoodClothing => "basic.food_clothing", High, "吃穿未达到“不愁”标准", "food or clothing is not secure";
    IncomeBelowLine => "income.below_line", High, "人均纯收入低于收入标准", "net income per person is below the income line";
    IncomeNearLine => "income.near_line", Medium, "人均纯收入略高于收入标准，须复核收入构成", "net income per person is just above the line; re-check its composition";
    IncomeSingleSource => "income.single_source", Medium, "收入构成单一", "income comes (almost) from a single source";
    IncomeSupportShareHigh => "income.support_share_high", Medium, "赡养收入占比较高或无赡养协议", "support from children is a high share of net income, or lacks an agreement";
    IncomeExcludedCounted => "income.excluded_counted", High, "有固定用途或一次性的补助被计入收入", "an earmarked or one-off benefit is counted as income";
    IncomeSumMismatch => "income.sum_mismatch", Medium, "转移性收入或纯收入计算有误", "declared transfer total or net income differs from the computed one";
    IncomeOmission => "income.omission", Medium, "收入漏统", "an income that should be recorded is missing";
    IncomeMemberCountMismatch => "income.member_count_mismatch", Medium, "共享收支人口与登记人口不一致", "members sharing the budget differ from the registered member count";
    MonitorLowIncome => "monitor.low_income", Medium, "人均收入低于防返贫监测标准，应纳入监测", "income below the monitoring threshold: a monitoring candidate";
    MonitorDroughtRisk => "monitor.drought_risk", High, "以种植业为主、未享受低保且受旱灾影响，有返贫风险", "mainly planting, no 低保, hit by drought or crop loss: risk of falling back";
    RecordDuplicateId => "record.duplicate_id", High, "身份证号已登记在其他户", "an ID number is registered to another household";
    RecordRelationSex => "record.relation_sex", Medium, "与户主关系与性别或年龄矛盾", "relation to the head contradicts sex or age";
    RecordCardFieldMissing => "record.card_field_missing", Medium, "明白卡所需信息缺失", "a field the household card needs is missing";
    ProcessSupervisionOverLimit => "process.supervision_over_limit", Medium, "督导检查次数超过原则上的2次", "more supervisory visits than the limit";
    ProcessSingleInspector => "process.single_inspector", Low, "仅一名检查人签字", "only one inspector signed";
    ProcessNoGps => "process.no_gps", Low, "无定位信息", "no position recorded";
    ProcessGpsFar => "process.gps_far", Medium, "定位与该户已知位置相距过远", "position is far from the household's known location";
    ProcessTooShort => "process.too_short", Low, "入户时间过短", "the visit was too short";
    ProcessCardMismatch => "process.card_mismatch", High, "扫描的明白卡属于其他户", "the scanned card belongs to another household";
    ProcessImpossibleTravel => "process.impossible_travel", High, "与该检查人前后入户的位置和时间不符，移动速度不可能", "the inspector's visit before or after is too far away for the time between them";
    ProcessOverlap => "process.overlap", Medium, "与该检查人另一次入户的时间重叠", "the visit overlaps another visit by the same inspector";
    ProcessPhotoReused => "process.photo_reused", High, "照片与其他户的照片相同或几乎相同", "a photo is the same as, or nearly the same as, a photo of another household";
    ProcessSignatureReused => "process.signature_reused", High, "受访人签名与其他户的签名图片相同", "the respondent's signature image is also in another household's visit";
    ProcessAnswersCopied => "process.answers_copied", Medium, "回答与该检查人在其他户的核查完全相同", "the answers are those of the same inspector's visit of another household";
    ProcessDailyVolume => "process.daily_volume", Low, "该检查人当天入户核查次数过多", "more visits by the inspector on that day than one day holds";
    SatExitNotAcknowledged => "sat.exit_not_acknowledged", High, "群众不认可脱贫", "the household does not accept its exit from poverty";
    SatDissatisfied => "sat.dissatisfied", Medium, "群众表示不满意", "the household answered dissatisfied";
    SatHelperUnknown => "sat.helper_unknown", Medium, "不知道帮扶责任人", "the household knows none of its helpers";
    ResidentFeedback => "resident.feedback", Medium, "群众扫码反映问题", "a resident reported a problem from the card's QR page";
}

impl FindingCode {
    /// The section of DOMAIN.md's table: the code before its dot.
    pub fn family(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or_default()
    }
}

impl Serialize for FindingCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One problem found in a visit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// JSON Pointer into the visit document, e.g. `/members/2/school_status`.
    pub field: Option<String>,
    pub member_no: Option<i32>,
}

impl Finding {
    /// A finding with its code's default severity.
    pub fn new(code: FindingCode) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            field: None,
            member_no: None,
        }
    }

    pub fn at(self, field: impl Into<String>) -> Finding {
        Finding {
            field: Some(field.into()),
            ..self
        }
    }

    pub fn member(self, member_no: i32) -> Finding {
        Finding {
            member_no: Some(member_no),
            ..self
        }
    }

    pub fn with_severity(self, severity: Severity) -> Finding {
        Finding { severity, ..self }
    }
}

/// The thresholds of every rule: DOMAIN.md's bracketed defaults, versioned so
/// that each stored finding names the rules that produced it. Money is fen;
/// shares and factors are per-mille (`1100` = 1.1×, `300` = 30%).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleConfig {
    pub version: String,
    /// Youngest and oldest age of compulsory schooling (适龄少年儿童 6–15).
    pub school_age_min: u32,
    pub school_age_max: u32,
    pub water_min_lpd: i32,
    /// In villages flagged water-scarce (缺水地区).
    pub water_min_lpd_scarce: i32,
    pub water_max_round_trip_min: i32,
    pub water_max_horizontal_m: i32,
    pub water_max_vertical_m: i32,
    pub water_max_shortage_days: i32,
    /// The income line per person per year.
    pub income_line_fen: i64,
    /// Net below this share of line × n is "near the line".
    pub near_line_permille: u32,
    /// The largest income category at or above this share of gross is "single source".
    pub single_source_permille: u32,
    /// Support from children (赡养) above this share of net.
    pub support_share_permille: u32,
    /// Declared and computed sums may differ by this much.
    pub sum_tolerance_fen: i64,
    /// The national poverty line per person per year, the base of monitoring.
    pub national_line_fen: i64,
    /// Net below this multiple of the national line × n → monitoring candidate.
    pub monitor_permille: u32,
    /// Planting at or above this share of gross.
    pub planting_share_permille: u32,
    /// Crop loss at or above this percentage counts as a disaster hit.
    pub crop_loss_pct: i32,
    /// Supervisory visits a household may have (原则上不超过2次).
    pub max_supervisory_visits: u32,
    pub gps_max_distance_m: f64,
    pub min_visit_minutes: u32,
    /// Speed between two of an inspector's visits (their midpoints, their
    /// positions) above which one of them did not happen there: a car on a
    /// county road averages less, door to door. [GUESS]
    pub max_travel_kmh: f64,
    /// An inspector's visit may start this long before their previous one
    /// ended: two phones' clocks, and the doorstep, differ by a minute or two. [GUESS]
    pub overlap_tolerance_min: u32,
    /// Photos whose 64-bit difference hashes (dHash) differ in at most this
    /// many bits show the same scene, re-encoded, cropped a little or re-shot
    /// (Krawetz, "Kind of like that", 2013: up to 10 bits is "similar"; 6
    /// keeps chance matches among many photos rare). At most 7, the reach of
    /// the band index that finds them.
    pub photo_near_bits: u32,
    /// Identical answers below this many non-empty ones are common among
    /// neighbours (all satisfied, no disaster, the same subsidy): only a
    /// copy this long counts. [GUESS]
    pub answers_min: u32,
    /// Visits one inspector makes in a day at most: a whole 三查一访 visit
    /// takes half an hour or more (the reference visit: 40 minutes), so 25
    /// already fill a long day. [GUESS]
    pub daily_max_visits: u32,
    /// A `risk` sample draws first the households an inspector with at least
    /// this risk score visited: on average half a high-severity `process.*`
    /// finding per visit (the score: `GET /integrity`). [GUESS]
    pub risky_inspector: f64,
    /// Region codes (any level) whose villages are water-scarce (缺水地区):
    /// there `water_min_lpd_scarce` applies.
    pub water_scarce_regions: Vec<String>,
}

impl Default for RuleConfig {
    fn default() -> RuleConfig {
        RuleConfig {
            version: "2026.2".into(),
            school_age_min: 6,
            school_age_max: 15,
            water_min_lpd: 35,
            water_min_lpd_scarce: 20,
            water_max_round_trip_min: 20,
            water_max_horizontal_m: 800,
            water_max_vertical_m: 80,
            water_max_shortage_days: 36,
            income_line_fen: 500_000,
            near_line_permille: 1100,
            single_source_permille: 800,
            support_share_permille: 300,
            sum_tolerance_fen: 100,
            national_line_fen: 400_000,
            monitor_permille: 1500,
            planting_share_permille: 500,
            crop_loss_pct: 30,
            max_supervisory_visits: 2,
            gps_max_distance_m: 500.0,
            min_visit_minutes: 10,
            max_travel_kmh: 60.0,
            overlap_tolerance_min: 2,
            photo_near_bits: 6,
            answers_min: 12,
            daily_max_visits: 25,
            risky_inspector: 5.0,
            water_scarce_regions: Vec::new(),
        }
    }
}

impl RuleConfig {
    /// Reads a TOML rule file; a key left out keeps its default, an unknown key is an error.
    pub fn from_toml_str(s: &str) -> Result<RuleConfig, String> {
        let cfg: RuleConfig = toml::from_str(s).map_err(|e| e.to_string())?;
        if cfg.photo_near_bits > integrity::NEAR_BITS_REACH {
            return Err(format!(
                "photo_near_bits: at most {} (the reach of the band index)",
                integrity::NEAR_BITS_REACH
            ));
        }
        match cfg
            .water_scarce_regions
            .iter()
            .find(|c| RegionCode::parse(c).is_none())
        {
            Some(bad) => Err(format!(
                "water_scarce_regions: {bad:?} is not a region code"
            )),
            None => Ok(cfg),
        }
    }

    /// Whether the village `division_code` lies in a water-scarce region.
    pub fn water_scarce(&self, division_code: &str) -> bool {
        self.water_scarce_regions
            .iter()
            .filter_map(|c| RegionCode::parse(c))
            .any(|r| division_code.starts_with(r.prefix()))
    }
}

/// What the card scanned during the visit showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardScan {
    #[default]
    NotScanned,
    /// The household's current card: the visitor was there.
    Current,
    OtherHousehold,
    /// A token no household has (an old card, or a misread).
    Unknown,
}

/// What the rules need from storage, loaded by the caller once per visit.
#[derive(Debug, Clone, Default)]
pub struct HouseholdContext {
    /// Members whose ID number is registered to another household.
    pub duplicate_id_member_nos: Vec<i32>,
    /// Current supervisory visits already stored for the household, this one excluded.
    pub prior_supervisory_visits: u32,
    /// (lat, lon), WGS84.
    pub known_location: Option<(f64, f64)>,
    pub card: CardScan,
    /// From the roster; when `None` the visit's `household.registered_member_count` counts.
    pub registered_member_count: Option<i32>,
    /// The village is flagged 缺水地区.
    pub water_scarce: bool,
    /// Helpers the roster holds for the household, besides those in the visit.
    pub helpers_on_roster: usize,
    /// What the inspector's other visits, and other households' images, show.
    pub history: History,
}

/// One of the inspector's visits to another household, nearest in time
/// before or after the visit being checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NearVisit {
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub ended_at: chrono::DateTime<chrono::Utc>,
    /// (lat, lon), WGS84, when it recorded one.
    pub position: Option<(f64, f64)>,
}

/// What the cross-visit rules (`process.impossible_travel` … `process.daily_volume`)
/// need, loaded by the caller with a few indexed lookups.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The inspector's visits to other households nearest in time before and
    /// after this one, and at the same start.
    pub neighbours: Vec<NearVisit>,
    /// Images of this visit (photos, the respondent's signature) that are in a
    /// visit of another household: (sha256, dHash bits apart; 0 for the same file).
    pub images_elsewhere: Vec<(String, u32)>,
    /// Non-empty answers in the visit's revisit answers, quality section and income lines.
    pub answer_count: u32,
    /// The same inspector's visit of another household has exactly these answers.
    pub answers_elsewhere: bool,
    /// The inspector's other visits that started on the same day (the visit's
    /// own UTC offset); the one a correction replaces is not counted.
    pub visits_that_day: u32,
}

/// What every rule reads: the visit, the thresholds, the stored context, and
/// the income totals computed once.
pub(crate) struct Facts<'a> {
    pub visit: &'a Visit,
    pub cfg: &'a RuleConfig,
    pub ctx: &'a HouseholdContext,
    pub money: income::Totals,
}

type Rule = fn(&Facts) -> Vec<Finding>;

/// Every rule, in the order of DOMAIN.md's table (`resident.feedback` is
/// raised by the QR page, not here).
const RULES: &[Rule] = &[
    education::edu_dropout,
    education::edu_exemption_unproven,
    medical::med_uninsured,
    medical::med_no_critical_illness_insurance,
    medical::med_chronic_unsigned,
    medical::med_expense_exceeds_income,
    housing::housing_unsafe,
    housing::housing_unassessed,
    water::water_quantity,
    water::water_quality,
    water::water_access,
    water::water_reliability,
    basics::basic_food_clothing,
    income::income_below_line,
    income::income_near_line,
    income::income_single_source,
    income::income_support_share_high,
    income::income_excluded_counted,
    income::income_sum_mismatch,
    income::income_omission,
    income::income_member_count_mismatch,
    monitor::monitor_low_income,
    monitor::monitor_drought_risk,
    record::record_duplicate_id,
    record::record_relation_sex,
    record::record_card_field_missing,
    process::process_supervision_over_limit,
    process::process_single_inspector,
    process::process_no_gps,
    process::process_gps_far,
    process::process_too_short,
    process::process_card_mismatch,
    integrity::process_impossible_travel,
    integrity::process_overlap,
    integrity::process_photo_reused,
    integrity::process_signature_reused,
    integrity::process_answers_copied,
    integrity::process_daily_volume,
    satisfaction::sat_exit_not_acknowledged,
    satisfaction::sat_dissatisfied,
    satisfaction::sat_helper_unknown,
];

/// Runs every rule on a visit that passed the hard checks.
pub fn evaluate(visit: &Visit, cfg: &RuleConfig, ctx: &HouseholdContext) -> Vec<Finding> {
    let facts = Facts {
        visit,
        cfg,
        ctx,
        money: income::Totals::of(&visit.income),
    };
    RULES.iter().flat_map(|rule| rule(&facts)).collect()
}

/// One finding at `field` when `broken`, else none.
fn flag(broken: bool, code: FindingCode, field: &str) -> Vec<Finding> {
    if broken {
        vec![Finding::new(code).at(field)]
    } else {
        Vec::new()
    }
}

/// One finding per member for whom `broken` holds, at `/members/{i}/{field}`.
fn per_member(
    visit: &Visit,
    code: FindingCode,
    field: &str,
    broken: impl Fn(&VisitMember) -> bool,
) -> Vec<Finding> {
    visit
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| broken(m))
        .map(|(i, m)| {
            Finding::new(code)
                .at(member_field(i, field))
                .member(m.member_no)
        })
        .collect()
}

fn member_field(index: usize, field: &str) -> String {
    format!("/members/{index}/{field}")
}

/// Whole years of age on the visit's reference date (31 December of the income year).
fn age(visit: &Visit, member: &VisitMember) -> Option<u32> {
    member
        .birth_date
        .and_then(|b| visit.reference_date.years_since(b))
}
