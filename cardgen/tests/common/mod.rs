//! Shared by the cardgen integration tests: hard cards and the geometry checker.
#![allow(dead_code)]

use sancha_cardgen::layout::{Rect, MIN_PT};
use sancha_cardgen::{
    sample, Card, CardLayout, Checked, ElementKind, Helper, Income, Member, Policy, QualityCheck,
};

/// Cards that push every box: longest names, most members, most policies, six helpers
/// with long units, rare characters, all ✗, nothing checked yet.
pub fn hard_cards() -> Vec<(&'static str, Card)> {
    let base = sample::card(1, 1);
    let mut out = Vec::new();

    let mut c = base.clone();
    c.location.city = "阜新市".into();
    c.location.county = "阜新蒙古族自治县".into();
    c.location.town = "大固本镇（原东梁镇、佛寺镇合并）".into();
    c.location.village = "新民屯村民委员会第二经济合作社".into();
    c.location.group = "十二组".into();
    c.head_name = "欧阳诸葛慕容司马上官皇甫尉迟长孙".into();
    c.status = "已脱贫（2019年）但纳入防返贫监测对象（突发严重困难户）".into();
    c.main_cause = "因病因残因学缺劳力缺技术".into();
    c.serial = "210922201203-0042-210922201203-0042-XYZ".into();
    c.complaint_line =
        "如有问题请拨打监督电话 12317 或阜新市乡村振兴局监督电话 0418-2831234（工作日 8:30-17:00）"
            .into();
    c.check_code = "WWWWWW".into();
    out.push(("longest names", c));

    let mut c = base.clone();
    c.members = (0..14)
        .map(|i| Member {
            name: format!("慕容雪{}", ["梅", "兰", "竹", "菊"][i % 4]),
            relation: "之孙女".into(),
            age: Some(100 + i as u32),
        })
        .collect();
    c.household_size = 14;
    out.push(("14 members", c));

    let mut c = base.clone();
    c.policies = (0..12)
        .map(|i| Policy {
            category: "产业帮扶".into(),
            item: format!("第{i}期肉牛养殖合作社入股分红及庭院经济奖补资金"),
            amount: "123,456.78元".into(),
        })
        .collect();
    out.push(("12 policies", c));

    let mut c = base.clone();
    c.helpers = (0..6)
        .map(|i| Helper {
            name: format!("司马相如{i}"),
            unit: "中共阜新蒙古族自治县委员会组织部驻大固本镇新民屯村第一书记工作队".into(),
            phone: "0418-88888888 转 8001".into(),
        })
        .collect();
    out.push(("six helpers with long units", c));

    let mut c = base.clone();
    c.head_name = "刘䶮".into();
    c.members[0].name = "刘䶮".into();
    c.helpers[0].name = "吉𠮷".into();
    out.push(("rare characters", c));

    let mut c = base.clone();
    c.quality = ["吃", "穿", "上学", "看病", "住房", "饮水"]
        .iter()
        .map(|l| QualityCheck {
            label: (*l).into(),
            ok: false,
        })
        .collect();
    c.income = Some(Income {
        year: "2026年".into(),
        per_capita: "1,234.56元/人".into(),
        line: "5,000元/人".into(),
        above_line: false,
        note: "不含低保金以外的一次性补助、专项资金、临时救助金、慰问金、残疾人两项补贴及其他政策性转移性收入".into(),
    });
    out.push(("all ✗, below the line", c));

    let mut c = base.clone();
    c.income = None;
    c.checked = None;
    c.quality = Vec::new();
    c.members = Vec::new();
    c.helpers = Vec::new();
    c.policies = Vec::new();
    out.push(("nothing checked yet, empty lists", c));

    let mut c = base.clone();
    c.members = (0..14)
        .map(|i| Member {
            name: format!("成员{i}"),
            relation: "之子".into(),
            age: None,
        })
        .collect();
    c.policies = out[2].1.policies.clone();
    c.helpers = out[3].1.helpers.clone();
    c.checked = Some(Checked {
        inspector: "欧阳诸葛（中共阜新蒙古族自治县委员会组织部驻大固本镇新民屯村第一书记工作队）"
            .into(),
        level: "县区交叉互检".into(),
        date: "2026-11-20".into(),
    });
    out.push(("everything at once", c));
    out
}

/// Everything wrong with a layout's geometry: content outside the printable area, text
/// wider or taller than its box, text below the minimum size, content boxes that
/// overlap (as boxes and as ink).
pub fn geometry_problems(l: &CardLayout) -> Vec<String> {
    let eps = 0.01;
    let scale = l.width / sancha_cardgen::layout::A6_W;
    let card = Rect::new(0.0, 0.0, l.width, l.height);
    let safe = l.safe_area();
    let mut problems = Vec::new();
    for e in &l.elements {
        if !card.contains(&e.rect, eps) {
            problems.push(format!("{:?} {:?} leaves the card", e.role, e.rect));
        }
        if e.is_content() && !safe.contains(&e.ink(), eps) {
            problems.push(format!(
                "{:?} {:?} {:?} leaves the printable area",
                e.role,
                e.text(),
                e.ink()
            ));
        }
        if let ElementKind::Text(t) = &e.kind {
            if !e.rect.contains(&e.ink(), eps) {
                problems.push(format!(
                    "{:?} {:?} spills out of its box ({:?} in {:?})",
                    e.role,
                    t.text,
                    e.ink(),
                    e.rect
                ));
            }
            if t.size_pt < MIN_PT * scale - eps && !t.text.is_empty() {
                problems.push(format!(
                    "{:?} {:?} at {} pt is below the minimum",
                    e.role, t.text, t.size_pt
                ));
            }
        }
    }
    let content: Vec<_> = l.elements.iter().filter(|e| e.is_content()).collect();
    for (i, a) in content.iter().enumerate() {
        for b in &content[i + 1..] {
            if a.rect.overlaps(&b.rect, eps) || a.ink().overlaps(&b.ink(), eps) {
                problems.push(format!(
                    "{:?} {:?} overlaps {:?} {:?}",
                    a.role,
                    a.text(),
                    b.role,
                    b.text()
                ));
            }
        }
    }
    problems
}
