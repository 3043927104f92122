//! Deterministic synthetic cards for tests, demos and the benchmark (no real people).

use crate::card::{Card, Checked, Helper, Income, Location, Member, Policy, QualityCheck};

/// Households in the benchmark city.
pub const CITY_HOUSEHOLDS: usize = 44_196;
/// Villages in the benchmark city.
pub const CITY_VILLAGES: usize = 619;

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂玉萍毅浩宇轩涵欣怡梓睿博文思雨佳琪晨阳志国建华淑珍凤海燕春梅凯鹏飞丹玲";
const COUNTIES: [&str; 7] = [
    "海州区",
    "新邱区",
    "太平区",
    "清河门区",
    "细河区",
    "阜新蒙古族自治县",
    "彰武县",
];
const TOWNS: [&str; 10] = [
    "彰武镇",
    "哈尔套镇",
    "五峰镇",
    "冯家镇",
    "后新秋镇",
    "东六家子镇",
    "两家子乡",
    "大四家子镇",
    "四合城镇",
    "苇子沟乡",
];
const VILLAGES: [&str; 12] = [
    "前进村",
    "新华村",
    "东风村",
    "红旗村",
    "胜利村",
    "太平村",
    "兴隆村",
    "长兴村",
    "双庙村",
    "三家子村",
    "四合村",
    "五台子村",
];
const GROUPS: [&str; 6] = ["一组", "二组", "三组", "四组", "五组", ""];
const RELATIONS: [&str; 8] = [
    "配偶", "之子", "之女", "儿媳", "之孙", "孙女", "之父", "之母",
];
const STATUS: [&str; 5] = [
    "已脱贫（2019年）",
    "已脱贫（2020年）",
    "已脱贫（2018年）",
    "监测户",
    "未脱贫",
];
const CAUSES: [&str; 7] = ["因病", "因残", "因学", "缺劳力", "缺技术", "缺资金", "因灾"];
const UNITS: [&str; 8] = [
    "彰武县农业农村局",
    "阜新市人力资源和社会保障局",
    "哈尔套镇人民政府",
    "彰武县教育局",
    "阜新市卫生健康委员会",
    "彰武县住房和城乡建设局",
    "国网阜新供电公司",
    "彰武县乡村振兴服务中心",
];
const POLICIES: [(&str, &str, &str); 10] = [
    ("产业帮扶", "肉牛养殖入股分红", "600.00元"),
    ("社会保障", "农村低保", "3,960.00元"),
    ("医疗保障", "城乡居民医保个人缴费资助", "380.00元"),
    ("教育资助", "义务教育阶段生活补助", "1,000.00元"),
    ("住房安全", "危房改造补助", "20,000.00元"),
    ("就业帮扶", "公益岗位工资", "6,000.00元"),
    ("产业帮扶", "光伏收益分配", "1,200.00元"),
    ("社会保障", "残疾人两项补贴", "1,680.00元"),
    ("金融帮扶", "小额信贷贴息", "450.00元"),
    ("医疗保障", "家庭医生签约服务", ""),
];
const QUALITY: [&str; 6] = ["吃", "穿", "上学", "看病", "住房", "饮水"];
const LEVELS: [&str; 4] = ["村自查", "乡镇互检", "县区交叉互检", "市级督导"];
const TOKEN: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789-_";
const CODE: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len() - 1)]
    }
    fn char_of(&mut self, s: &str) -> char {
        let n = s.chars().count();
        s.chars().nth(self.range(0, n - 1)).unwrap_or('王')
    }
    fn name(&mut self, surname: Option<char>) -> String {
        let mut s = String::new();
        s.push(surname.unwrap_or_else(|| self.char_of(SURNAMES)));
        for _ in 0..self.range(1, 2) {
            s.push(self.char_of(GIVEN));
        }
        s
    }
    fn chars(&mut self, set: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| set[self.range(0, set.len() - 1)] as char)
            .collect()
    }
}

/// The village location for village number `v`.
pub fn location(v: usize) -> Location {
    Location {
        city: "阜新市".into(),
        county: COUNTIES[v % COUNTIES.len()].into(),
        town: TOWNS[(v / 7) % TOWNS.len()].into(),
        village: VILLAGES[(v / 3) % VILLAGES.len()].into(),
        group: GROUPS[v % GROUPS.len()].into(),
    }
}

/// Household `h` of village `v`, deterministic.
pub fn card(v: usize, h: usize) -> Card {
    let mut r = Rng::new(((v as u64) << 20) ^ h as u64 ^ 0x5A17);
    let head = r.name(None);
    let surname = head.chars().next();
    let size = r.range(1, 12);
    let mut members = vec![Member {
        name: head.clone(),
        relation: "户主".into(),
        age: Some(r.range(35, 85) as u32),
    }];
    for _ in 1..size {
        let rel = r.pick(&RELATIONS);
        let name = if rel == "配偶" || rel == "儿媳" {
            r.name(None)
        } else {
            r.name(surname)
        };
        let age = (r.range(0, 30) != 0).then(|| r.range(1, 90) as u32);
        members.push(Member {
            name,
            relation: rel.into(),
            age,
        });
    }
    let helpers = (0..r.range(1, 3))
        .map(|_| Helper {
            name: r.name(None),
            unit: r.pick(&UNITS).into(),
            phone: format!("0418-{:07}", r.range(2_000_000, 8_999_999)),
        })
        .collect();
    let mut policies: Vec<Policy> = Vec::new();
    for _ in 0..r.range(1, 6) {
        let (c, i, a) = POLICIES[r.range(0, POLICIES.len() - 1)];
        if !policies.iter().any(|p| p.item == i) {
            policies.push(Policy {
                category: c.into(),
                item: i.into(),
                amount: a.into(),
            });
        }
    }
    let income = (r.range(0, 9) != 0).then(|| {
        let fen = r.range(300_000, 2_500_000);
        Income {
            year: "2026年".into(),
            per_capita: format!(
                "{},{:03}.{:02}元/人",
                fen / 100_000,
                (fen / 100) % 1000,
                fen % 100
            ),
            line: "5,000元/人".into(),
            above_line: fen >= 500_000,
            note: "不含低保金以外的一次性补助、专项资金".into(),
        }
    });
    let quality = QUALITY
        .iter()
        .map(|q| QualityCheck {
            label: (*q).into(),
            ok: r.range(0, 24) != 0,
        })
        .collect();
    let checked = (r.range(0, 7) != 0).then(|| Checked {
        inspector: format!(
            "{}（{}）",
            r.name(None),
            TOWNS[(v / 7) % TOWNS.len()]
                .replace('镇', "镇人民政府")
                .replace('乡', "乡人民政府")
        ),
        level: r.pick(&LEVELS).into(),
        date: format!("2026-{:02}-{:02}", r.range(9, 11), r.range(1, 28)),
    });
    Card {
        location: location(v),
        serial: format!("2109{:04}{:04}-{:04}", 2200 + v % 100, v, h + 1),
        version: r.range(1, 3) as u32,
        head_name: head,
        household_size: size as u32,
        status: r.pick(&STATUS).into(),
        main_cause: r.pick(&CAUSES).into(),
        members,
        helpers,
        policies,
        income,
        quality,
        checked,
        qr_url: format!("https://sancha.fuxin.example.cn/c/{}", r.chars(TOKEN, 22)),
        check_code: r.chars(CODE, 6),
        complaint_line: "如有问题请拨打监督电话 12317".into(),
    }
}

/// `n` households of village `v`.
pub fn village(v: usize, n: usize) -> Vec<Card> {
    (0..n).map(|h| card(v, h)).collect()
}

/// Household counts of the benchmark city's villages: `CITY_VILLAGES` villages of
/// 41–101 households, `CITY_HOUSEHOLDS` in all.
pub fn city_sizes() -> Vec<usize> {
    let base = CITY_HOUSEHOLDS / CITY_VILLAGES;
    let rem = CITY_HOUSEHOLDS % CITY_VILLAGES;
    let mut sizes: Vec<usize> = (0..CITY_VILLAGES)
        .map(|i| base + usize::from(i < rem))
        .collect();
    let mut r = Rng::new(619);
    for i in 0..CITY_VILLAGES / 2 {
        let d = r.range(0, 30);
        sizes[2 * i] += d;
        sizes[2 * i + 1] -= d;
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_city_has_the_benchmark_size_and_is_deterministic() {
        let sizes = city_sizes();
        assert_eq!(sizes.len(), CITY_VILLAGES);
        assert_eq!(sizes.iter().sum::<usize>(), CITY_HOUSEHOLDS);
        assert_eq!(card(3, 7), card(3, 7));
        assert_ne!(card(3, 7).qr_url, card(3, 8).qr_url);
    }
}
