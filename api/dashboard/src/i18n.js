// Words of the dashboard in English and Chinese, and the programme's
// vocabulary (priority areas, modes, statuses, kinds) from shared/domain.md.
// Names recorded in the ledger ({"en", "zh"}) are shown as the language
// setting asks: English, Chinese (English where no Chinese is recorded), or
// both.

const STORAGE_KEY = 'pl-dashboard-lang';
let lang = (typeof localStorage !== 'undefined' && localStorage.getItem(STORAGE_KEY)) || 'both';
const listeners = new Set();

export function language() {
  return lang;
}

export function setLanguage(value) {
  lang = value;
  try {
    localStorage.setItem(STORAGE_KEY, value);
  } catch {
    // private mode: the setting lasts for the page
  }
  document.documentElement.lang = value === 'zh' ? 'zh-Hans' : 'en';
  for (const fn of listeners) fn(value);
}

export function onLanguage(fn) {
  listeners.add(fn);
}

// [en, zh] pairs for the interface.
const UI = {
  overview: ['Overview', '概览'],
  live: ['Live', '实时'],
  compare: ['Compare', '对比'],
  projects: ['Projects', '项目'],
  partnerships: ['Partnerships', '伙伴关系'],
  governance: ['Governance', '治理'],
  connecting: ['connecting', '连接中'],
  reconnecting: ['reconnecting', '重新连接中'],
  connected: ['live', '实时'],
  events: ['events', '事件'],
  Events: ['Events', '事件'],
  members: ['Members', '成员国'],
  commitments: ['Commitments', '资金承诺'],
  committed: ['Committed', '承诺'],
  disbursed: ['Disbursed', '拨付'],
  returned: ['Returned', '退回'],
  spent: ['Spent', '支出'],
  latest: ['Latest decisions', '最新决定'],
  projectsByStatus: ['Projects by status', '项目状态'],
  fundingBySource: ['Funding by source', '按资金来源'],
  fundingByCountry: ['Funding by partner country', '按伙伴国'],
  fundingByArea: ['Funding by priority area', '按优先领域'],
  fundingByMode: ['Funding by mode of cooperation', '按合作方式'],
  fundingByYear: ['Funding over the years', '按年度'],
  fundingByCurrency: ['Funding by currency', '按币种'],
  projectsByArea: ['Projects by priority area', '按优先领域的项目'],
  projectsByMode: ['Projects by mode', '按合作方式的项目'],
  partnershipsByKind: ['Partnerships by kind', '伙伴关系类型'],
  partnershipsByCountry: ['Partnerships by country', '按国家的伙伴关系'],
  currency: ['Currency', '币种'],
  asOf: ['As of', '截至'],
  backToLive: ['Back to live', '回到实时'],
  timeTravel: ['Time travel', '时间回溯'],
  event: ['event', '事件'],
  date: ['Date', '日期'],
  search: ['Search', '搜索'],
  status: ['Status', '状态'],
  area: ['Priority area', '优先领域'],
  mode: ['Mode', '合作方式'],
  country: ['Country', '国家'],
  year: ['Year', '年份'],
  kind: ['Kind', '类型'],
  any: ['any', '全部'],
  more: ['More', '更多'],
  history: ['Decision history', '决定记录'],
  tranches: ['Funding and tranches', '资金与拨付'],
  verified: ['verified', '已验证'],
  notVerified: ['not verified', '未通过验证'],
  verifying: ['verifying…', '验证中…'],
  bodies: ['Bodies', '机构'],
  officers: ['Officers', '官员'],
  keys: ['Keys', '密钥'],
  policies: ['Policies in force', '现行授权规则'],
  from: ['From', '从'],
  to: ['To', '到'],
  show: ['Show', '显示'],
  added: ['added', '新增'],
  removed: ['removed', '删除'],
  changed: ['changed', '变更'],
  signers: ['Signers', '签署人'],
  policy: ['Policy', '授权规则'],
  issued: ['Issued', '决定时间'],
  recorded: ['Recorded', '记录时间'],
  body: ['Body', '机构'],
  type: ['Type', '类型'],
  activeN: ['active', '实施中'],
  completedN: ['completed', '已完成'],
  ofCommitted: ['of committed', '占承诺'],
  bodiesN: ['bodies', '个机构'],
  neverAdded: ['amounts are never added across currencies', '不同币种的金额不相加'],
  lastRecorded: ['last recorded', '最后记录'],
  programme: ['China-ASEAN Science and Technology Partnership Programme', '中国-东盟科技伙伴计划'],
};

export function t(key) {
  const pair = UI[key];
  if (!pair) return key;
  if (lang === 'zh') return pair[1];
  if (lang === 'en') return pair[0];
  return pair[0];
}

// A recorded name {en, zh} as text.
export function nameOf(text) {
  if (!text) return '';
  if (typeof text === 'string') return text;
  if (lang === 'en' || !text.zh) return text.en || '';
  if (lang === 'zh') return text.zh;
  return `${text.en} · ${text.zh}`;
}

// Event types: family and verb.
export const FAMILIES = {
  project: ['project', '项目'],
  funding: ['funding', '资金'],
  partnership: ['partnership', '伙伴关系'],
  governance: ['governance', '治理'],
};
export const VERBS = {
  proposed: ['proposed', '提出'], approved: ['approved', '批准'], rejected: ['rejected', '否决'],
  started: ['started', '启动'], milestone_reported: ['milestone reported', '报告里程碑'],
  amended: ['amended', '修改'], suspended: ['suspended', '暂停'], resumed: ['resumed', '恢复'],
  completed: ['completed', '完成'], terminated: ['terminated', '终止'], evaluated: ['evaluated', '评估'],
  committed: ['committed', '承诺'], disbursed: ['disbursed', '拨付'], reduced: ['reduced', '削减'],
  cancelled: ['cancelled', '取消'], returned: ['returned', '退回'],
  expenditure_reported: ['expenditure reported', '报告支出'], established: ['established', '建立'],
  renewed: ['renewed', '续期'], dissolved: ['dissolved', '解散'], genesis: ['genesis', '创立'],
  body_constituted: ['body constituted', '设立机构'], body_dissolved: ['body dissolved', '撤销机构'],
  member_admitted: ['member admitted', '接纳成员国'], officer_appointed: ['officer appointed', '任命官员'],
  officer_removed: ['officer removed', '免职'], key_registered: ['key registered', '登记密钥'],
  key_revoked: ['key revoked', '吊销密钥'], key_rotated: ['key rotated', '轮换密钥'],
  policy_adopted: ['policy adopted', '通过授权规则'], policy_repealed: ['policy repealed', '废止授权规则'],
  meeting_held: ['meeting held', '举行会议'], resolution_adopted: ['resolution adopted', '通过决议'],
};

export const PRIORITY_AREAS = {
  A1: ['National S&T development strategy', '国家科技发展战略'],
  A2: ['Major S&T programmes', '重大科技计划设计与管理'],
  A3: ['S&T plans for key industries', '重点产业科技规划'],
  A4: ['Science parks and incubators', '科技园区与孵化器'],
  A5: ['Innovation and entrepreneurship policy', '创新创业与产学研政策'],
  A6: ['S&T statistics and evaluation', '科技统计与评估'],
  B1: ['Agriculture', '农业'],
  B2: ['Food', '食品'],
  B3: ['Life sciences and health', '生命科学与健康'],
  B4: ['Disaster prevention and mitigation', '防灾减灾'],
  B5: ['Water resources', '水资源'],
  B6: ['Environment and energy', '环境与能源'],
  B7: ['Equipment manufacturing', '装备制造'],
  B8: ['Materials', '材料'],
  B9: ['Information technology', '信息技术'],
  B10: ['Space technology', '空间技术及应用'],
};

export const MODES = {
  M1: ['Policy consultation', '政策咨询'],
  M2: ['Technical services', '技术服务'],
  M3: ['Human resources development', '人力资源开发'],
  M4: ['Joint research', '联合研究'],
  M5: ['Joint laboratories', '联合实验室'],
  M6: ['Science parks and demonstration bases', '科技园区与示范基地'],
  M7: ['Technology transfer', '技术转移'],
};

export const PROJECT_STATUSES = {
  proposed: ['proposed', '已提出'],
  approved: ['approved', '已批准'],
  active: ['active', '实施中'],
  suspended: ['suspended', '暂停'],
  completed: ['completed', '已完成'],
  rejected: ['rejected', '未获批'],
  terminated: ['terminated', '已终止'],
};

export const SOURCES = {
  cn_government: ['CN government', '中国政府'],
  partner_government: ['Partner governments', '伙伴国政府'],
  private: ['Private', '私营资本'],
};

export const PARTNERSHIP_KINDS = {
  bilateral_mechanism: ['Bilateral mechanisms', '双边机制'],
  joint_laboratory: ['Joint laboratories', '联合实验室'],
  science_park: ['Science parks', '科技园区'],
  training_centre: ['Training centres', '培训中心'],
  technology_transfer_centre: ['Technology transfer centres', '技术转移中心'],
  forum: ['Forums', '论坛'],
};

export const BODY_KINDS = {
  joint_committee: ['Joint Committee', '联委会'],
  joint_conference: ['Joint Conference', '联席会'],
  secretariat: ['Secretariat', '秘书处'],
  working_group: ['Working group', '工作组'],
  bilateral_mechanism: ['Bilateral mechanism', '双边机制'],
};

export const ROLES = {
  co_chair_cn: ['Co-chair (China)', '中方联合主席'],
  co_chair_asean: ['Co-chair (ASEAN)', '东盟方联合主席'],
  chair: ['Chair', '主席'],
  vice_chair: ['Vice-chair', '副主席'],
  member: ['Member', '成员'],
  secretary_general: ['Secretary-General', '秘书长'],
  deputy: ['Deputy', '副秘书长'],
  lead: ['Lead', '组长'],
  co_chair: ['Co-chair', '联合主席'],
};

export const KEY_STATUSES = {
  active: ['active', '有效'],
  rotated: ['rotated', '已轮换'],
  revoked: ['revoked', '已吊销'],
};

export const COUNTRIES = {
  CN: ['China', '中国'],
  BN: ['Brunei', '文莱'],
  KH: ['Cambodia', '柬埔寨'],
  ID: ['Indonesia', '印度尼西亚'],
  LA: ['Lao PDR', '老挝'],
  MY: ['Malaysia', '马来西亚'],
  MM: ['Myanmar', '缅甸'],
  PH: ['Philippines', '菲律宾'],
  SG: ['Singapore', '新加坡'],
  TH: ['Thailand', '泰国'],
  VN: ['Viet Nam', '越南'],
  TL: ['Timor-Leste', '东帝汶'],
};

// A code's label from one of the tables above (the code itself if unknown).
export function label(table, code, {withCode = false} = {}) {
  const pair = table[code];
  if (!pair) return code ?? '—';
  const text = lang === 'zh' ? pair[1] : lang === 'en' ? pair[0] : pair[0];
  return withCode ? `${code} ${text}` : text;
}

// The bilingual tooltip text of a code.
export function labelBoth(table, code) {
  const pair = table[code];
  return pair ? `${code} ${pair[0]} · ${pair[1]}` : code;
}
