//! What one card prints. The server decides every text; the renderer only lays it out.

use serde::{Deserialize, Serialize};

/// Everything one 明白卡 prints, already decided (texts, lists, the QR URL, the check code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// 市 县 乡(镇) 村 组.
    pub location: Location,
    /// e.g. "210922201203-0042": the household's code, printed as the card serial.
    pub serial: String,
    /// Card version; goes up when the public token is rotated (a reprint is needed).
    pub version: u32,
    /// Head of household (户主), printed in full on the card.
    pub head_name: String,
    /// 家庭人口.
    pub household_size: u32,
    /// e.g. "已脱贫（2019年）", "未脱贫", "监测户".
    pub status: String,
    /// Main poverty cause as a category, e.g. "因病".
    pub main_cause: String,
    /// Members: name, relation, age (never ID numbers).
    pub members: Vec<Member>,
    /// 帮扶责任人: name, unit, official phone.
    pub helpers: Vec<Helper>,
    /// Policies received with amounts.
    pub policies: Vec<Policy>,
    /// Income summary against the line; `None` when no visit has checked income yet.
    pub income: Option<Income>,
    /// ✓/✗ for 吃、穿、上学、看病、住房、饮水, in that order.
    pub quality: Vec<QualityCheck>,
    /// Who checked and when (谁检查); `None` before the first visit.
    pub checked: Option<Checked>,
    /// What the QR code encodes: `{SANCHA_PUBLIC_BASE_URL}/c/{public_token}` and nothing else.
    pub qr_url: String,
    /// Six characters printed under the QR code; the QR page shows the same code.
    pub check_code: String,
    /// The complaint line, e.g. "如有问题请拨打监督电话 12317".
    pub complaint_line: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub city: String,
    pub county: String,
    pub town: String,
    pub village: String,
    /// 村民小组, e.g. "三组"; may be empty.
    pub group: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    /// e.g. "户主", "配偶", "之子".
    pub relation: String,
    /// Age in whole years; `None` when the birth date is unknown.
    pub age: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Helper {
    pub name: String,
    pub unit: String,
    /// The official phone, printed as given.
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Category, e.g. "产业帮扶".
    pub category: String,
    /// The item, e.g. "肉牛养殖入股分红".
    pub item: String,
    /// Amount already formatted, e.g. "600.00元"; empty when the policy has no amount.
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Income {
    /// e.g. "2026年".
    pub year: String,
    /// Per-capita net income, formatted, e.g. "11,466.67元/人".
    pub per_capita: String,
    /// The line it is measured against, e.g. "5,000元/人".
    pub line: String,
    /// Whether the household is at or above the line.
    pub above_line: bool,
    /// What is not counted, e.g. "不含低保金以外的一次性补助、专项资金".
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityCheck {
    /// "吃", "穿", "上学", "看病", "住房", "饮水".
    pub label: String,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    /// The inspector's name and unit, e.g. "赵丽（丰田乡人民政府）".
    pub inspector: String,
    /// e.g. "村自查".
    pub level: String,
    /// e.g. "2026-11-20".
    pub date: String,
}
