//! 入户核查: one household visit (`sancha.visit.v1`), as the phone sends it
//! ([`VisitInput`]) and as the checklist reads it ([`Visit`]).
//!
//! [`Visit::parse`] is the one pass that turns the input into domain types
//! and gathers every hard error (DOMAIN.md's table) with its JSON Pointer.
//! Leaf values are [`Lenient`], so a wrong type or an unknown enum value in
//! one field is reported together with every other problem instead of
//! stopping deserialisation at the first.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use super::household::{Attribute, Cause, IdType, PovertyStatus, Relation};
use super::id_number::{IdNumber, Sex};
use super::region::{RegionCode, RegionLevel};
use super::Role;
use crate::error::{Code, FieldError};

pub const SCHEMA_VERSION: &str = "sancha.visit.v1";
/// One money line may not exceed 10,000,000 yuan.
pub const MAX_LINE_FEN: i64 = 1_000_000_000;
/// How far in the server's future a visit time may lie (phone clocks drift).
pub const CLOCK_SKEW_MINUTES: i64 = 10;

/// A leaf value: `Bad` when it had the wrong type or an unknown enum value.
#[derive(Debug, Clone, PartialEq)]
pub enum Lenient<T> {
    Ok(T),
    Bad,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(T::deserialize(v).map_or(Lenient::Bad, Lenient::Ok))
    }
}

type L<T> = Lenient<T>;

crate::str_enum! {
    /// The four levels of checking (DOMAIN.md § Visit levels).
    VisitLevel {
        VillageSelf => "village_self", "村自查";
        TownMutual => "town_mutual", "乡镇互检";
        CountyCross => "county_cross", "县区交叉互检";
        CitySupervision => "city_supervision", "市级督导";
    }
}

impl VisitLevel {
    /// Who may submit a visit of this level.
    pub fn allowed(self, role: Role) -> bool {
        match self {
            VisitLevel::VillageSelf => matches!(role, Role::Enumerator | Role::Admin),
            _ => matches!(role, Role::Supervisor | Role::Admin),
        }
    }

    pub fn is_supervisory(self) -> bool {
        self != VisitLevel::VillageSelf
    }

    /// The share of households in scope this level should visit (DOMAIN.md
    /// § Visit levels), per mille.
    pub fn target_share_permille(self) -> i32 {
        match self {
            VisitLevel::VillageSelf => 1000,
            VisitLevel::TownMutual => 500,
            VisitLevel::CountyCross => 300,
            VisitLevel::CitySupervision => 200,
        }
    }
}

crate::str_enum! {
    /// 文化程度 (`members[].education`).
    Education {
        Illiterate => "illiterate", "文盲";
        Preschool => "preschool", "学前";
        Primary => "primary", "小学";
        Junior => "junior", "初中";
        Senior => "senior", "高中";
        Vocational => "vocational", "中职";
        College => "college", "大专及以上";
    }
}
crate::str_enum! {
    /// 在校生状况 (`members[].school_status`).
    SchoolStatus {
        NotStudent => "not_student", "非在校生";
        Preschool => "preschool", "学前教育";
        Primary => "primary", "小学";
        JuniorSecondary => "junior_secondary", "初中";
        SeniorSecondary => "senior_secondary", "高中";
        Vocational => "vocational", "中职";
        Higher => "higher", "高等教育";
        DroppedOut => "dropped_out", "辍学";
        HomeTeaching => "home_teaching", "送教上门";
        ExemptPhysical => "exempt_physical", "因身体原因免于入学";
    }
}
crate::str_enum! {
    /// 健康状况 (`members[].health`).
    Health {
        Healthy => "healthy", "健康";
        Chronic => "chronic", "长期慢性病";
        Serious => "serious", "患大病";
        Disabled => "disabled", "残疾";
    }
}
crate::str_enum! {
    /// 慢性病种类 (`members[].chronic_kinds`): the four that 家庭医生签约 covers, or another.
    ChronicKind {
        Hypertension => "hypertension", "高血压";
        Diabetes => "diabetes", "糖尿病";
        Tuberculosis => "tuberculosis", "肺结核";
        SevereMental => "severe_mental", "严重精神障碍";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 劳动技能 (`members[].labor`).
    Labor {
        Normal => "normal", "普通劳动力";
        Skilled => "skilled", "技能劳动力";
        Lost => "lost", "丧失劳动力";
        None => "none", "无劳动力";
    }
}
crate::str_enum! {
    /// 务工状况 (`members[].employment.status`).
    EmploymentStatus {
        Farming => "farming", "务农";
        Migrant => "migrant", "外出务工";
        LocalWork => "local_work", "本地务工";
        Business => "business", "个体经营";
        PublicPost => "public_post", "公益性岗位";
        Student => "student", "在校学生";
        Unemployed => "unemployed", "待业";
        NotWorking => "not_working", "不在业";
    }
}
crate::str_enum! {
    /// 务工地点 (`members[].employment.place`).
    Place {
        InCounty => "in_county", "县内";
        InProvince => "in_province", "省内县外";
        OutProvince => "out_province", "省外";
    }
}
crate::str_enum! {
    /// 基本医疗保险 (`members[].medical_insurance`).
    MedicalInsurance {
        Resident => "resident", "城乡居民基本医疗保险";
        Employee => "employee", "职工基本医疗保险";
        None => "none", "未参保";
        ExemptNewborn => "exempt_newborn", "新生儿免缴";
        ExemptMilitary => "exempt_military", "现役军人";
    }
}
crate::str_enum! {
    /// 养老保险 (`members[].pension_insurance`).
    Pension {
        Resident => "resident", "城乡居民基本养老保险";
        Employee => "employee", "职工基本养老保险";
        None => "none", "未参保";
    }
}
crate::str_enum! {
    /// 帮扶政策类别, as the card prints them.
    BenefitCategory {
        Industry => "industry", "产业帮扶";
        Employment => "employment", "就业帮扶";
        Health => "health", "健康帮扶";
        Education => "education", "教育资助";
        Housing => "housing", "危房改造";
        Relocation => "relocation", "易地搬迁";
        Dibao => "dibao", "低保";
        Tekun => "tekun", "特困供养";
        Pension => "pension", "养老保险";
        Eco => "eco", "生态补偿";
        Microcredit => "microcredit", "小额信贷";
        PublicPost => "public_post", "公益岗位";
        TempAssist => "temp_assist", "临时救助";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 核实方式 (`policy.benefits[].verified_by`).
    VerifiedBy {
        Passbook => "passbook", "银行存折";
        Contract => "contract", "合同协议";
        Receipt => "receipt", "票据凭证";
        Oral => "oral", "口头询问";
    }
}
crate::str_enum! {
    /// 工资性收入类型 (`income.wage[].kind`).
    WageKind {
        Migrant => "migrant", "外出务工";
        Local => "local", "本地务工";
        PublicPost => "public_post", "公益性岗位";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 生产经营性收入类型 (`income.operating[].kind`).
    OperatingKind {
        Planting => "planting", "种植业";
        Livestock => "livestock", "养殖业";
        Forestry => "forestry", "林业";
        Business => "business", "个体经营";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 财产性收入类型 (`income.property[].kind`).
    PropertyKind {
        LandRent => "land_rent", "土地流转租金";
        Dividend => "dividend", "入股分红";
        Interest => "interest", "利息";
        Photovoltaic => "photovoltaic", "光伏收益";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 转移性收入类型 (`income.transfer[].kind`).
    TransferKind {
        SupportFromChildren => "support_from_children", "赡养费";
        Pension => "pension", "养老金";
        Dibao => "dibao", "低保金";
        Tekun => "tekun", "特困供养金";
        EcoCompensation => "eco_compensation", "生态补偿";
        FarmSubsidy => "farm_subsidy", "农业补贴";
        HousingSubsidy => "housing_subsidy", "住房补贴";
        RelocationSubsidy => "relocation_subsidy", "搬迁补助";
        Condolence => "condolence", "慰问金";
        TempAssist => "temp_assist", "临时救助";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 不计入收入的原因 (`income.excluded[].reason`).
    ExcludedReason {
        Earmarked => "earmarked", "有固定用途";
        OneOff => "one_off", "一次性";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 住房结构 (`quality.housing.structure`).
    Structure {
        Rc => "rc", "钢混";
        BrickConcrete => "brick_concrete", "砖混";
        BrickWood => "brick_wood", "砖木";
        EarthAdobe => "earth_adobe", "土坯";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 房屋安全鉴定等级 (`quality.housing.grade`).
    Grade {
        A => "A", "A级";
        B => "B", "B级";
        C => "C", "C级";
        D => "D", "D级";
        Unassessed => "unassessed", "未鉴定";
    }
}
crate::str_enum! {
    /// 住房保障方式 (`quality.housing.renovation.kind`).
    RenovationKind {
        DilapidatedRenovation => "dilapidated_renovation", "危房改造";
        Relocation => "relocation", "易地扶贫搬迁";
        None => "none", "无";
    }
}
crate::str_enum! {
    /// 明显破损 (`quality.housing.visible_defects`).
    Defect {
        Leaks => "leaks", "跑风漏雨";
        WallCracks => "wall_cracks", "墙体开裂";
        None => "none", "无";
    }
}
crate::str_enum! {
    /// 饮水来源 (`quality.water.source`).
    WaterSource {
        CentralPiped => "central_piped", "集中供水";
        OwnWell => "own_well", "自家水井";
        SharedWell => "shared_well", "公用水井";
        Spring => "spring", "山泉水";
        Cistern => "cistern", "水窖";
        Trucked => "trucked", "拉水送水";
        Other => "other", "其他";
    }
}
crate::str_enum! {
    /// 水质 (`quality.water.quality`).
    WaterQuality {
        Ok => "ok", "合格";
        Suspect => "suspect", "存疑";
        Fail => "fail", "不合格";
    }
}
crate::str_enum! {
    /// 访满意度 questions (`revisit.answers[].code`).
    AnswerCode {
        SatTeam => "SAT_TEAM", "对驻村工作队帮扶是否满意";
        SatHelper => "SAT_HELPER", "对结对帮扶责任人是否满意";
        SatPolicyDone => "SAT_POLICY_DONE", "帮扶政策是否落实到位";
        SatIndustry => "SAT_INDUSTRY", "产业帮扶对家庭增收是否有效";
        AckPolicy => "ACK_POLICY", "对脱贫攻坚政策是否认可";
        AckMeasures => "ACK_MEASURES", "对帮扶措施及成效是否认可";
        AckCadre => "ACK_CADRE", "对干部帮扶是否认可";
        KnowHelper => "KNOW_HELPER", "是否知道帮扶责任人及联系方式";
    }
}
crate::str_enum! {
    /// 签名人 (`signatures[].role`).
    SignatureRole {
        Inspector => "inspector", "核查人";
        CoInspector => "co_inspector", "共同核查人";
        Respondent => "respondent", "受访人";
        VillageCadre => "village_cadre", "村干部";
    }
}
crate::str_enum! {
    /// 签名方式 (`signatures[].method`).
    SignMethod {
        Handwritten => "handwritten", "手写签名";
        Thumbprint => "thumbprint", "按手印";
        Refused => "refused", "拒签";
    }
}
crate::str_enum! {
    /// 照片类型 (`photos[].kind`).
    PhotoKind {
        HouseFront => "house_front", "房屋正面";
        InspectorWithHousehold => "inspector_with_household", "核查人与农户合影";
        CardOnWall => "card_on_wall", "明白卡上墙";
        WaterPoint => "water_point", "取水点";
        HouseDefect => "house_defect", "房屋破损处";
        Document => "document", "证明材料";
    }
}
crate::str_enum! {
    /// 防返贫监测对象类型 (`household.monitoring.type`).
    MonitorType {
        UnstableExited => "unstable_exited", "脱贫不稳定户";
        Marginal => "marginal", "边缘易致贫户";
    }
}
crate::str_enum! {
    /// 定位方式 (`geo.provider`).
    Provider {
        Gnss => "gnss", "卫星定位";
        Network => "network", "网络定位";
        Fused => "fused", "融合定位";
    }
}
crate::str_enum! {
    /// 坐标系 (`geo.datum`).
    GeoDatum {
        Wgs84 => "WGS84", "WGS-84";
        Gcj02 => "GCJ02", "GCJ-02（国测局）";
    }
}

crate::str_enum! {
    /// A satisfaction answer (`revisit.answers[].value`): the 5-level scale,
    /// or yes/no for `KNOW_HELPER` ([`AnswerValue::parse_for`]).
    AnswerValue {
        VerySatisfied => "very_satisfied", "非常满意";
        Satisfied => "satisfied", "满意";
        Neutral => "neutral", "一般";
        Dissatisfied => "dissatisfied", "不满意";
        VeryDissatisfied => "very_dissatisfied", "非常不满意";
        Yes => "yes", "是";
        No => "no", "否";
    }
}

impl AnswerValue {
    /// The answer to `code`: yes/no for `KNOW_HELPER`, the scale for the others.
    fn parse_for(code: AnswerCode, s: &str) -> Option<AnswerValue> {
        let v = AnswerValue::parse(s)?;
        let yes_no = matches!(v, AnswerValue::Yes | AnswerValue::No);
        (yes_no == (code == AnswerCode::KnowHelper)).then_some(v)
    }

    pub fn is_dissatisfied(self) -> bool {
        matches!(
            self,
            AnswerValue::Dissatisfied | AnswerValue::VeryDissatisfied
        )
    }
}

// ---- the wire shape ---------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    pub schema_version: L<String>,
    pub household_id: L<uuid::Uuid>,
    pub level: L<VisitLevel>,
    pub income_year: L<i32>,
    pub household: HouseholdIn,
    pub members: Vec<MemberIn>,
    pub policy: PolicyIn,
    pub income: IncomeIn,
    pub quality: QualityIn,
    pub revisit: RevisitIn,
    pub signatures: Vec<SignatureIn>,
    pub timing: TimingIn,
    #[serde(default)]
    pub geo: Option<GeoIn>,
    #[serde(default)]
    pub photos: Vec<PhotoIn>,
    #[serde(default)]
    pub client: Option<ClientIn>,
    #[serde(default)]
    pub card_scan: Option<L<String>>,
    /// The visit this one corrects (after a rejected review).
    #[serde(default)]
    pub replaces: Option<L<uuid::Uuid>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdIn {
    pub division_code: L<String>,
    pub group_name: L<String>,
    pub registered_year: L<i32>,
    pub poverty_status: L<PovertyStatus>,
    #[serde(default)]
    pub exit_year: Option<L<i32>>,
    pub attribute: L<Attribute>,
    #[serde(default)]
    pub main_cause: Option<L<Cause>>,
    #[serde(default)]
    pub other_causes: Vec<L<Cause>>,
    pub registered_member_count: L<i32>,
    #[serde(default)]
    pub monitoring: Option<MonitoringIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringIn {
    pub is_monitored: L<bool>,
    #[serde(default, rename = "type")]
    pub kind: Option<L<MonitorType>>,
    #[serde(default)]
    pub risk_types: Vec<L<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    pub member_no: L<i32>,
    pub name: L<String>,
    pub id_type: L<IdType>,
    #[serde(default)]
    pub id_number: Option<L<String>>,
    #[serde(default)]
    pub pending_reason: Option<L<String>>,
    pub relation: L<Relation>,
    #[serde(default)]
    pub sex: Option<L<Sex>>,
    #[serde(default)]
    pub birth_date: Option<L<NaiveDate>>,
    #[serde(default)]
    pub ethnicity: Option<L<String>>,
    pub education: L<Education>,
    pub school_status: L<SchoolStatus>,
    #[serde(default)]
    pub school_name: Option<L<String>>,
    #[serde(default)]
    pub exempt_cert_ref: Option<L<String>>,
    pub health: L<Health>,
    #[serde(default)]
    pub chronic_kinds: Vec<L<ChronicKind>>,
    #[serde(default)]
    pub disability_cert_no: Option<L<String>>,
    pub labor: L<Labor>,
    pub employment: EmploymentIn,
    pub medical_insurance: L<MedicalInsurance>,
    pub critical_illness_insurance: L<bool>,
    pub family_doctor_signed: L<bool>,
    #[serde(default)]
    pub chronic_card: Option<L<bool>>,
    pub pension_insurance: L<Pension>,
    pub in_dibao: L<bool>,
    pub in_tekun: L<bool>,
    pub shares_budget: L<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmploymentIn {
    pub status: L<EmploymentStatus>,
    pub months: L<i32>,
    #[serde(default)]
    pub place: Option<L<Place>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyIn {
    #[serde(default)]
    pub helpers: Vec<HelperIn>,
    #[serde(default)]
    pub benefits: Vec<BenefitIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HelperIn {
    pub name: L<String>,
    pub unit: L<String>,
    #[serde(default)]
    pub title: Option<L<String>>,
    #[serde(default)]
    pub phone: Option<L<String>>,
    pub known_by_household: L<bool>,
    #[serde(default)]
    pub visits_last_12m: Option<L<i32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitIn {
    pub category: L<BenefitCategory>,
    pub item: L<String>,
    #[serde(default)]
    pub member_no: Option<L<i32>>,
    pub amount_fen: L<i64>,
    #[serde(default)]
    pub period: Option<L<String>>,
    #[serde(default)]
    pub earmarked: Option<L<bool>>,
    #[serde(default)]
    pub one_off: Option<L<bool>>,
    #[serde(default)]
    pub verified_by: Vec<L<VerifiedBy>>,
    #[serde(default)]
    pub received_confirmed: Option<L<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeIn {
    #[serde(default)]
    pub wage: Vec<WageIn>,
    #[serde(default)]
    pub operating: Vec<OperatingIn>,
    #[serde(default)]
    pub operating_cost: Vec<AmountIn>,
    #[serde(default)]
    pub property: Vec<PropertyIn>,
    #[serde(default)]
    pub transfer: Vec<TransferIn>,
    #[serde(default)]
    pub excluded: Vec<ExcludedIn>,
    #[serde(default)]
    pub declared: Option<DeclaredIn>,
    #[serde(default)]
    pub system_snapshot: Option<SnapshotIn>,
    #[serde(default)]
    pub rigid_expense: Option<RigidIn>,
    #[serde(default)]
    pub land_mu: Option<LandIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WageIn {
    pub member_no: L<i32>,
    pub kind: L<WageKind>,
    pub gross_fen: L<i64>,
    #[serde(default)]
    pub cost_fen: Option<L<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatingIn {
    pub kind: L<OperatingKind>,
    #[serde(default)]
    pub item: Option<L<String>>,
    pub gross_fen: L<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountIn {
    #[serde(default)]
    pub item: Option<L<String>>,
    pub amount_fen: L<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertyIn {
    pub kind: L<PropertyKind>,
    pub amount_fen: L<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    pub kind: L<TransferKind>,
    pub amount_fen: L<i64>,
    #[serde(default)]
    pub agreement_ref: Option<L<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExcludedIn {
    pub item: L<String>,
    pub amount_fen: L<i64>,
    pub reason: L<ExcludedReason>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredIn {
    #[serde(default)]
    pub gross_fen: Option<L<i64>>,
    #[serde(default)]
    pub net_fen: Option<L<i64>>,
    #[serde(default)]
    pub per_capita_fen: Option<L<i64>>,
    #[serde(default)]
    pub transfer_total_fen: Option<L<i64>>,
    /// Whether the declared net counted the `excluded` lines.
    #[serde(default)]
    pub includes_excluded: Option<L<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotIn {
    #[serde(default)]
    pub net_fen: Option<L<i64>>,
    #[serde(default)]
    pub per_capita_fen: Option<L<i64>>,
    #[serde(default)]
    pub member_count: Option<L<i32>>,
    #[serde(default)]
    pub as_of: Option<L<NaiveDate>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RigidIn {
    #[serde(default)]
    pub medical_oop_fen: Option<L<i64>>,
    #[serde(default)]
    pub education_fen: Option<L<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandIn {
    #[serde(default)]
    pub farmland: Option<L<f64>>,
    #[serde(default)]
    pub irrigated: Option<L<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityIn {
    pub food_secure: L<bool>,
    pub protein_anytime: L<bool>,
    pub clothing_secure: L<bool>,
    pub housing: HousingIn,
    pub water: WaterIn,
    #[serde(default)]
    pub disaster: Option<DisasterIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HousingIn {
    pub owns_or_lives_safe: L<bool>,
    pub structure: L<Structure>,
    #[serde(default)]
    pub built_year: Option<L<i32>>,
    pub grade: L<Grade>,
    #[serde(default)]
    pub appraisal: Option<AppraisalIn>,
    #[serde(default)]
    pub renovation: Option<RenovationIn>,
    #[serde(default)]
    pub visible_defects: Vec<L<Defect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppraisalIn {
    #[serde(default)]
    pub by: Option<L<String>>,
    #[serde(default)]
    pub date: Option<L<NaiveDate>>,
    #[serde(default, rename = "ref")]
    pub reference: Option<L<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenovationIn {
    pub kind: L<RenovationKind>,
    #[serde(default)]
    pub completed: Option<L<bool>>,
    #[serde(default)]
    pub completed_date: Option<L<NaiveDate>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaterIn {
    pub source: L<WaterSource>,
    pub piped_to_home: L<bool>,
    pub quantity_lpd: L<i32>,
    pub quality: L<WaterQuality>,
    #[serde(default)]
    pub quality_report_ref: Option<L<String>>,
    #[serde(default)]
    pub fetch_round_trip_min: Option<L<i32>>,
    #[serde(default)]
    pub fetch_horizontal_m: Option<L<i32>>,
    #[serde(default)]
    pub fetch_vertical_m: Option<L<i32>>,
    #[serde(default)]
    pub shortage_days_last_year: Option<L<i32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisasterIn {
    pub drought: L<bool>,
    pub crop_loss_pct: L<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisitIn {
    pub respondent_member_no: L<i32>,
    #[serde(default)]
    pub answers: Vec<AnswerIn>,
    pub acknowledges_exit: L<bool>,
    #[serde(default)]
    pub complaint_text: Option<L<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    pub code: L<AnswerCode>,
    pub value: L<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureIn {
    pub role: L<SignatureRole>,
    #[serde(default)]
    pub staff_id: Option<L<String>>,
    #[serde(default)]
    pub name: Option<L<String>>,
    #[serde(default)]
    pub unit: Option<L<String>>,
    #[serde(default)]
    pub member_no: Option<L<i32>>,
    #[serde(default)]
    pub method: Option<L<SignMethod>>,
    #[serde(default)]
    pub refusal_reason: Option<L<String>>,
    #[serde(default)]
    pub signed_at: Option<L<DateTime<FixedOffset>>>,
    #[serde(default)]
    pub image_sha256: Option<L<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingIn {
    pub started_at: L<DateTime<FixedOffset>>,
    pub ended_at: L<DateTime<FixedOffset>>,
    #[serde(default)]
    pub submitted_at: Option<L<DateTime<FixedOffset>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoIn {
    pub lat: L<f64>,
    pub lon: L<f64>,
    #[serde(default)]
    pub datum: Option<L<GeoDatum>>,
    #[serde(default)]
    pub accuracy_m: Option<L<f64>>,
    #[serde(default)]
    pub fix_at: Option<L<DateTime<FixedOffset>>>,
    #[serde(default)]
    pub provider: Option<L<Provider>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoIn {
    pub kind: L<PhotoKind>,
    pub sha256: L<String>,
    #[serde(default)]
    pub taken_at: Option<L<DateTime<FixedOffset>>>,
    #[serde(default)]
    pub lat: Option<L<f64>>,
    #[serde(default)]
    pub lon: Option<L<f64>>,
    #[serde(default)]
    pub upload_ref: Option<L<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientIn {
    #[serde(default)]
    pub app_version: Option<L<String>>,
    #[serde(default)]
    pub device_hash: Option<L<String>>,
    #[serde(default)]
    pub computed_findings: Vec<L<String>>,
}

// ---- the checked visit ------------------------------------------------------------

/// A visit that passed every hard check. Money is fen; `member_no` references
/// resolve; times are ordered.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub household_id: uuid::Uuid,
    pub level: VisitLevel,
    pub income_year: i32,
    /// Ages are taken on this day: 31 December of `income_year`.
    pub reference_date: NaiveDate,
    pub household: HouseholdFacts,
    pub members: Vec<VisitMember>,
    pub helpers: Vec<Helper>,
    pub benefits: Vec<Benefit>,
    pub income: Income,
    pub quality: Quality,
    pub revisit: Revisit,
    pub signatures: Vec<Signature>,
    pub started_at: DateTime<FixedOffset>,
    pub ended_at: DateTime<FixedOffset>,
    pub geo: Option<Geo>,
    pub photo_sha256: Vec<String>,
    pub card_scan: Option<String>,
    pub replaces: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdFacts {
    pub division_code: RegionCode,
    pub poverty_status: PovertyStatus,
    pub exit_year: Option<i32>,
    pub attribute: Attribute,
    pub main_cause: Option<Cause>,
    pub registered_member_count: i32,
    pub is_monitored: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisitMember {
    pub member_no: i32,
    pub id_type: IdType,
    pub id_number: Option<String>,
    pub relation: Relation,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub school_status: SchoolStatus,
    pub exempt_cert_ref: Option<String>,
    pub health: Health,
    pub chronic_kinds: Vec<ChronicKind>,
    pub employment_months: i32,
    pub employment_status: EmploymentStatus,
    pub medical_insurance: MedicalInsurance,
    pub critical_illness_insurance: bool,
    pub family_doctor_signed: bool,
    pub pension: Pension,
    pub in_dibao: bool,
    pub in_tekun: bool,
    pub shares_budget: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Helper {
    pub name: String,
    pub phone: Option<String>,
    pub known_by_household: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Benefit {
    pub category: BenefitCategory,
    /// What was received, e.g. "肉牛养殖入股分红".
    pub item: String,
    pub amount_fen: i64,
    pub earmarked: bool,
    pub one_off: bool,
    pub received_confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Income {
    /// (member_no, kind, gross, cost) per wage line.
    pub wage: Vec<(i32, WageKind, i64, i64)>,
    pub operating: Vec<(OperatingKind, i64)>,
    pub operating_cost: Vec<i64>,
    pub property: Vec<(PropertyKind, i64)>,
    /// (kind, amount, has an agreement reference).
    pub transfer: Vec<(TransferKind, i64, bool)>,
    pub excluded: Vec<(ExcludedReason, i64)>,
    pub declared_net_fen: Option<i64>,
    pub declared_transfer_total_fen: Option<i64>,
    pub declared_includes_excluded: bool,
    pub snapshot_member_count: Option<i32>,
    pub medical_oop_fen: Option<i64>,
    pub farmland_mu: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    pub food_secure: bool,
    pub protein_anytime: bool,
    pub clothing_secure: bool,
    pub owns_or_lives_safe: bool,
    pub structure: Structure,
    pub grade: Grade,
    pub renovation_completed: bool,
    pub visible_defects: Vec<Defect>,
    pub piped_to_home: bool,
    pub quantity_lpd: i32,
    pub water_quality: WaterQuality,
    pub has_quality_report: bool,
    pub fetch_round_trip_min: i32,
    pub fetch_horizontal_m: i32,
    pub fetch_vertical_m: i32,
    pub shortage_days: i32,
    pub drought: bool,
    pub crop_loss_pct: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Revisit {
    pub respondent_member_no: i32,
    pub answers: Vec<(AnswerCode, AnswerValue)>,
    pub acknowledges_exit: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    pub role: SignatureRole,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub image_sha256: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geo {
    /// WGS-84, whatever datum the phone reported.
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

// ---- parsing ----------------------------------------------------------------------

/// Gathers field errors while taking values out of the input.
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn add(&mut self, field: impl Into<String>, code: Code) {
        self.errors.push(FieldError::new(field, code));
    }

    /// The value, or `None` with `schema.invalid` at `field`.
    fn take<T>(&mut self, field: &str, v: L<T>) -> Option<T> {
        match v {
            Lenient::Ok(t) => Some(t),
            Lenient::Bad => {
                self.add(field, Code::SchemaInvalid);
                None
            }
        }
    }

    fn opt<T>(&mut self, field: &str, v: Option<L<T>>) -> Option<T> {
        v.and_then(|v| self.take(field, v))
    }

    /// A non-negative money amount of at most one line's cap.
    fn fen(&mut self, field: &str, v: L<i64>) -> i64 {
        match self.take(field, v) {
            Some(x) if x < 0 => {
                self.add(field, Code::MoneyNegative);
                0
            }
            Some(x) if x > MAX_LINE_FEN => {
                self.add(field, Code::MoneyTooLarge);
                0
            }
            Some(x) => x,
            None => 0,
        }
    }

    fn opt_fen(&mut self, field: &str, v: Option<L<i64>>) -> Option<i64> {
        v.map(|v| self.fen(field, v))
    }

    fn range(&mut self, field: &str, v: Option<i32>, lo: i32, hi: i32) -> i32 {
        match v {
            Some(x) if x < lo || x > hi => {
                self.add(field, Code::Range);
                x.clamp(lo, hi)
            }
            Some(x) => x,
            None => 0,
        }
    }

    fn sha256(&mut self, field: &str, v: L<String>) -> Option<String> {
        let s = self.take(field, v)?;
        let ok = s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            self.add(field, Code::SchemaInvalid);
        }
        ok.then(|| s.to_ascii_lowercase())
    }
}

/// A mainland China bounding box (lat 18–54, lon 73–136).
fn in_china(lat: f64, lon: f64) -> bool {
    (18.0..=54.0).contains(&lat) && (73.0..=136.0).contains(&lon)
}

impl Visit {
    /// Checks a visit against every hard rule. `now` is the server's clock.
    pub fn parse(input: VisitInput, now: DateTime<FixedOffset>) -> Result<Visit, Vec<FieldError>> {
        let mut c = Check { errors: Vec::new() };
        if c.take("/schema_version", input.schema_version).as_deref() != Some(SCHEMA_VERSION)
            && !c.errors.iter().any(|e| e.field == "/schema_version")
        {
            c.add("/schema_version", Code::SchemaInvalid);
        }
        let household_id = c.take("/household_id", input.household_id);
        let level = c.take("/level", input.level);
        let income_year = c.take("/income_year", input.income_year);
        if let Some(y) = income_year {
            if !(2014..=now.year()).contains(&y) {
                c.add("/income_year", Code::Range);
            }
        }
        let year = income_year.unwrap_or(now.year()).clamp(2014, now.year());
        let reference_date = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();

        let household = parse_household(&mut c, input.household);
        // References are checked against every member number sent, so one
        // bad field in a member does not also break every reference to it.
        let member_nos: Vec<i32> = input
            .members
            .iter()
            .filter_map(|m| match m.member_no {
                Lenient::Ok(n) => Some(n),
                Lenient::Bad => None,
            })
            .collect();
        let members = parse_members(&mut c, input.members, now.date_naive());
        let mut member_ref = |c: &mut Check, field: String, no: Option<i32>| {
            if let Some(no) = no {
                if !member_nos.contains(&no) {
                    c.add(field, Code::MembersRef);
                }
            }
        };

        let mut helpers = Vec::new();
        for (i, h) in input.policy.helpers.into_iter().enumerate() {
            let at = |f: &str| format!("/policy/helpers/{i}/{f}");
            let name = c.take(&at("name"), h.name);
            c.take(&at("unit"), h.unit);
            c.opt(&at("title"), h.title);
            let phone = c.opt(&at("phone"), h.phone);
            c.opt(&at("visits_last_12m"), h.visits_last_12m);
            if let (Some(name), Some(known)) = (
                name,
                c.take(&at("known_by_household"), h.known_by_household),
            ) {
                helpers.push(Helper {
                    name,
                    phone,
                    known_by_household: known,
                });
            }
        }
        let mut benefits = Vec::new();
        for (i, b) in input.policy.benefits.into_iter().enumerate() {
            let at = |f: &str| format!("/policy/benefits/{i}/{f}");
            let category = c.take(&at("category"), b.category);
            let item = c.take(&at("item"), b.item);
            let no = c.opt(&at("member_no"), b.member_no);
            member_ref(&mut c, at("member_no"), no);
            let amount_fen = c.fen(&at("amount_fen"), b.amount_fen);
            c.opt(&at("period"), b.period);
            for (j, v) in b.verified_by.into_iter().enumerate() {
                c.take(&format!("{}/{j}", at("verified_by")), v);
            }
            let earmarked = c.opt(&at("earmarked"), b.earmarked).unwrap_or(false);
            let one_off = c.opt(&at("one_off"), b.one_off).unwrap_or(false);
            let received_confirmed = c
                .opt(&at("received_confirmed"), b.received_confirmed)
                .unwrap_or(false);
            if let (Some(category), Some(item)) = (category, item) {
                benefits.push(Benefit {
                    category,
                    item,
                    amount_fen,
                    earmarked,
                    one_off,
                    received_confirmed,
                });
            }
        }

        let income = parse_income(&mut c, input.income, &mut member_ref);
        let quality = parse_quality(&mut c, input.quality, reference_date.year());

        let respondent = c.take(
            "/revisit/respondent_member_no",
            input.revisit.respondent_member_no,
        );
        member_ref(&mut c, "/revisit/respondent_member_no".into(), respondent);
        let mut answers = Vec::new();
        for (i, a) in input.revisit.answers.into_iter().enumerate() {
            let code = c.take(&format!("/revisit/answers/{i}/code"), a.code);
            let value = c.take(&format!("/revisit/answers/{i}/value"), a.value);
            match (
                code,
                value
                    .as_deref()
                    .and_then(|v| code.and_then(|k| AnswerValue::parse_for(k, v))),
            ) {
                (Some(code), Some(v)) => answers.push((code, v)),
                (Some(_), None) if value.is_some() => {
                    c.add(format!("/revisit/answers/{i}/value"), Code::SchemaInvalid)
                }
                _ => {}
            }
        }
        let acknowledges_exit = c.take(
            "/revisit/acknowledges_exit",
            input.revisit.acknowledges_exit,
        );
        c.opt("/revisit/complaint_text", input.revisit.complaint_text);

        let started_at = c.take("/timing/started_at", input.timing.started_at);
        let ended_at = c.take("/timing/ended_at", input.timing.ended_at);
        c.opt("/timing/submitted_at", input.timing.submitted_at);
        let latest = now + chrono::Duration::minutes(CLOCK_SKEW_MINUTES);
        if let (Some(s), Some(e)) = (started_at, ended_at) {
            if e < s {
                c.add("/timing/ended_at", Code::TimingOrder);
            }
        }
        for (field, t) in [
            ("/timing/started_at", started_at),
            ("/timing/ended_at", ended_at),
        ] {
            if t.is_some_and(|t| t > latest) {
                c.add(field, Code::TimingOrder);
            }
        }

        let signatures = parse_signatures(&mut c, input.signatures, &mut member_ref);

        let geo = input.geo.and_then(|g| {
            let lat = c.take("/geo/lat", g.lat);
            let lon = c.take("/geo/lon", g.lon);
            let datum = c.opt("/geo/datum", g.datum);
            c.opt("/geo/fix_at", g.fix_at);
            c.opt("/geo/provider", g.provider);
            let accuracy_m = c.opt("/geo/accuracy_m", g.accuracy_m);
            let (lat, lon) = (lat?, lon?);
            if !in_china(lat, lon) {
                c.add(
                    if (18.0..=54.0).contains(&lat) {
                        "/geo/lon"
                    } else {
                        "/geo/lat"
                    },
                    Code::Range,
                );
            }
            let (lat, lon) = match datum {
                Some(GeoDatum::Gcj02) => super::geo::gcj02_to_wgs84(lat, lon),
                _ => (lat, lon),
            };
            Some(Geo {
                lat,
                lon,
                accuracy_m,
            })
        });
        let mut photo_sha256 = Vec::new();
        for (i, p) in input.photos.into_iter().enumerate() {
            let at = |f: &str| format!("/photos/{i}/{f}");
            c.take(&at("kind"), p.kind);
            c.opt(&at("taken_at"), p.taken_at);
            c.opt(&at("upload_ref"), p.upload_ref);
            let (lat, lon) = (c.opt(&at("lat"), p.lat), c.opt(&at("lon"), p.lon));
            if let (Some(lat), Some(lon)) = (lat, lon) {
                if !in_china(lat, lon) {
                    c.add(at("lat"), Code::Range);
                }
            }
            if let Some(h) = c.sha256(&at("sha256"), p.sha256) {
                photo_sha256.push(h);
            }
        }
        if let Some(client) = input.client {
            c.opt("/client/app_version", client.app_version);
            c.opt("/client/device_hash", client.device_hash);
            for (i, f) in client.computed_findings.into_iter().enumerate() {
                c.take(&format!("/client/computed_findings/{i}"), f);
            }
        }
        let card_scan = c.opt("/card_scan", input.card_scan);
        let replaces = c.opt("/replaces", input.replaces);

        match (
            c.errors.is_empty(),
            household_id,
            level,
            household,
            started_at,
            ended_at,
            respondent,
            acknowledges_exit,
        ) {
            (
                true,
                Some(household_id),
                Some(level),
                Some(household),
                Some(started_at),
                Some(ended_at),
                Some(respondent),
                Some(ack),
            ) => Ok(Visit {
                household_id,
                level,
                income_year: year,
                reference_date,
                household,
                members,
                helpers,
                benefits,
                income,
                quality: quality.expect("no errors means every quality field was read"),
                revisit: Revisit {
                    respondent_member_no: respondent,
                    answers,
                    acknowledges_exit: ack,
                },
                signatures,
                started_at,
                ended_at,
                geo,
                photo_sha256,
                card_scan,
                replaces,
            }),
            _ => Err(c.errors),
        }
    }
}

fn parse_household(c: &mut Check, h: HouseholdIn) -> Option<HouseholdFacts> {
    let division = c.take("/household/division_code", h.division_code);
    let division_code = match division.as_deref().map(RegionCode::parse) {
        Some(Some(code)) if code.level() == RegionLevel::Village => Some(code),
        Some(Some(_)) => {
            c.add("/household/division_code", Code::RegionNotVillage);
            None
        }
        Some(None) => {
            c.add("/household/division_code", Code::RegionCodeInvalid);
            None
        }
        None => None,
    };
    c.take("/household/group_name", h.group_name);
    c.take("/household/registered_year", h.registered_year);
    let poverty_status = c.take("/household/poverty_status", h.poverty_status);
    let exit_year = c.opt("/household/exit_year", h.exit_year);
    let attribute = c.take("/household/attribute", h.attribute);
    let main_cause = c.opt("/household/main_cause", h.main_cause);
    let mut others = Vec::new();
    for (i, cause) in h.other_causes.into_iter().enumerate() {
        if let Some(cause) = c.take(&format!("/household/other_causes/{i}"), cause) {
            others.push(cause);
        }
    }
    let repeats = others
        .iter()
        .enumerate()
        .any(|(i, x)| Some(*x) == main_cause || others[..i].contains(x));
    if others.len() > 2 || repeats {
        c.add("/household/other_causes", Code::CausesTooMany);
    }
    let registered_member_count = c.take(
        "/household/registered_member_count",
        h.registered_member_count,
    );
    let is_monitored = h.monitoring.and_then(|m| {
        c.opt("/household/monitoring/type", m.kind);
        for (i, r) in m.risk_types.into_iter().enumerate() {
            c.take(&format!("/household/monitoring/risk_types/{i}"), r);
        }
        c.take("/household/monitoring/is_monitored", m.is_monitored)
    });
    Some(HouseholdFacts {
        division_code: division_code?,
        poverty_status: poverty_status?,
        exit_year,
        attribute: attribute?,
        main_cause,
        registered_member_count: registered_member_count?,
        is_monitored: is_monitored.unwrap_or(false),
    })
}

fn parse_members(c: &mut Check, input: Vec<MemberIn>, today: NaiveDate) -> Vec<VisitMember> {
    let mut members = Vec::new();
    let mut seen_nos = Vec::new();
    let mut seen_ids: Vec<String> = Vec::new();
    let mut heads = 0;
    let count = input.len();
    for (i, m) in input.into_iter().enumerate() {
        let at = |f: &str| format!("/members/{i}/{f}");
        let member_no = c.take(&at("member_no"), m.member_no);
        if let Some(no) = member_no {
            if no < 1 || seen_nos.contains(&no) {
                c.add(at("member_no"), Code::MembersRef);
            }
            seen_nos.push(no);
        }
        c.take(&at("name"), m.name);
        let id_type = c.take(&at("id_type"), m.id_type);
        let relation = c.take(&at("relation"), m.relation);
        heads += usize::from(relation == Some(Relation::Head));
        let claimed_sex = c.opt(&at("sex"), m.sex);
        let claimed_birth = c.opt(&at("birth_date"), m.birth_date);
        let number = c
            .opt(&at("id_number"), m.id_number)
            .filter(|n| !n.trim().is_empty());
        let pending_reason = c.opt(&at("pending_reason"), m.pending_reason);
        let mut id = None;
        match (id_type, &number) {
            (Some(IdType::PendingPoliceCert), None) => {
                if pending_reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
                {
                    c.add(at("pending_reason"), Code::SchemaInvalid);
                }
            }
            (Some(_), None) => c.add(at("id_number"), Code::IdNumberFormat),
            (Some(t), Some(n)) => {
                // A 残疾人证 number is the ID plus category and grade.
                let base = match (t, n.get(..18)) {
                    (IdType::DisabilityCert, Some(id)) if n.len() == 20 => id,
                    _ => n.as_str(),
                };
                match IdNumber::parse(base, today) {
                    Ok(parsed) => {
                        if claimed_sex.is_some_and(|s| s != parsed.sex()) {
                            c.add(at("sex"), Code::IdNumberMismatch);
                        }
                        if claimed_birth.is_some_and(|d| d != parsed.birth_date()) {
                            c.add(at("birth_date"), Code::IdNumberMismatch);
                        }
                        if seen_ids.iter().any(|s| s == parsed.as_str()) {
                            c.add(at("id_number"), Code::IdNumberDuplicate);
                        }
                        seen_ids.push(parsed.as_str().to_string());
                        id = Some(parsed);
                    }
                    Err(code) => c.add(at("id_number"), code),
                }
            }
            (None, _) => {}
        }
        c.opt(&at("ethnicity"), m.ethnicity);
        c.take(&at("education"), m.education);
        let school_status = c.take(&at("school_status"), m.school_status);
        c.opt(&at("school_name"), m.school_name);
        let exempt_cert_ref = c
            .opt(&at("exempt_cert_ref"), m.exempt_cert_ref)
            .filter(|s| !s.trim().is_empty());
        let health = c.take(&at("health"), m.health);
        let mut chronic_kinds = Vec::new();
        for (j, k) in m.chronic_kinds.into_iter().enumerate() {
            if let Some(k) = c.take(&format!("{}/{j}", at("chronic_kinds")), k) {
                chronic_kinds.push(k);
            }
        }
        c.opt(&at("disability_cert_no"), m.disability_cert_no);
        c.take(&at("labor"), m.labor);
        let employment_status = c.take(&at("employment/status"), m.employment.status);
        let months = c.take(&at("employment/months"), m.employment.months);
        let employment_months = c.range(&at("employment/months"), months, 0, 12);
        c.opt(&at("employment/place"), m.employment.place);
        let medical_insurance = c.take(&at("medical_insurance"), m.medical_insurance);
        let critical = c.take(
            &at("critical_illness_insurance"),
            m.critical_illness_insurance,
        );
        let doctor = c.take(&at("family_doctor_signed"), m.family_doctor_signed);
        c.opt(&at("chronic_card"), m.chronic_card);
        let pension = c.take(&at("pension_insurance"), m.pension_insurance);
        let in_dibao = c.take(&at("in_dibao"), m.in_dibao);
        let in_tekun = c.take(&at("in_tekun"), m.in_tekun);
        let shares_budget = c.take(&at("shares_budget"), m.shares_budget);
        let parsed = (|| {
            Some(VisitMember {
                member_no: member_no?,
                id_type: id_type?,
                id_number: id.as_ref().map(|p| {
                    number
                        .clone()
                        .unwrap_or_else(|| p.as_str().to_string())
                        .to_ascii_uppercase()
                }),
                relation: relation?,
                sex: id.as_ref().map(IdNumber::sex).or(claimed_sex),
                birth_date: id.as_ref().map(IdNumber::birth_date).or(claimed_birth),
                school_status: school_status?,
                exempt_cert_ref,
                health: health?,
                chronic_kinds,
                employment_months,
                employment_status: employment_status?,
                medical_insurance: medical_insurance?,
                critical_illness_insurance: critical?,
                family_doctor_signed: doctor?,
                pension: pension?,
                in_dibao: in_dibao?,
                in_tekun: in_tekun?,
                shares_budget: shares_budget?,
            })
        })();
        members.extend(parsed);
    }
    if count == 0 || count > super::household::MAX_MEMBERS || heads != 1 {
        c.add("/members", Code::MembersHead);
    }
    members
}

type MemberRef<'a> = dyn FnMut(&mut Check, String, Option<i32>) + 'a;

fn parse_income(c: &mut Check, i: IncomeIn, member_ref: &mut MemberRef<'_>) -> Income {
    let mut out = Income::default();
    for (k, w) in i.wage.into_iter().enumerate() {
        let at = |f: &str| format!("/income/wage/{k}/{f}");
        let no = c.take(&at("member_no"), w.member_no);
        member_ref(c, at("member_no"), no);
        let kind = c.take(&at("kind"), w.kind);
        let gross = c.fen(&at("gross_fen"), w.gross_fen);
        let cost = c.opt_fen(&at("cost_fen"), w.cost_fen).unwrap_or(0);
        if let (Some(no), Some(kind)) = (no, kind) {
            out.wage.push((no, kind, gross, cost));
        }
    }
    for (k, o) in i.operating.into_iter().enumerate() {
        let at = |f: &str| format!("/income/operating/{k}/{f}");
        let kind = c.take(&at("kind"), o.kind);
        c.opt(&at("item"), o.item);
        let gross = c.fen(&at("gross_fen"), o.gross_fen);
        out.operating.extend(kind.map(|kind| (kind, gross)));
    }
    for (k, o) in i.operating_cost.into_iter().enumerate() {
        c.opt(&format!("/income/operating_cost/{k}/item"), o.item);
        out.operating_cost.push(c.fen(
            &format!("/income/operating_cost/{k}/amount_fen"),
            o.amount_fen,
        ));
    }
    for (k, p) in i.property.into_iter().enumerate() {
        let kind = c.take(&format!("/income/property/{k}/kind"), p.kind);
        let amount = c.fen(&format!("/income/property/{k}/amount_fen"), p.amount_fen);
        out.property.extend(kind.map(|kind| (kind, amount)));
    }
    for (k, t) in i.transfer.into_iter().enumerate() {
        let at = |f: &str| format!("/income/transfer/{k}/{f}");
        let kind = c.take(&at("kind"), t.kind);
        let amount = c.fen(&at("amount_fen"), t.amount_fen);
        let agreement = c
            .opt(&at("agreement_ref"), t.agreement_ref)
            .is_some_and(|s| !s.trim().is_empty());
        out.transfer
            .extend(kind.map(|kind| (kind, amount, agreement)));
    }
    for (k, x) in i.excluded.into_iter().enumerate() {
        let at = |f: &str| format!("/income/excluded/{k}/{f}");
        c.take(&at("item"), x.item);
        let amount = c.fen(&at("amount_fen"), x.amount_fen);
        let reason = c.take(&at("reason"), x.reason);
        out.excluded.extend(reason.map(|r| (r, amount)));
    }
    if let Some(d) = i.declared {
        // Declared totals are sums of many lines: up to 100 lines' worth.
        for (name, v) in [
            ("gross_fen", d.gross_fen),
            ("per_capita_fen", d.per_capita_fen),
        ] {
            c.opt_fen(&format!("/income/declared/{name}"), v);
        }
        out.declared_net_fen = c.opt_fen("/income/declared/net_fen", d.net_fen);
        out.declared_transfer_total_fen =
            c.opt_fen("/income/declared/transfer_total_fen", d.transfer_total_fen);
        out.declared_includes_excluded = c
            .opt("/income/declared/includes_excluded", d.includes_excluded)
            .unwrap_or(false);
    }
    if let Some(s) = i.system_snapshot {
        c.opt_fen("/income/system_snapshot/net_fen", s.net_fen);
        c.opt_fen("/income/system_snapshot/per_capita_fen", s.per_capita_fen);
        c.opt("/income/system_snapshot/as_of", s.as_of);
        out.snapshot_member_count = c.opt("/income/system_snapshot/member_count", s.member_count);
    }
    if let Some(r) = i.rigid_expense {
        out.medical_oop_fen = c.opt_fen("/income/rigid_expense/medical_oop_fen", r.medical_oop_fen);
        c.opt_fen("/income/rigid_expense/education_fen", r.education_fen);
    }
    if let Some(l) = i.land_mu {
        let farmland = c.opt("/income/land_mu/farmland", l.farmland).unwrap_or(0.0);
        let irrigated = c
            .opt("/income/land_mu/irrigated", l.irrigated)
            .unwrap_or(0.0);
        for (field, v) in [("farmland", farmland), ("irrigated", irrigated)] {
            if !(0.0..=100_000.0).contains(&v) {
                c.add(format!("/income/land_mu/{field}"), Code::Range);
            }
        }
        out.farmland_mu = farmland;
    }
    out
}

fn parse_quality(c: &mut Check, q: QualityIn, visit_year: i32) -> Option<Quality> {
    let food_secure = c.take("/quality/food_secure", q.food_secure);
    let protein_anytime = c.take("/quality/protein_anytime", q.protein_anytime);
    let clothing_secure = c.take("/quality/clothing_secure", q.clothing_secure);
    let h = q.housing;
    let owns = c.take("/quality/housing/owns_or_lives_safe", h.owns_or_lives_safe);
    let structure = c.take("/quality/housing/structure", h.structure);
    let built = c.opt("/quality/housing/built_year", h.built_year);
    c.range("/quality/housing/built_year", built, 1900, visit_year);
    let grade = c.take("/quality/housing/grade", h.grade);
    if let Some(a) = h.appraisal {
        c.opt("/quality/housing/appraisal/by", a.by);
        c.opt("/quality/housing/appraisal/date", a.date);
        c.opt("/quality/housing/appraisal/ref", a.reference);
    }
    let renovation_completed = h.renovation.is_some_and(|r| {
        c.take("/quality/housing/renovation/kind", r.kind);
        c.opt(
            "/quality/housing/renovation/completed_date",
            r.completed_date,
        );
        c.opt("/quality/housing/renovation/completed", r.completed)
            .unwrap_or(false)
    });
    let mut visible_defects = Vec::new();
    for (i, d) in h.visible_defects.into_iter().enumerate() {
        visible_defects.extend(c.take(&format!("/quality/housing/visible_defects/{i}"), d));
    }
    let w = q.water;
    c.take("/quality/water/source", w.source);
    let piped = c.take("/quality/water/piped_to_home", w.piped_to_home);
    let quantity = c.take("/quality/water/quantity_lpd", w.quantity_lpd);
    let quantity_lpd = c.range("/quality/water/quantity_lpd", quantity, 0, 1000);
    let water_quality = c.take("/quality/water/quality", w.quality);
    let has_report = c
        .opt("/quality/water/quality_report_ref", w.quality_report_ref)
        .is_some_and(|s| !s.trim().is_empty());
    let mut distance = |name: &str, v: Option<L<i32>>, hi: i32| {
        let field = format!("/quality/water/{name}");
        let v = c.opt(&field, v);
        c.range(&field, v, 0, hi)
    };
    let fetch_round_trip_min = distance("fetch_round_trip_min", w.fetch_round_trip_min, 24 * 60);
    let fetch_horizontal_m = distance("fetch_horizontal_m", w.fetch_horizontal_m, 100_000);
    let fetch_vertical_m = distance("fetch_vertical_m", w.fetch_vertical_m, 10_000);
    let shortage_days = distance("shortage_days_last_year", w.shortage_days_last_year, 366);
    let (drought, crop_loss_pct) = match q.disaster {
        Some(d) => {
            let drought = c
                .take("/quality/disaster/drought", d.drought)
                .unwrap_or(false);
            let loss = c.take("/quality/disaster/crop_loss_pct", d.crop_loss_pct);
            (
                drought,
                c.range("/quality/disaster/crop_loss_pct", loss, 0, 100),
            )
        }
        None => (false, 0),
    };
    Some(Quality {
        food_secure: food_secure?,
        protein_anytime: protein_anytime?,
        clothing_secure: clothing_secure?,
        owns_or_lives_safe: owns?,
        structure: structure?,
        grade: grade?,
        renovation_completed,
        visible_defects,
        piped_to_home: piped?,
        quantity_lpd,
        water_quality: water_quality?,
        has_quality_report: has_report,
        fetch_round_trip_min,
        fetch_horizontal_m,
        fetch_vertical_m,
        shortage_days,
        drought,
        crop_loss_pct,
    })
}

fn parse_signatures(
    c: &mut Check,
    input: Vec<SignatureIn>,
    member_ref: &mut MemberRef<'_>,
) -> Vec<Signature> {
    let mut out = Vec::new();
    let mut inspector = false;
    let mut respondent = false;
    for (i, s) in input.into_iter().enumerate() {
        let at = |f: &str| format!("/signatures/{i}/{f}");
        let role = c.take(&at("role"), s.role);
        c.opt(&at("staff_id"), s.staff_id);
        let name = c.opt(&at("name"), s.name);
        let unit = c.opt(&at("unit"), s.unit);
        let no = c.opt(&at("member_no"), s.member_no);
        member_ref(c, at("member_no"), no);
        let method = c.opt(&at("method"), s.method);
        let reason = c
            .opt(&at("refusal_reason"), s.refusal_reason)
            .filter(|r| !r.trim().is_empty());
        c.opt(&at("signed_at"), s.signed_at);
        let image = s
            .image_sha256
            .and_then(|h| c.sha256(&at("image_sha256"), h));
        match role {
            Some(SignatureRole::Inspector) => inspector = true,
            Some(SignatureRole::Respondent) => {
                let signed = image.is_some() && method != Some(SignMethod::Refused);
                let refused = method == Some(SignMethod::Refused) && reason.is_some();
                respondent |= signed || refused;
            }
            _ => {}
        }
        if let Some(role) = role {
            out.push(Signature {
                role,
                name,
                unit,
                image_sha256: image,
            });
        }
    }
    if !inspector || !respondent {
        c.add("/signatures", Code::SignatureMissing);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-28T12:00:00+08:00").unwrap()
    }

    fn clean() -> serde_json::Value {
        let mut v: serde_json::Value =
            serde_json::from_str(include_str!("../../../api-spec/examples/visit-clean.json"))
                .unwrap();
        v["household_id"] = "6f1c1c1e-0000-4000-8000-000000000001".into();
        v
    }

    fn parse(v: serde_json::Value) -> Result<Visit, Vec<(String, &'static str)>> {
        let input: VisitInput = serde_json::from_value(v).expect("the shape deserialises");
        Visit::parse(input, now())
            .map_err(|e| e.into_iter().map(|f| (f.field, f.code.as_str())).collect())
    }

    #[test]
    fn yes_no_answers_only_the_helper_question_and_the_scale_the_others() {
        use AnswerCode::{KnowHelper, SatTeam};
        assert_eq!(
            AnswerValue::parse_for(KnowHelper, "no"),
            Some(AnswerValue::No)
        );
        assert_eq!(AnswerValue::parse_for(KnowHelper, "satisfied"), None);
        assert_eq!(
            AnswerValue::parse_for(SatTeam, "very_dissatisfied"),
            Some(AnswerValue::VeryDissatisfied)
        );
        assert_eq!(AnswerValue::parse_for(SatTeam, "yes"), None);
        assert_eq!(AnswerValue::parse_for(SatTeam, "happy"), None);
    }

    #[test]
    fn the_clean_example_parses() {
        let v = parse(clean()).expect("clean");
        assert_eq!(v.members.len(), 3);
        assert_eq!(
            v.reference_date,
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(
            v.income.wage,
            vec![(3, WageKind::Migrant, 3_600_000, 1_000_000)]
        );
        assert_eq!(v.level, VisitLevel::VillageSelf);
    }

    #[test]
    fn a_gcj02_position_is_stored_as_wgs84() {
        let wgs = (42.3853, 122.5399);
        let gcj = super::super::geo::wgs84_to_gcj02(wgs.0, wgs.1);
        let mut v = clean();
        v["geo"]["lat"] = gcj.0.into();
        v["geo"]["lon"] = gcj.1.into();
        v["geo"]["datum"] = "GCJ02".into();
        let g = parse(v).expect("valid").geo.expect("has a position");
        assert!(
            super::super::geo::distance_m((g.lat, g.lon), wgs) < 1.0,
            "{g:?}"
        );
    }

    #[test]
    fn bad_leaves_are_all_reported_together() {
        let mut v = clean();
        v["level"] = "street_check".into();
        v["members"][0]["health"] = 3.into();
        v["quality"]["water"]["quality"] = "murky".into();
        v["revisit"]["answers"][0]["value"] = "happy".into();
        let got = parse(v).unwrap_err();
        assert_eq!(
            got,
            vec![
                ("/level".into(), "schema.invalid"),
                ("/members/0/health".into(), "schema.invalid"),
                ("/quality/water/quality".into(), "schema.invalid"),
                ("/revisit/answers/0/value".into(), "schema.invalid"),
            ]
        );
    }

    #[test]
    fn every_hard_error_code_with_its_pointer() {
        let cases: Vec<(Box<dyn Fn(&mut serde_json::Value)>, &str, &str)> = vec![
            (
                Box::new(|v| v["members"][0]["id_number"] = "210922196805120118".into()),
                "/members/0/id_number",
                "id_number.checksum",
            ),
            (
                Box::new(|v| v["members"][1]["id_number"] = "21092219700308022".into()),
                "/members/1/id_number",
                "id_number.format",
            ),
            (
                Box::new(|v| v["members"][1]["sex"] = "M".into()),
                "/members/1/sex",
                "id_number.mismatch",
            ),
            (
                Box::new(|v| {
                    v["members"][2]["id_type"] = "disability_cert".into();
                    v["members"][2]["id_number"] = "a中中中中中中1".into(); // 20 bytes, no char boundary at 18
                }),
                "/members/2/id_number",
                "id_number.format",
            ),
            (
                Box::new(|v| {
                    v["members"][2]["id_number"] = "210922196805120119".into();
                    v["members"][2]["birth_date"] = "1968-05-12".into();
                }),
                "/members/2/id_number",
                "id_number.duplicate",
            ),
            (
                Box::new(|v| v["members"][1]["relation"] = "head".into()),
                "/members",
                "members.head",
            ),
            (
                Box::new(|v| v["income"]["wage"][0]["member_no"] = 9.into()),
                "/income/wage/0/member_no",
                "members.ref",
            ),
            (
                Box::new(|v| v["income"]["operating"][0]["gross_fen"] = (-1).into()),
                "/income/operating/0/gross_fen",
                "money.negative",
            ),
            (
                Box::new(|v| v["income"]["property"][0]["amount_fen"] = 1_000_000_001i64.into()),
                "/income/property/0/amount_fen",
                "money.too_large",
            ),
            (
                Box::new(|v| v["quality"]["disaster"]["crop_loss_pct"] = 101.into()),
                "/quality/disaster/crop_loss_pct",
                "range",
            ),
            (
                Box::new(|v| v["quality"]["water"]["quantity_lpd"] = 1001.into()),
                "/quality/water/quantity_lpd",
                "range",
            ),
            (
                Box::new(|v| v["quality"]["water"]["shortage_days_last_year"] = 367.into()),
                "/quality/water/shortage_days_last_year",
                "range",
            ),
            (
                Box::new(|v| v["quality"]["housing"]["built_year"] = 1899.into()),
                "/quality/housing/built_year",
                "range",
            ),
            (
                Box::new(|v| v["geo"]["lat"] = 60.0.into()),
                "/geo/lat",
                "range",
            ),
            (
                Box::new(|v| v["timing"]["ended_at"] = "2026-11-20T08:59:00+08:00".into()),
                "/timing/ended_at",
                "timing.order",
            ),
            (
                Box::new(|v| v["timing"]["ended_at"] = "2026-11-28T12:11:00+08:00".into()),
                "/timing/ended_at",
                "timing.order",
            ),
            (
                Box::new(|v| {
                    v["signatures"].as_array_mut().unwrap().remove(0);
                }),
                "/signatures",
                "signature.missing",
            ),
            (
                Box::new(|v| v["household"]["other_causes"] = serde_json::json!(["illness"])),
                "/household/other_causes",
                "causes.too_many",
            ),
            (
                Box::new(|v| {
                    v["household"]["other_causes"] =
                        serde_json::json!(["disaster", "lack_funds", "lack_labor"])
                }),
                "/household/other_causes",
                "causes.too_many",
            ),
            (
                Box::new(|v| v["schema_version"] = "sancha.visit.v2".into()),
                "/schema_version",
                "schema.invalid",
            ),
        ];
        for (mutate, field, code) in cases {
            let mut v = clean();
            mutate(&mut v);
            assert_eq!(
                parse(v).unwrap_err(),
                vec![(field.to_string(), code)],
                "{field} {code}"
            );
        }
    }

    #[test]
    fn a_respondent_may_refuse_with_a_reason_only() {
        let mut v = clean();
        v["signatures"][2]["method"] = "refused".into();
        v["signatures"][2]["image_sha256"] = serde_json::Value::Null;
        assert_eq!(
            parse(v.clone()).unwrap_err(),
            vec![("/signatures".into(), "signature.missing")]
        );
        v["signatures"][2]["refusal_reason"] = "不识字，拒绝签字".into();
        assert!(parse(v).is_ok());
    }

    #[test]
    fn ten_minutes_of_clock_skew_are_tolerated() {
        let mut v = clean();
        v["timing"]["started_at"] = "2026-11-28T11:30:00+08:00".into();
        v["timing"]["ended_at"] = "2026-11-28T12:09:59+08:00".into();
        assert!(parse(v).is_ok());
    }

    /// Every leaf of a JSON document, as a JSON Pointer.
    fn leaves(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => m
                .iter()
                .for_each(|(k, x)| leaves(x, format!("{at}/{k}"), out)),
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| leaves(x, format!("{at}/{i}"), out)),
            _ => out.push(at),
        }
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            ".{0,24}".prop_map(serde_json::Value::from),
            Just(serde_json::json!([])),
            Just(serde_json::json!({})),
        ]
    }

    proptest::proptest! {
        /// Any value at any place of the clean visit, several at once, is
        /// either a visit the checklist evaluates or a list of field errors:
        /// never a panic.
        #[test]
        fn parsing_never_panics(changes in proptest::collection::vec((0usize..10_000, any_json()), 1..6)) {
            let mut v = clean();
            let mut paths = Vec::new();
            leaves(&v, String::new(), &mut paths);
            for (pick, value) in changes {
                if let Some(slot) = v.pointer_mut(&paths[pick % paths.len()]) {
                    *slot = value;
                }
            }
            if let Ok(input) = serde_json::from_value::<VisitInput>(v) {
                match Visit::parse(input, now()) {
                    // What parses, the checklist evaluates without panicking.
                    Ok(visit) => {
                        let cfg = crate::checklist::RuleConfig::default();
                        crate::checklist::evaluate(&visit, &cfg, &crate::checklist::HouseholdContext::default());
                    }
                    Err(errors) => proptest::prop_assert!(errors.iter().all(|e| e.field.starts_with('/'))),
                }
            }
        }
    }
}
