//! The one error type of the API, the registry of stable machine codes, and
//! their RFC 9457 `application/problem+json` rendering (zh-CN by default,
//! English on `Accept-Language: en`).
//!
//! Messages are fixed per code and never echo input: a rejected ID number or
//! name must not come back in an error body or a log line.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Message language of a problem body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `en…` first in `Accept-Language` selects English; anything else is zh-CN.
    pub fn from_accept_language(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.trim_start().to_ascii_lowercase().starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// The language a handler answers in, from `Accept-Language`.
impl actix_web::FromRequest for Lang {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Lang, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let value = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        std::future::ready(Ok(Lang::from_accept_language(value)))
    }
}

macro_rules! codes {
    ($($variant:ident => $code:literal, $zh:literal, $en:literal;)*) => {
        /// Every stable machine code the API can answer with. Codes are API:
        /// never rename one; add a new one instead.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Code::$variant, Lang::Zh) => $zh, (Code::$variant, Lang::En) => $en,)*
                }
            }
        }
    };
}

codes! {
    // Field-level codes of DOMAIN.md's hard-error table.
    SchemaInvalid => "schema.invalid", "字段缺失、类型错误、未知字段或取值不在允许范围内", "missing field, wrong type, unknown field or value not allowed";
    IdNumberChecksum => "id_number.checksum", "身份证号校验码错误", "ID number check character is wrong";
    IdNumberFormat => "id_number.format", "身份证号格式错误（应为17位数字加1位数字或X，出生日期和省份代码须有效）", "ID number is not 17 digits plus a digit or X with a real birth date and province";
    IdNumberMismatch => "id_number.mismatch", "性别或出生日期与身份证号不一致", "sex or birth date disagrees with the ID number";
    IdNumberDuplicate => "id_number.duplicate", "同一户内身份证号重复", "the same ID number appears twice in the household";
    MembersHead => "members.head", "家庭成员须为1至30人，且恰有一名户主", "members must be 1 to 30 with exactly one head";
    MembersRef => "members.ref", "引用的成员编号不存在或重复", "referenced member number does not exist or repeats";
    MoneyNegative => "money.negative", "金额不能为负数", "amount is negative";
    MoneyTooLarge => "money.too_large", "单项金额超过1000万元", "amount exceeds 10,000,000 yuan";
    Range => "range", "数值超出允许范围", "value out of range";
    TimingOrder => "timing.order", "时间先后顺序错误或晚于服务器当前时间", "times are out of order or in the future";
    SignatureMissing => "signature.missing", "缺少检查人签字或受访人签字（拒签须说明理由）", "inspector or respondent signature (or refusal reason) missing";
    CausesTooMany => "causes.too_many", "其他致贫原因最多2项且不得与主要致贫原因重复", "at most 2 other causes, none repeating the main cause";
    RegionCodeInvalid => "region.code_invalid", "区划代码应为12位统计用区划代码或其有效前缀", "region code must be a 12-digit statistical division code or its significant prefix";
    RegionUnknown => "region.unknown", "区划不存在，请先登记该区划", "region does not exist; register it first";
    RegionNotVillage => "region.not_village", "须为村级区划代码", "must be a village-level code";
    UsernameInvalid => "user.username_invalid", "用户名须为3至64位字母、数字、点、下划线或连字符", "username must be 3-64 letters, digits, dots, underscores or hyphens";
    PasswordTooShort => "user.password_too_short", "密码至少8位", "password must be at least 8 characters";
    RoleInvalid => "user.role_invalid", "角色无效", "unknown role";
    CursorInvalid => "query.cursor_invalid", "分页游标无效", "invalid page cursor";
    QueryInvalid => "query.invalid", "查询参数无效", "invalid query parameter";
    NoteRequired => "finding.note_required", "须填写说明", "a note is required";
    ReplacesUnknown => "visit.replaces_unknown", "所更正的核查记录不存在或不属于该户", "the visit this one replaces does not exist or is of another household";
    ReportKind => "report.kind_invalid", "请选择问题类型", "choose what kind of problem it is";
    ReportText => "report.text_invalid", "请填写问题说明（不超过500字）", "describe the problem (at most 500 characters)";
    ReportContact => "report.contact_invalid", "联系电话格式不正确", "the contact phone number is not valid";
    ImportUnreadable => "import.unreadable", "文件无法读取，请上传UTF-8编码的CSV文件或XLSX工作簿", "the file cannot be read; upload a UTF-8 CSV file or an XLSX workbook";
    ReportFormExpired => "report.form_expired", "页面已过期，请重新扫码后再提交", "the page has expired; scan the card again and resubmit";

    // Problem-level codes.
    MalformedJson => "request.malformed_json", "请求体不是合法的JSON", "request body is not valid JSON";
    UnsupportedMediaType => "request.unsupported_media_type", "请求体须为JSON（Content-Type: application/json）", "request body must be JSON (Content-Type: application/json)";
    RequestTimeout => "request.timeout", "请求体传输超时，请在网络较好时重试", "the request body took too long to arrive; retry on a better connection";
    PayloadTooLarge => "request.too_large", "请求体过大", "request body is too large";
    ValidationFailed => "request.validation_failed", "提交的数据有误，请逐项修改后重新提交", "the submitted data has errors; fix each one and resubmit";
    Unauthenticated => "auth.unauthenticated", "未登录或登录已过期", "not signed in, or the session has expired";
    InvalidCredentials => "auth.invalid_credentials", "用户名或密码错误", "wrong username or password";
    InvalidRefreshToken => "auth.invalid_refresh_token", "刷新令牌无效、已使用或已过期，请重新登录", "refresh token is invalid, used or expired; sign in again";
    TooManyRequests => "request.too_many", "操作过于频繁，请稍后再试", "too many requests; try again later";
    TooManyAttempts => "auth.too_many_attempts", "登录失败次数过多，请15分钟后再试", "too many failed sign-ins; try again in 15 minutes";
    DeviceRevoked => "auth.device_revoked", "此手机已被停用，请联系村办公室；未发送的核查记录仍在本机，可导出备份", "this phone has been revoked; ask the village office (unsent visits stay on the phone and can be exported)";
    EnrolmentUnknown => "enrolment.unknown", "登记码无效，请向村办公室重新领取", "unknown enrolment code; ask the village office for a new one";
    EnrolmentUsed => "enrolment.used", "此登记码已用过（一码只能登记一部手机），请重新领取", "this enrolment code was used already (one code, one phone); ask for a new one";
    EnrolmentExpired => "enrolment.expired", "登记码已过期，请向村办公室重新领取", "this enrolment code has expired; ask the village office for a new one";
    EnrolmentTooManyAttempts => "enrolment.too_many_attempts", "登记失败次数过多，请15分钟后再试", "too many failed enrolments; try again in 15 minutes";
    DeviceNotEnrolled => "device.not_enrolled", "当前登录不是扫码登记的手机", "this session is not an enrolled phone's";
    RoleForbidden => "auth.role_forbidden", "当前角色无权执行此操作", "your role may not do this";
    OutOfScope => "auth.out_of_scope", "超出本账号的管辖范围", "outside your account's region scope";
    NotFound => "not_found", "资源不存在", "not found";
    LevelForbidden => "visit.level_forbidden", "当前角色不能提交该级别的核查", "your role may not submit a visit of this level";
    BlobHashMismatch => "blob.hash_mismatch", "图片内容的SHA-256与地址不符", "the body's SHA-256 is not the one in the path";
    BlobNotImage => "blob.not_image", "上传内容不是可识别的图片", "the body is not a readable image of its type";
    VisitIdConflict => "visit.id_conflict", "该核查编号已用于另一份不同的记录", "this visit id was already used for a different visit";
    FindingState => "finding.state", "该问题当前状态不允许此操作", "the finding's current status does not allow this move";
    VisitSuperseded => "visit.superseded", "该核查记录已被更正后的记录取代", "this visit has been superseded by a corrected one";
    HouseholdCodeTaken => "household.code_taken", "户编号已被其他户使用", "household code is already used by another household";
    UserUnknown => "user.unknown", "没有这个用户", "no such user";
    UserDisabled => "user.disabled", "该用户已停用", "this user is disabled";
    UsernamesInvalid => "enrolment.usernames_invalid", "请选择1至200个用户", "give 1 to 200 usernames";
    TextTooLong => "request.text_too_long", "内容过长", "text is too long";
    UsernameTaken => "user.username_taken", "用户名已存在", "username already exists";
    SelfDisable => "user.cannot_disable_self", "不能停用自己的账号", "you cannot disable your own account";
    Conflict => "conflict", "与现有数据冲突", "conflicts with existing data";
    VersionMismatch => "precondition.version_mismatch", "数据已被他人修改，请重新获取后再提交", "the record has changed; fetch it again and resubmit";
    VersionRequired => "precondition.if_match_required", "修改须带 If-Match 版本号", "an If-Match version is required";
    MethodNotAllowed => "method_not_allowed", "不支持该请求方法", "method not allowed";
    Internal => "internal", "服务器内部错误，请稍后重试", "internal server error; please retry later";
    Unavailable => "unavailable", "服务暂时不可用，请稍后重试", "service temporarily unavailable; please retry later";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One problem with one input field: `field` is a JSON Pointer into the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: Code,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: Code) -> Self {
        FieldError {
            field: field.into(),
            code,
        }
    }
}

/// The API's error: a status, a problem code, and any field errors.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub errors: Vec<FieldError>,
    /// A non-personal detail such as the parser's line and column.
    pub detail: Option<(String, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: Code) -> Self {
        ApiError {
            status,
            code,
            errors: Vec::new(),
            detail: None,
        }
    }

    /// 422 with every field error at once.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        ApiError {
            errors,
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Code::ValidationFailed)
        }
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, Code::Unauthenticated)
    }

    pub fn forbidden(code: Code) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, code)
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, Code::NotFound)
    }

    pub fn conflict(code: Code) -> Self {
        ApiError::new(StatusCode::CONFLICT, code)
    }

    /// An opaque 500. The cause is logged (it must not contain personal data:
    /// diesel and r2d2 errors carry SQL text and constraint names, not bound values).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal)
    }

    pub fn with_detail(mut self, zh: String, en: String) -> Self {
        self.detail = Some((zh, en));
        self
    }

    pub fn to_problem(&self, lang: Lang) -> serde_json::Value {
        let errors: Vec<_> = self
            .errors
            .iter()
            .map(|e| serde_json::json!({"field": e.field, "code": e.code, "message": e.code.message(lang)}))
            .collect();
        let mut body = serde_json::json!({
            "type": format!("urn:sancha:problem:{}", self.code.as_str()),
            "title": self.code.message(lang),
            "status": self.status.as_u16(),
            "code": self.code,
            "errors": errors,
        });
        if let Some((zh, en)) = &self.detail {
            body["detail"] = serde_json::Value::from(if lang == Lang::En {
                en.as_str()
            } else {
                zh.as_str()
            });
        }
        body
    }

    pub fn render(&self, lang: Lang) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type("application/problem+json");
        res.insert_header((
            header::CONTENT_LANGUAGE,
            if lang == Lang::En { "en" } else { "zh-CN" },
        ));
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            res.insert_header((header::RETRY_AFTER, "900"));
        }
        // A server that cannot serve right now: phones and load balancers retry soon.
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        res.body(self.to_problem(lang).to_string())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code.as_str())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// zh-CN; the language middleware re-renders in English when asked.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Zh)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::not_found(),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                ApiError::conflict(Code::Conflict)
            }
            // The database, not the request, is at fault, and only for now: a
            // connection lost or refused (SQLSTATE class 08, or 57P01 when the
            // server shut it), a standby that takes no writes (25006, during a
            // failover), a serialization conflict (40001). 503: retry soon.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection
                | DatabaseErrorKind::ReadOnlyTransaction
                | DatabaseErrorKind::SerializationFailure,
                _,
            )
            | Error::BrokenTransactionManager => crate::db::unavailable(e),
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_dotted_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert!(c
                .as_str()
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '.' || ch == '_'));
            assert!(
                !c.message(Lang::Zh).is_ascii(),
                "{} needs a Chinese message",
                c.as_str()
            );
        }
    }

    #[test]
    fn english_only_when_asked_first() {
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("zh-CN,en;q=0.5")), Lang::Zh);
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
    }

    #[test]
    fn problem_lists_every_field_error_with_pointer() {
        let e = ApiError::invalid(vec![
            FieldError::new("/members/0/id_number", Code::IdNumberChecksum),
            FieldError::new("/division_code", Code::RegionUnknown),
        ]);
        let p = e.to_problem(Lang::Zh);
        assert_eq!(p["status"], 422);
        assert_eq!(p["errors"][0]["field"], "/members/0/id_number");
        assert_eq!(p["errors"][1]["code"], "region.unknown");
        assert_eq!(p["errors"][0]["message"], "身份证号校验码错误");
    }
}
