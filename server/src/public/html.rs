//! The QR page's HTML (maud: every interpolation is escaped). Chinese,
//! readable at 360 px, no script at all.

use maud::{html, Markup, DOCTYPE};

use crate::db::public::PublicView;

/// The kinds of problem a resident can report, with their labels.
pub const KINDS: [(&str, &str); 4] = [
    ("info_wrong", "卡上信息有误"),
    ("benefit_missing", "政策没有落实到户"),
    ("helper_unreachable", "帮扶责任人联系不上"),
    ("other", "其他问题"),
];

/// What the resident typed, kept when the form comes back with errors.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub kind: String,
    pub text: String,
    pub contact: String,
}

fn frame(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) }
                link rel="stylesheet" href="/static/page.css";
            }
            body {
                header { h1 { "三查一访 明白卡" } }
                main {
                    (body)
                    footer { "扶贫监督举报电话 12317" }
                }
            }
        }
    }
}

/// The household's public page.
pub fn household(
    v: &PublicView,
    token: &str,
    form_token: &str,
    values: &FormValues,
    errors: &[&str],
) -> Markup {
    let body = html! {
        p.place { (v.city) " " (v.county) " " (v.town) " " (v.village) }
        section {
            h2 { "本户信息" }
            dl {
                dt { "户主" } dd { (v.head_masked) }
                dt { "卡号" } dd { (v.serial) }
                dt { "卡片" } dd { "第" (v.card_version) "版 " span.ok { "本卡有效" } }
                dt { "校验码" } dd { span.code { (v.check_code) } }
            }
            p.note { "请核对校验码与墙上明白卡二维码下方的校验码一致。" }
        }
        section {
            h2 { "最近一次检查" }
            @match &v.last_check {
                Some(c) => dl {
                    dt { "日期" } dd { (c.date) }
                    dt { "级别" } dd { (c.level) }
                    dt { "检查人" } dd { (c.inspector) }
                },
                None => p { "尚未检查" },
            }
        }
        section {
            h2 { "帮扶责任人" }
            @if v.helpers.is_empty() {
                p { "暂无" }
            } @else {
                ul {
                    @for (name, unit, phone) in &v.helpers {
                        li { (name) "（" (unit) "） " a.tel href={ "tel:" (phone) } { (phone) } }
                    }
                }
            }
        }
        section {
            h2 { "享受的帮扶政策" }
            @if v.policy_categories.is_empty() {
                p { "暂无记录" }
            } @else {
                ul { @for c in &v.policy_categories { li { (c) } } }
            }
        }
        (report_form(token, form_token, values, errors))
    };
    frame("本户明白卡", body)
}

fn report_form(token: &str, form_token: &str, values: &FormValues, errors: &[&str]) -> Markup {
    html! {
        section #report {
            h2 { "反映问题" }
            @if !errors.is_empty() {
                ul.errors { @for e in errors { li { (e) } } }
            }
            form method="post" action={ "/c/" (token) "/report" } {
                input type="hidden" name="form_token" value=(form_token);
                label for="kind" { "问题类型" }
                select #kind name="kind" required {
                    @for (code, label) in KINDS {
                        option value=(code) selected[values.kind == code] { (label) }
                    }
                }
                label for="text" { "问题说明（500字以内）" }
                textarea #text name="text" maxlength="500" required { (values.text) }
                label for="contact" { "联系电话（选填）" }
                input #contact type="tel" name="contact" maxlength="20" value=(values.contact);
                p.note { "您的联系电话和反映内容只有工作人员可见。" }
                button type="submit" { "提交" }
            }
        }
    }
}

/// After a report: thanks, and the reference to quote.
pub fn thanks(reference: &str) -> Markup {
    frame(
        "已收到您的反映",
        html! {
            section {
                h2 { "已收到您的反映" }
                p { "受理编号：" span.code { (reference) } }
                p { "村委会将尽快核实处理，请保留受理编号以便查询。" }
            }
        },
    )
}

/// A card whose token was rotated: nothing of the household.
pub fn void() -> Markup {
    frame(
        "此卡已作废",
        html! { section { h2.void { "此卡已作废" } p { "此卡已作废，请以村里张贴的新卡为准。" } } },
    )
}

pub fn unknown() -> Markup {
    frame(
        "未找到此卡",
        html! { section { h2 { "未找到此卡" } p { "请确认扫描的是本户明白卡上的二维码。" } } },
    )
}

pub fn too_many() -> Markup {
    frame(
        "操作过于频繁",
        html! { section { h2 { "操作过于频繁" } p { "请稍后再试。" } } },
    )
}

pub fn failed() -> Markup {
    frame(
        "暂时无法访问",
        html! { section { h2 { "暂时无法访问" } p { "服务器暂时无法处理，请稍后再试。" } } },
    )
}
