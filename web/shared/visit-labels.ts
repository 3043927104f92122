// The Chinese names of the sections and fields of a sancha.visit.v1 document,
// in the order the phone form asks them; used to show a stored visit readably.
export const VISIT_SECTIONS: [key: string, zh: string][] = [
  ['household', '户基本情况'],
  ['members', '家庭成员'],
  ['policy', '查政策落实'],
  ['income', '查收入核实'],
  ['quality', '查脱贫质量'],
  ['revisit', '访满意度'],
  ['signatures', '签名'],
  ['geo', '定位'],
  ['timing', '入户时间'],
  ['photos', '照片'],
  ['card_scan', '扫描明白卡'],
]

export const VISIT_FIELDS: Record<string, string> = {
  division_code: '区划代码', group_name: '村民小组', registered_year: '识别年度', poverty_status: '脱贫状态',
  exit_year: '脱贫年度', attribute: '贫困户属性', main_cause: '主要致贫原因', other_causes: '其他致贫原因',
  registered_member_count: '登记人口', monitoring: '防返贫监测', is_monitored: '是否监测', type: '类型',
  member_no: '成员序号', name: '姓名', id_type: '证件类型', id_number: '证件号码', relation: '与户主关系', sex: '性别',
  birth_date: '出生日期', education: '文化程度', school_status: '在校情况', health: '健康状况', labor: '劳动能力',
  employment: '务工情况', status: '状态', months: '务工月数', place: '务工地点', medical_insurance: '基本医疗保险',
  critical_illness_insurance: '大病保险', family_doctor_signed: '家庭医生签约', pension_insurance: '养老保险',
  in_dibao: '享受低保', in_tekun: '特困供养', shares_budget: '共享收支', chronic_diseases: '慢性病',
  helpers: '帮扶责任人', unit: '单位', title: '职务', phone: '电话', known_by_household: '群众知晓',
  visits_last_12m: '近一年走访次数', benefits: '享受政策', category: '类别', item: '项目', amount_fen: '金额',
  period: '期间', earmarked: '专项用途', one_off: '一次性', verified_by: '核实方式', received_confirmed: '确认到位',
  wage: '工资性收入', kind: '类型', gross_fen: '收入', cost_fen: '成本', operating: '生产经营性收入',
  operating_cost: '生产经营支出', property: '财产性收入', transfer: '转移性收入', land_mu: '土地（亩）',
  farmland: '耕地', irrigated: '水浇地', declared: '申报数', system_snapshot: '系统数', rigid_expense: '刚性支出',
  food_secure: '不愁吃', protein_anytime: '随时吃肉蛋奶', clothing_secure: '不愁穿', housing: '住房安全',
  owns_or_lives_safe: '住房安全有保障', structure: '结构', built_year: '建成年份', grade: '鉴定等级',
  renovation: '危房改造', completed: '已完成', completed_date: '完成日期', visible_defects: '明显破损',
  water: '饮水安全', source: '水源', piped_to_home: '自来水入户', quantity_lpd: '人均日供水量（升）',
  quality: '水质', quality_report_ref: '水质检测报告', fetch_round_trip_min: '取水往返（分钟）',
  fetch_horizontal_m: '取水水平距离（米）', fetch_vertical_m: '取水垂直距离（米）',
  shortage_days_last_year: '上年缺水天数', disaster: '灾情', drought: '旱灾', crop_loss_pct: '减产比例（%）',
  respondent_member_no: '受访成员', answers: '回答', code: '问题', value: '回答内容', acknowledges_exit: '认可脱贫',
  complaint_text: '意见建议', role: '签名人', staff_id: '工号', signed_at: '签名时间', image_sha256: '签名图片',
  refused: '拒签', refusal_reason: '拒签原因', lat: '纬度', lon: '经度', datum: '坐标系', accuracy_m: '精度（米）',
  fix_at: '定位时间', provider: '定位方式', started_at: '开始', ended_at: '结束', sha256: '图片', taken_at: '拍摄时间',
  token: '卡片令牌', scanned_at: '扫描时间',
  agreement_ref: '赡养协议编号', app_version: '应用版本', appraisal: '住房鉴定', as_of: '截至', by: '鉴定单位',
  chronic_card: '慢性病卡', chronic_kinds: '慢性病种类', risk_types: '风险类型', computed_findings: '手机端预检问题',
  date: '日期', device_hash: '设备标识', disability_cert_no: '残疾证号', education_fen: '教育支出', ethnicity: '民族',
  excluded: '不计入收入的项目', exempt_cert_ref: '免于入学认定材料', includes_excluded: '含不计入项目',
  medical_oop_fen: '医疗自付支出', member_count: '人口数', method: '方式', net_fen: '纯收入', pending_reason: '待证明原因',
  per_capita_fen: '人均纯收入', reason: '原因', ref: '编号', school_name: '学校', submitted_at: '提交时间',
  transfer_total_fen: '转移性收入合计', upload_ref: '上传编号',
}

/** What one item of a list is called: 家庭成员 1, 工资性收入 2… */
export const VISIT_ITEMS: Record<string, string> = {
  members: '成员', helpers: '帮扶责任人', benefits: '政策', wage: '工资性收入', operating: '经营收入',
  operating_cost: '经营支出', property: '财产性收入', transfer: '转移性收入', excluded: '不计入项目', answers: '问题',
  signatures: '签名', photos: '照片',
}

/**
 * Which table of codes.json names a field's values: by the field's own key, or
 * by its container and key where one key means different things (`kind` of a
 * wage line, of a photo…).
 */
const VALUE_TABLES: Record<string, string> = {
  poverty_status: 'poverty_status', attribute: 'attribute', main_cause: 'cause', other_causes: 'cause',
  relation: 'relation', sex: 'sex', id_type: 'id_type', education: 'education', school_status: 'school_status',
  health: 'health', chronic_kinds: 'chronic_kind', labor: 'labor', 'employment/status': 'employment_status',
  'employment/place': 'place', medical_insurance: 'medical_insurance', pension_insurance: 'pension',
  category: 'benefit_category', verified_by: 'verified_by', 'wage/kind': 'wage_kind', 'operating/kind': 'operating_kind',
  'property/kind': 'property_kind', 'transfer/kind': 'transfer_kind', 'excluded/reason': 'excluded_reason',
  structure: 'structure', grade: 'grade', 'renovation/kind': 'renovation_kind', visible_defects: 'defect',
  'water/source': 'water_source', 'water/quality': 'water_quality', 'monitoring/type': 'monitor_type',
  'answers/code': 'answer_code', 'answers/value': 'answer_value', 'signatures/role': 'signature_role',
  'signatures/method': 'sign_method', 'photos/kind': 'photo_kind', provider: 'provider', datum: 'datum', level: 'visit_level',
}

/** The codes.json table for `key` inside `container`, if there is one. */
export const valueTable = (container: string, key: string): string | undefined =>
  VALUE_TABLES[`${container}/${key}`] ?? VALUE_TABLES[key]
