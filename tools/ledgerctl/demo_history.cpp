#include "demo_history.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <optional>
#include <queue>
#include <stdexcept>
#include <utility>

#include "crypto/hash.h"
#include "ledger/time.h"

namespace pl::ctl {
namespace {

using ledger::SignedDecision;
using ledger::Timestamp;
using ledger::Value;

// ---------------------------------------------------------------------------
// Randomness: splitmix64 seeds xoshiro256**; our own uniform integers, so the
// history is the same with every standard library.

std::uint64_t SplitMix(std::uint64_t* state) {
  std::uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A seed for one independent stream of the history.
std::uint64_t StreamSeed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index = 0) {
  std::uint64_t s = seed;
  std::uint64_t x = SplitMix(&s) ^ stream;
  x = SplitMix(&x) ^ index;
  return SplitMix(&x);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : s_) word = SplitMix(&seed);
  }
  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n), by rejection. REQUIRES: n > 0.
  std::uint64_t Below(std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
      const std::uint64_t r = Next();
      if (r >= threshold) return r % n;
    }
  }
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  std::int64_t Between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  int Index(std::size_t n) { return static_cast<int>(Below(n)); }
  // True with probability per_mille / 1000.
  bool PerMille(int per_mille) { return Below(1000) < static_cast<std::uint64_t>(per_mille); }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

// Streams of the history: each is independent of the others, so the project
// plans do not shift when the governance record changes and vice versa.
constexpr std::uint64_t kAgendaStream = 0x6167656e6461;  // "agenda"
constexpr std::uint64_t kProjectStream = 0x70726f6a;     // "proj"
constexpr std::uint64_t kEmitStream = 0x656d6974;        // "emit"

// ---------------------------------------------------------------------------
// Time.

constexpr std::int64_t kMinute = 60000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr Timestamp kNever = std::numeric_limits<Timestamp>::max();

// Days since 1970-01-01 of a YYYY-MM-DD date.
std::int64_t DayOf(std::string_view date) {
  auto t = ledger::ParseTimestamp(std::string(date) + "T00:00:00Z");
  if (!t.ok()) throw std::logic_error("demo: bad date " + std::string(date));
  return *t / kDay;
}
std::string DateText(std::int64_t day) { return ledger::FormatTimestamp(day * kDay).substr(0, 10); }
std::string DateOf(Timestamp t) { return DateText(t / kDay); }
// At an hour and minute (UTC) of a day.
Timestamp At(std::int64_t day, std::int64_t hour, std::int64_t minute = 0) {
  return day * kDay + hour * kHour + minute * kMinute;
}
Timestamp At(std::string_view date, std::int64_t hour, std::int64_t minute = 0) {
  return At(DayOf(date), hour, minute);
}
int YearOf(Timestamp t) {
  static const std::vector<Timestamp> starts = [] {
    std::vector<Timestamp> v;
    for (int y = 2000; y <= 2100; ++y) v.push_back(DayOf(std::to_string(y) + "-01-01") * kDay);
    return v;
  }();
  return 1999 +
         static_cast<int>(std::upper_bound(starts.begin(), starts.end(), t) - starts.begin());
}
// The same day `years` later (29 February becomes 28 February).
std::int64_t AddYears(std::int64_t day, int years) {
  std::string text = DateText(day);
  if (text.substr(5) == "02-29") text.replace(8, 2, "28");
  return DayOf(std::to_string(std::stoi(text.substr(0, 4)) + years) + text.substr(4));
}

// The history runs from the genesis to 20 November 2026, so that live
// decisions signed for the demo come after everything in it.
const Timestamp kGenesisAt = At("2012-03-01", 2);
const Timestamp kHorizon = At("2026-11-21", 0);
// Projects are proposed from April 2012 to June 2026.
const Timestamp kProposalsFrom = At("2012-04-02", 0);
const Timestamp kProposalsTo = At("2026-06-30", 0);
// Timor-Leste is admitted at the Joint Committee's meeting of 27 October
// 2025; projects proposed from November 2025 may have Timorese partners.
const Timestamp kTimorLesteAdmittedAt = At("2025-10-27", 3);
const Timestamp kTimorLesteEligibleFrom = At("2025-11-01", 0);

// ---------------------------------------------------------------------------
// The programme's fixed vocabulary.

struct Name {
  const char* en;
  const char* zh;  // "" when there is no natural Chinese name
};

Value TextValue(const Name& n) {
  Value::Object o{{"en", n.en}};
  if (n.zh[0] != '\0') o.emplace_back("zh", n.zh);
  return Value(std::move(o));
}
Value TextValue(std::string en, std::string zh) {
  Value::Object o{{"en", std::move(en)}};
  if (!zh.empty()) o.emplace_back("zh", std::move(zh));
  return Value(std::move(o));
}

struct Currency {
  const char* code;
  // Minor units of this currency per fen (1/100 CNY): num / den.
  std::int64_t num;
  std::int64_t den;
  // Commitments and budgets are rounded down to this many minor units.
  std::int64_t step;
};

enum CurrencyIndex { kCNY, kUSD, kTHB, kVND, kIDR, kMYR, kPHP, kSGD, kBND, kKHR, kLAK, kMMK };
const Currency kCurrencies[] = {
    {"CNY", 1, 1, 1000000},     {"USD", 14, 100, 100000},     {"THB", 49, 10, 100000},
    {"VND", 69, 2, 10000000},   {"IDR", 2200, 1, 100000000},  {"MYR", 65, 100, 100000},
    {"PHP", 79, 10, 100000},    {"SGD", 19, 100, 100000},     {"BND", 19, 100, 100000},
    {"KHR", 570, 1, 100000000}, {"LAK", 2600, 1, 1000000000}, {"MMK", 290, 1, 100000000},
};

// Fen converted to the currency, rounded down to its step (never below one step).
std::int64_t FromFen(std::int64_t fen, int currency) {
  const Currency& c = kCurrencies[currency];
  const std::int64_t minor = fen / c.den * c.num;
  return std::max(c.step, minor / c.step * c.step);
}

struct Country {
  const char* code;
  Name name;        // as a member
  Name short_name;  // in titles: "China-Thailand ..."
  int currency;
};

// Index 0 is China; 1-10 the founding ASEAN members; 11 Timor-Leste.
constexpr int kChina = 0;
constexpr int kTimorLeste = 11;
constexpr int kCountries = 12;
const Country kCountryTable[kCountries] = {
    {"CN", {"People's Republic of China", "中华人民共和国"}, {"China", "中国"}, kCNY},
    {"BN", {"Brunei Darussalam", "文莱达鲁萨兰国"}, {"Brunei", "文莱"}, kBND},
    {"KH", {"Kingdom of Cambodia", "柬埔寨王国"}, {"Cambodia", "柬埔寨"}, kKHR},
    {"ID", {"Republic of Indonesia", "印度尼西亚共和国"}, {"Indonesia", "印度尼西亚"}, kIDR},
    {"LA", {"Lao People's Democratic Republic", "老挝人民民主共和国"}, {"Lao PDR", "老挝"}, kLAK},
    {"MY", {"Malaysia", "马来西亚"}, {"Malaysia", "马来西亚"}, kMYR},
    {"MM", {"Republic of the Union of Myanmar", "缅甸联邦共和国"}, {"Myanmar", "缅甸"}, kMMK},
    {"PH", {"Republic of the Philippines", "菲律宾共和国"}, {"Philippines", "菲律宾"}, kPHP},
    {"SG", {"Republic of Singapore", "新加坡共和国"}, {"Singapore", "新加坡"}, kSGD},
    {"TH", {"Kingdom of Thailand", "泰王国"}, {"Thailand", "泰国"}, kTHB},
    {"VN", {"Socialist Republic of Viet Nam", "越南社会主义共和国"}, {"Viet Nam", "越南"}, kVND},
    {"TL",
     {"Democratic Republic of Timor-Leste", "东帝汶民主共和国"},
     {"Timor-Leste", "东帝汶"},
     kUSD},
};

// Each member's science and technology ministry (or agency), by country.
const Name kMinistries[kCountries] = {
    {"Ministry of Science and Technology of the People's Republic of China",
     "中华人民共和国科学技术部"},
    {"Ministry of Transport and Infocommunications, Brunei Darussalam", "文莱交通与资讯通信部"},
    {"Ministry of Industry, Science, Technology and Innovation, Cambodia", "柬埔寨工业科技创新部"},
    {"National Research and Innovation Agency (BRIN), Indonesia", "印度尼西亚国家研究与创新署"},
    {"Ministry of Technology and Communications, Lao PDR", "老挝技术与通信部"},
    {"Ministry of Science, Technology and Innovation, Malaysia", "马来西亚科学技术与创新部"},
    {"Ministry of Science and Technology, Myanmar", "缅甸科技部"},
    {"Department of Science and Technology, Philippines", "菲律宾科技部"},
    {"Agency for Science, Technology and Research (A*STAR), Singapore", "新加坡科技研究局"},
    {"Ministry of Higher Education, Science, Research and Innovation, Thailand",
     "泰国高等教育、科研与创新部"},
    {"Ministry of Science and Technology, Viet Nam", "越南科学技术部"},
    {"Ministry of Higher Education, Science and Culture, Timor-Leste",
     "东帝汶高等教育、科学与文化部"},
};

// ASEAN partner institutions, by country.
const std::vector<std::vector<Name>> kPartnerInstitutions = {
    {},
    {{"Universiti Brunei Darussalam", "文莱大学"},
     {"Universiti Teknologi Brunei", ""},
     {"Politeknik Brunei", ""},
     {"Brunei Agricultural Research Centre", ""}},
    {{"Royal University of Phnom Penh", "金边皇家大学"},
     {"Institute of Technology of Cambodia", "柬埔寨理工学院"},
     {"Royal University of Agriculture", "柬埔寨皇家农业大学"},
     {"Cambodian Agricultural Research and Development Institute", ""},
     {"Ministry of Industry, Science, Technology and Innovation", ""}},
    {{"Universitas Indonesia", "印度尼西亚大学"},
     {"Institut Teknologi Bandung", "万隆理工学院"},
     {"Universitas Gadjah Mada", "加查马达大学"},
     {"IPB University", "茂物农业大学"},
     {"National Research and Innovation Agency (BRIN)", "印尼国家研究与创新署"}},
    {{"National University of Laos", "老挝国立大学"},
     {"Souphanouvong University", "苏发努冯大学"},
     {"National Agriculture and Forestry Research Institute", ""},
     {"Ministry of Technology and Communications", ""}},
    {{"Universiti Malaya", "马来亚大学"},
     {"Universiti Putra Malaysia", "马来西亚博特拉大学"},
     {"Universiti Sains Malaysia", "马来西亚理科大学"},
     {"Malaysian Palm Oil Board", "马来西亚棕榈油局"},
     {"SIRIM Berhad", ""},
     {"Malaysian Agricultural Research and Development Institute", ""}},
    {{"University of Yangon", "仰光大学"},
     {"Yangon Technological University", "仰光理工大学"},
     {"Mandalay Technological University", ""},
     {"Department of Agricultural Research", ""}},
    {{"University of the Philippines Diliman", "菲律宾大学迪利曼分校"},
     {"De La Salle University", "德拉萨大学"},
     {"Philippine Rice Research Institute", ""},
     {"Philippine Institute of Volcanology and Seismology", ""},
     {"Philippine Council for Industry, Energy and Emerging Technology Research and Development",
      ""}},
    {{"National University of Singapore", "新加坡国立大学"},
     {"Nanyang Technological University", "南洋理工大学"},
     {"Institute of Materials Research and Engineering, A*STAR", ""},
     {"Singapore University of Technology and Design", "新加坡科技设计大学"}},
    {{"Chulalongkorn University", "朱拉隆功大学"},
     {"Mahidol University", "玛希隆大学"},
     {"Kasetsart University", "农业大学"},
     {"National Science and Technology Development Agency (NSTDA)", "泰国国家科技发展署"},
     {"Geo-Informatics and Space Technology Development Agency (GISTDA)",
      "泰国地理信息与空间技术发展局"},
     {"King Mongkut's University of Technology Thonburi", "吞武里国王科技大学"}},
    {{"Vietnam Academy of Science and Technology", "越南科学技术院"},
     {"Hanoi University of Science and Technology", "河内百科大学"},
     {"Vietnam National University, Ho Chi Minh City", "胡志明市国家大学"},
     {"Vietnam Academy of Agricultural Sciences", "越南农业科学院"},
     {"Can Tho University", "芹苴大学"}},
    {{"Universidade Nacional Timor Lorosa'e", "东帝汶国立大学"},
     {"Dili Institute of Technology", "帝力理工学院"}},
};

// Chinese lead institutions.
const Name kLeadInstitutions[] = {
    {"Chinese Academy of Science and Technology for Development",
     "中国科学技术发展战略研究院"},  // 0
    {"National Center for Science and Technology Evaluation", "科技部科技评估中心"},
    {"Torch High Technology Industry Development Center, MOST", "科技部火炬高技术产业开发中心"},
    {"China Science and Technology Exchange Center", "中国科学技术交流中心"},
    {"Institute of Scientific and Technical Information of China", "中国科学技术信息研究所"},
    {"China-ASEAN Technology Transfer Center", "中国-东盟技术转移中心"},  // 5
    {"Chinese Academy of Agricultural Sciences", "中国农业科学院"},
    {"Guangxi Academy of Agricultural Sciences", "广西壮族自治区农业科学院"},
    {"Yunnan Academy of Agricultural Sciences", "云南省农业科学院"},
    {"Chinese Academy of Tropical Agricultural Sciences", "中国热带农业科学院"},
    {"China National Rice Research Institute", "中国水稻研究所"},  // 10
    {"China National Center for Food Safety Risk Assessment", "国家食品安全风险评估中心"},
    {"Jiangnan University", "江南大学"},
    {"China Academy of Chinese Medical Sciences", "中国中医科学院"},
    {"Guangxi University of Chinese Medicine", "广西中医药大学"},
    {"Kunming Institute of Botany, Chinese Academy of Sciences", "中国科学院昆明植物研究所"},  // 15
    {"Peking Union Medical College Hospital", "北京协和医院"},
    {"China Earthquake Networks Center", "中国地震台网中心"},
    {"Institute of Mountain Hazards and Environment, Chinese Academy of Sciences",
     "中国科学院、水利部成都山地灾害与环境研究所"},
    {"National Marine Environmental Forecasting Center", "国家海洋环境预报中心"},
    {"China Institute of Water Resources and Hydropower Research", "中国水利水电科学研究院"},  // 20
    {"Hohai University", "河海大学"},
    {"Tsinghua University", "清华大学"},
    {"Guangzhou Institute of Energy Conversion, Chinese Academy of Sciences",
     "中国科学院广州能源研究所"},
    {"National Climate Center", "国家气候中心"},
    {"Harbin Institute of Technology", "哈尔滨工业大学"},  // 25
    {"Southwest Jiaotong University", "西南交通大学"},
    {"Guangxi University", "广西大学"},
    {"Institute of Metal Research, Chinese Academy of Sciences", "中国科学院金属研究所"},
    {"National Center for Nanoscience and Technology", "国家纳米科学中心"},
    {"Institute of Computing Technology, Chinese Academy of Sciences",
     "中国科学院计算技术研究所"},  // 30
    {"Beijing University of Posts and Telecommunications", "北京邮电大学"},
    {"Guilin University of Electronic Technology", "桂林电子科技大学"},
    {"Aerospace Information Research Institute, Chinese Academy of Sciences",
     "中国科学院空天信息创新研究院"},
    {"National Remote Sensing Center of China", "国家遥感中心"},
    {"China Centre for Resources Satellite Data and Application", "中国资源卫星应用中心"},  // 35
    {"Yunnan University", "云南大学"},
    {"Xiamen University", "厦门大学"},
};

struct Area {
  const char* code;
  std::vector<int> leads;    // indices into kLeadInstitutions
  std::vector<Name> topics;  // what a project of this area is about
};

const std::vector<Area> kAreas = {
    {"A1",
     {0, 3, 22},
     {{"National S&T Development Strategy", "国家科技发展战略"},
      {"Science and Technology Foresight", "科技预见"},
      {"Innovation Policy Benchmarking", "创新政策对标"}}},
    {"A2",
     {0, 1, 34},
     {{"Management of Major S&T Programmes", "重大科技计划管理"},
      {"Research Funding Agency Practice", "科研资助机构实践"},
      {"Programme Budgeting and Oversight", "科技计划预算与监督"}}},
    {"A3",
     {0, 4, 9},
     {{"an S&T Plan for the Rubber Industry", "橡胶产业科技规划"},
      {"an S&T Roadmap for the Sugar Industry", "制糖产业科技路线图"},
      {"an S&T Plan for the Digital Economy", "数字经济科技规划"}}},
    {"A4",
     {2, 5, 27},
     {{"Science Park Planning and Operation", "科技园区规划与运营"},
      {"Technology Business Incubators", "科技企业孵化器"},
      {"High-Tech Zone Management", "高新区管理"}}},
    {"A5",
     {0, 2, 3, 5},
     {{"Industry-University-Research Cooperation Policy", "产学研合作政策"},
      {"Innovation and Entrepreneurship Ecosystems", "创新创业生态"},
      {"Technology Market Regulation", "技术市场监管"}}},
    {"A6",
     {1, 4},
     {{"S&T Statistics and Indicators", "科技统计与指标"},
      {"Evaluation of Research Institutes", "科研机构评估"},
      {"Innovation Survey Methodology", "创新调查方法"}}},
    {"B1",
     {6, 7, 8, 9, 10, 27},
     {{"Hybrid Rice Breeding and Cultivation", "杂交水稻育种与栽培"},
      {"Cassava Processing and Mechanisation", "木薯加工与机械化"},
      {"Saline Soil Improvement", "盐碱地改良"},
      {"Tropical Fruit Post-Harvest Technology", "热带水果采后技术"}}},
    {"B2",
     {6, 9, 11, 12},
     {{"Food Safety Testing Standards", "食品安全检测标准"},
      {"Aquatic Product Processing", "水产品加工"},
      {"Pesticide Residue Monitoring", "农药残留监测"}}},
    {"B3",
     {13, 14, 15, 16, 36},
     {{"Medicinal Plant Resources", "药用植物资源"},
      {"Telemedicine Networks", "远程医疗网络"},
      {"Dengue Prevention Research", "登革热防治研究"},
      {"Medical Device Standards", "医疗器械标准"}}},
    {"B4",
     {17, 18, 19},
     {{"Earthquake Early Warning", "地震预警"},
      {"Tsunami Early Warning", "海啸预警"},
      {"Debris-Flow Monitoring", "泥石流监测"},
      {"Typhoon Disaster Response", "台风灾害应对"}}},
    {"B5",
     {18, 20, 21},
     {{"Integrated Water Resources Management", "水资源综合管理"},
      {"Water-Saving Irrigation", "节水灌溉"},
      {"Rural Drinking Water Purification", "农村饮用水净化"}}},
    {"B6",
     {15, 22, 23, 24, 36, 37},
     {{"Solar Photovoltaic Micro-Grids", "光伏微电网"},
      {"Biomass Energy", "生物质能源"},
      {"Mangrove Biodiversity Conservation", "红树林生物多样性保护"},
      {"Climate Change Adaptation", "气候变化适应"},
      {"Building Energy Efficiency", "建筑节能"}}},
    {"B7",
     {25, 26, 27},
     {{"CNC Machine Tool Applications", "数控机床应用"},
      {"Rail Transit Technology", "轨道交通技术"},
      {"Port Machinery Maintenance", "港口机械维护"}}},
    {"B8",
     {12, 27, 28, 29, 37},
     {{"Nanomaterials for Water Treatment", "水处理纳米材料"},
      {"Rubber-Based Functional Materials", "橡胶基功能材料"},
      {"Biomedical Materials", "生物医用材料"}}},
    {"B9",
     {22, 30, 31, 32},
     {{"Broadband Rural Internet", "农村宽带互联网"},
      {"Embedded Systems and Robotics", "嵌入式系统与机器人"},
      {"Open-Source Software Platforms", "开源软件平台"},
      {"Public Safety Video Analytics", "公共安全视频分析"}}},
    {"B10",
     {25, 33, 34, 35},
     {{"Satellite Remote Sensing of Crops", "农作物卫星遥感"},
      {"BeiDou Navigation Applications", "北斗导航应用"},
      {"GIS for Land Management", "土地管理地理信息系统"},
      {"Small Satellite Development", "小卫星研制"}}},
};

struct Mode {
  const char* code;
  const char* en_prefix;  // "Joint Research on" + topic
  const char* zh_suffix;  // topic + "联合研究"
  int per_mille;          // how often projects use it
};
const Mode kModes[] = {
    {"M1", "Policy Consultation on", "政策咨询", 90},
    {"M2", "S&T Envoys for", "科技特派员服务", 110},
    {"M3", "Training Programme on", "培训项目", 200},
    {"M4", "Joint Research on", "联合研究", 300},
    {"M5", "Joint Laboratory for", "联合实验室", 120},
    {"M6", "Demonstration Base for", "示范基地", 90},
    {"M7", "Technology Transfer of", "技术转移", 90},
};

// Private funders: Chinese ones fund in CNY, the others in USD.
struct PrivateFunder {
  Name name;
  bool chinese;
};
const PrivateFunder kPrivateFunders[] = {
    {{"Guangxi Beibu Gulf Innovation Investment Co., Ltd.", "广西北部湾创新投资有限公司"}, true},
    {{"Yunnan Lancang-Mekong Technology Development Co., Ltd.", "云南澜湄科技发展有限公司"}, true},
    {{"Shenzhen Nanhai Smart Agriculture Co., Ltd.", "深圳南海智慧农业有限公司"}, true},
    {{"Zhejiang Silk Road Digital Technology Co., Ltd.", "浙江丝路数字科技有限公司"}, true},
    {{"Siam Agri-Tech Holdings Co., Ltd.", ""}, false},
    {{"PT Nusantara Energi Hijau", ""}, false},
    {{"Mekong Delta Aquaculture JSC", ""}, false},
    {{"Penang Precision Engineering Sdn. Bhd.", ""}, false},
    {{"Lion City Deep Tech Ventures Pte. Ltd.", ""}, false},
};

// ---------------------------------------------------------------------------
// Governance: bodies, roles, officers, policies.

enum BodyIndex {
  kJointCommittee,
  kJointConference,
  kSecretariat,
  kWgPolicy,
  kWgTechnical,
  kWgHuman,
  kWgTransfer,
  kTaskForce,
  kFirstMechanism,  // + country - 1: the bilateral mechanism with that member
};
constexpr int kBodies = kFirstMechanism + kCountries - 1;
int MechanismOf(int country) { return kFirstMechanism + country - 1; }

struct BodyDef {
  std::string id;
  const char* kind;
  std::string name_en, name_zh;
  int parent = -1;
  int country = -1;
};

enum Role {
  kCoChairCn,
  kCoChairAsean,
  kChair,
  kViceChair,
  kMember,
  kSecretaryGeneral,
  kDeputy,
  kLead,
  kCoChair
};
const char* const kRoleNames[] = {"co_chair_cn", "co_chair_asean", "chair",
                                  "vice_chair",  "member",         "secretary_general",
                                  "deputy",      "lead",           "co_chair"};

struct OfficerDef {
  std::string id;
  int body;
  Role role;
  std::string name_en, name_zh;
  int country;
  Timestamp from;  // appointment (the genesis for the founding officers)
  bool genesis;    // appointed by the genesis itself
  Timestamp to;    // removal; kNever when still in office
  // The appointment ends with the body's dissolution (no removal decision).
  bool ends_with_body = false;
  int rotate_every_years = 3;
};

enum class PolicyUse { kOther, kSecretariatCny, kSecretariatUsd, kMechanism };

struct PolicyDef {
  std::string id;
  int body;
  std::vector<std::string> types;
  int min_signatures;
  std::vector<Role> roles;
  std::int64_t ceiling = 0;  // 0: no ceiling
  int ceiling_currency = kCNY;
  PolicyUse use = PolicyUse::kOther;
  int country = -1;  // for a bilateral mechanism's policy
};

// The Secretariat's delegated ceilings.
constexpr std::int64_t kSecretariatCeiling2012 = 500000000;  // CNY 5,000,000.00
constexpr std::int64_t kSecretariatCeiling2018 = 800000000;  // CNY 8,000,000.00
constexpr std::int64_t kSecretariatUsdCeiling = 75000000;    // USD 750,000.00

// ---------------------------------------------------------------------------
// Partnerships.

const char* const kPartnershipKinds[] = {
    "bilateral_mechanism", "joint_laboratory",           "science_park",
    "training_centre",     "technology_transfer_centre", "forum"};
enum PartnershipKind { kPsMechanism, kPsLab, kPsPark, kPsTraining, kPsTransfer, kPsForum };

struct PartnershipDef {
  std::string id;
  PartnershipKind kind;
  std::string name_en, name_zh;
  std::vector<int> countries;
  std::vector<std::pair<std::string, std::string>> institutions;
  std::int64_t established_day;
  // An institution that joins at an amendment.
  std::pair<std::string, std::string> joining;
};

// ---------------------------------------------------------------------------
// The agenda: every decision that is not part of a project's life, planned
// when the history is created (a few hundred, whatever the size).

enum class Act : std::uint8_t {
  kGenesis,
  kAppoint,
  kRegisterKey,
  kRemove,
  kRotate,
  kRevokeOld,
  kConstitute,
  kAdoptPolicy,
  kRepealPolicy,
  kDissolve,
  kAdmit,
  kMeeting,
  kResolution,
  kPsEstablish,
  kPsRenew,
  kPsAmend,
  kPsSuspend,
  kPsResume,
  kPsDissolve,
};

struct AgendaItem {
  Timestamp t;
  Act act;
  int a = 0;           // officer, body, policy, country or partnership index
  std::int64_t b = 0;  // a day (until), a year, a variant
};

// ---------------------------------------------------------------------------
// Projects: each one's life is planned in full when it is proposed, from its
// own random stream, so the count of its decisions is known in advance and
// the history can be sized exactly.

enum class StepKind : std::uint8_t {
  kNone,  // dropped while planning
  kProposed,
  kApproved,
  kRejected,
  kStarted,
  kMilestone,
  kAmended,
  kSuspended,
  kResumed,
  kCompleted,
  kTerminated,
  kEvaluated,
  kCommitted,
  kDisbursed,
  kReduced,
  kCancelled,
  kReturned,
  kExpenditure,
};

struct Step {
  Timestamp t = 0;
  StepKind kind = StepKind::kNone;
  std::uint8_t commitment = 0;
  std::uint16_t n = 0;  // tranche or milestone number, or which reason
  std::int64_t amount = 0;
};

enum Source : std::uint8_t { kCnGovernment, kPartnerGovernment, kPrivate };
const char* const kSourceNames[] = {"cn_government", "partner_government", "private"};

struct CommitmentPlan {
  Source source = kCnGovernment;
  std::uint8_t party = 0;  // country, or private funder
  std::uint8_t currency = kCNY;
  std::int64_t amount = 0;
};

struct Partner {
  std::uint8_t country = 0;
  std::uint8_t institution = 0;
};

struct ProjectSpec {
  std::uint32_t number = 0;
  int year = 0;
  std::uint8_t area = 0, mode = 0, topic = 0, lead = 0;
  std::uint8_t partner_count = 0;
  std::array<Partner, 4> partners{};  // the last one joins at an amendment
  std::uint8_t budget_currency = kCNY;
  std::int64_t budget = 0, approved_budget = 0, amended_budget = 0;
  std::int64_t start_day = 0, end_day = 0, amended_end_day = 0;
  std::uint8_t amendment = 0;  // bits: 1 end date, 2 budget, 4 partners
  std::uint8_t commitment_count = 0;
  std::array<CommitmentPlan, 3> commitments{};
};

enum Amendment : std::uint8_t { kAmendEnd = 1, kAmendBudget = 2, kAmendPartners = 4 };

// The proposal time of project k of `count`: stratified over the proposal
// window, denser in later years as the programme grows (three times as many
// proposals a year at the end as at the start).
Timestamp ProposalTime(Rng& rng, std::uint32_t k, std::uint32_t count) {
  // Integer arithmetic only, so that every platform gets the same times: f is
  // the project's quantile (k + u) / count and g = f (3 - f) / 2 the share of
  // the window before it, both scaled by 2^30.
  constexpr std::uint64_t kOne = std::uint64_t{1} << 30;
  const std::uint64_t f = ((std::uint64_t{k} << 30) + rng.Below(kOne)) / count;
  const std::uint64_t g = f * (3 * kOne - f) >> 31;
  const auto span = static_cast<std::uint64_t>(kProposalsTo - kProposalsFrom);
  const std::uint64_t offset = ((span >> 15) * g >> 15) + ((span & 0x7fff) * g >> 30);
  const Timestamp t = kProposalsFrom + static_cast<Timestamp>(offset);
  // Squeezed into Beijing office hours (01:00-10:00 UTC), keeping the order.
  return t / kDay * kDay + kHour + t % kDay * 9 / 24;
}

// A time on a day during Beijing office hours (01:00-10:00 UTC).
Timestamp OfficeHours(Rng& rng, std::int64_t day) {
  return day * kDay + kHour + rng.Between(0, 9 * kHour - 1);
}

// Forced features of the first projects, so that even a small history holds
// every kind of decision whatever the seed.
enum Forced {
  kNoForce,
  kForceRejected,
  kForceSuspended,
  kForceTerminatedActive,
  kForceSuspendedTerminated,
  kForceTerminatedEarly,
  kForceAmended,
  kForceReduced,
  kForceCancelled,
  kForceReturned,
  kForcePrivate
};
Forced ForcedFeature(std::uint32_t k) {
  switch (k) {
    case 2:
      return kForceRejected;
    case 4:
      return kForceSuspended;
    case 5:
      return kForcePrivate;
    case 6:
      return kForceTerminatedActive;
    case 8:
      return kForceAmended;
    case 9:
      return kForceReduced;
    case 10:
      return kForceSuspendedTerminated;
    case 11:
      return kForceCancelled;
    case 12:
      return kForceTerminatedEarly;
    case 13:
      return kForceReturned;
    default:
      return kNoForce;
  }
}

// Plans project k of `count`: its spec and every step before the horizon, in
// time order, each valid against the state the earlier ones leave.
void PlanProject(std::uint64_t seed, std::uint32_t k, std::uint32_t count, ProjectSpec* p,
                 std::vector<Step>* steps) {
  Rng rng(StreamSeed(seed, kProjectStream, k));
  steps->clear();
  *p = ProjectSpec{};
  const Forced force = ForcedFeature(k);
  const Timestamp t0 = ProposalTime(rng, k, count);
  const std::int64_t d0 = t0 / kDay;
  p->number = k + 1;
  p->year = YearOf(t0);

  // What, who and how much.
  p->area = static_cast<std::uint8_t>(k < 16 ? k : rng.Below(16));
  if (k < 7) {
    p->mode = static_cast<std::uint8_t>(k);
  } else {
    int roll = static_cast<int>(rng.Below(1000)), m = 0;
    while (m < 6 && roll >= kModes[m].per_mille) roll -= kModes[m++].per_mille;
    p->mode = static_cast<std::uint8_t>(m);
  }
  const Area& area = kAreas[p->area];
  p->topic = static_cast<std::uint8_t>(rng.Below(area.topics.size()));
  p->lead = static_cast<std::uint8_t>(area.leads[rng.Below(area.leads.size())]);
  const int members = t0 >= kTimorLesteEligibleFrom ? kCountries - 1 : kCountries - 2;
  const std::uint64_t roll = rng.Below(10);
  p->partner_count = roll < 6 ? 1 : roll < 9 ? 2 : 3;
  for (int i = 0; i <= p->partner_count; ++i) {  // one more: who may join later
    int country;
    bool repeated;
    do {
      country = 1 + rng.Index(static_cast<std::size_t>(members));
      repeated = false;
      for (int j = 0; j < i && j < p->partner_count; ++j) {
        repeated = repeated || p->partners[j].country == country;
      }
    } while (repeated && i < p->partner_count);
    std::size_t institution = rng.Below(kPartnerInstitutions[country].size());
    for (int j = 0; j < i; ++j) {
      if (p->partners[j].country == country && p->partners[j].institution == institution) {
        institution = (institution + 1) % kPartnerInstitutions[country].size();
      }
    }
    p->partners[i].country = static_cast<std::uint8_t>(country);
    p->partners[i].institution = static_cast<std::uint8_t>(institution);
  }
  // Budgets in fen: most are modest, a tenth are large programmes.
  const std::uint64_t tier = rng.Below(100);
  std::int64_t fen = tier < 35   ? rng.Between(30, 150) * 1000000
                     : tier < 70 ? rng.Between(150, 500) * 1000000
                     : tier < 90 ? rng.Between(500, 1200) * 1000000
                                 : rng.Between(1200, 4000) * 1000000;
  p->budget_currency = rng.Below(10) == 0 ? kUSD : kCNY;
  p->budget = FromFen(fen, p->budget_currency);
  p->approved_budget =
      std::max(kCurrencies[p->budget_currency].step, p->budget * rng.Between(80, 100) / 100 /
                                                         kCurrencies[p->budget_currency].step *
                                                         kCurrencies[p->budget_currency].step);
  p->amended_budget = p->approved_budget * rng.Between(105, 130) / 100 /
                      kCurrencies[p->budget_currency].step * kCurrencies[p->budget_currency].step;
  p->start_day = d0 + rng.Between(90, 240);
  p->end_day = p->start_day + rng.Between(365, 1460);
  p->amended_end_day = p->end_day + rng.Between(90, 365);

  auto add = [&](std::int64_t day, StepKind kind, int commitment = 0, int n = 0,
                 std::int64_t amount = 0) {
    steps->push_back(Step{OfficeHours(rng, day), kind, static_cast<std::uint8_t>(commitment),
                          static_cast<std::uint16_t>(n), amount});
  };
  steps->push_back(Step{t0, StepKind::kProposed});

  // The decisions on the project itself.
  if (force == kForceRejected || (force == kNoForce && rng.PerMille(70))) {
    add(d0 + rng.Between(20, 120), StepKind::kRejected, 0, rng.Index(4));
    std::erase_if(*steps, [](const Step& s) { return s.t >= kHorizon; });
    return;
  }
  const std::int64_t approved = d0 + rng.Between(20, 150);
  add(approved, StepKind::kApproved);
  const bool early_termination =
      force == kForceTerminatedEarly || (force == kNoForce && rng.PerMille(20));
  const bool suspended = force == kForceSuspended || force == kForceSuspendedTerminated ||
                         (force == kNoForce && rng.PerMille(60));
  const bool terminated_suspended =
      force == kForceSuspendedTerminated || (force == kNoForce && suspended && rng.PerMille(300));
  const bool terminated_active =
      force == kForceTerminatedActive || (force == kNoForce && !suspended && rng.PerMille(30));
  const std::int64_t duration = rng.Between(300, 1400);
  std::int64_t end = 0, suspended_from = 0, suspended_to = 0;
  bool terminated = false;
  std::int64_t started = 0;
  if (early_termination) {
    end = approved + rng.Between(30, 150);
    terminated = true;
  } else {
    started = approved + rng.Between(15, 120);
    add(started, StepKind::kStarted);
    if (terminated_active) {
      end = started + duration * rng.Between(30, 80) / 100;
      terminated = true;
    } else if (suspended) {
      suspended_from = started + duration * rng.Between(20, 60) / 100;
      suspended_to = suspended_from + rng.Between(30, 240);
      add(suspended_from, StepKind::kSuspended, 0, rng.Index(4));
      if (terminated_suspended) {
        end = suspended_to;
        terminated = true;
      } else {
        add(suspended_to, StepKind::kResumed, 0, rng.Index(4));
        end = started + duration + (suspended_to - suspended_from);
      }
    } else {
      end = started + duration;
    }
    const int milestones = static_cast<int>(rng.Between(1, 4));
    for (int i = 0; i < milestones; ++i) {
      const std::int64_t day =
          started + (end - started) * (i + 1) / (milestones + 1) + rng.Between(-10, 10);
      if (day <= started || day >= end) continue;
      if (suspended && day >= suspended_from && day <= suspended_to) continue;
      add(day, StepKind::kMilestone, 0, i);
    }
  }
  add(end, terminated ? StepKind::kTerminated : StepKind::kCompleted, 0, rng.Index(4));
  if (force == kForceAmended || (force == kNoForce && rng.PerMille(100))) {
    if (end - approved >= 2) {
      const std::uint64_t what = rng.Below(4);
      p->amendment = what == 0   ? kAmendEnd
                     : what == 1 ? kAmendBudget
                     : what == 2 ? kAmendEnd | kAmendBudget
                                 : kAmendPartners;
      add(approved + rng.Between(1, end - approved - 1), StepKind::kAmended);
    }
  }
  if (rng.PerMille(terminated ? 500 : 850)) {
    // Ratings: excellent 20%, good 45%, satisfactory 28%, poor 7% (terminated
    // projects rate no better than satisfactory).
    const std::uint64_t r = rng.Below(100);
    const int rating = terminated ? (r < 50 ? 2 : 3) : r < 20 ? 0 : r < 65 ? 1 : r < 93 ? 2 : 3;
    add(end + rng.Between(30, 180), StepKind::kEvaluated, 0, rating);
  }

  // The money: the Chinese government always, the first partner's government
  // often, a private funder sometimes.
  const std::int64_t budget_fen =
      p->budget_currency == kCNY ? p->approved_budget : p->approved_budget * 100 / 14;
  p->commitments[p->commitment_count++] = CommitmentPlan{
      kCnGovernment, kChina, kCNY, FromFen(budget_fen * rng.Between(35, 70) / 100, kCNY)};
  if (force == kForcePrivate || rng.PerMille(550)) {
    const int country = p->partners[0].country;
    const int currency = kCountryTable[country].currency;
    p->commitments[p->commitment_count++] = CommitmentPlan{
        kPartnerGovernment, static_cast<std::uint8_t>(country), static_cast<std::uint8_t>(currency),
        FromFen(budget_fen * rng.Between(10, 35) / 100, currency)};
  }
  if (force == kForcePrivate || force == kForceCancelled || rng.PerMille(250)) {
    const int funder = rng.Index(std::size(kPrivateFunders));
    const int currency = kPrivateFunders[funder].chinese ? kCNY : kUSD;
    p->commitments[p->commitment_count++] = CommitmentPlan{
        kPrivate, static_cast<std::uint8_t>(funder), static_cast<std::uint8_t>(currency),
        FromFen(budget_fen * rng.Between(5, 20) / 100, currency)};
  }
  for (int c = 0; c < p->commitment_count; ++c) {
    const std::int64_t committed = approved + 1 + rng.Between(0, 45) + c * rng.Between(0, 30);
    if (committed >= end) continue;  // the project closed before the money came
    add(committed, StepKind::kCommitted, c);
    const std::int64_t last = end - 1;  // tranches stop before the project closes
    const int tranches = static_cast<int>(rng.Between(1, 4));
    const std::int64_t span = last - committed;
    for (int j = 0; j < tranches && span >= 1; ++j) {
      const std::int64_t day =
          std::min(last, committed + 1 + span * j / tranches + rng.Between(0, span / tranches));
      add(day, StepKind::kDisbursed, c, j == tranches - 1 ? 0xffff : j);
      add(day + rng.Between(60, 200), StepKind::kExpenditure, c, rng.Index(2));
    }
    const bool last_is_private =
        c == p->commitment_count - 1 && p->commitments[c].source == kPrivate;
    if (span >= 2 && (force == kForceReduced || (force == kNoForce && rng.PerMille(80)))) {
      add(committed + rng.Between(1, span), StepKind::kReduced, c, rng.Index(3));
    }
    if (span >= 2 && ((force == kForceCancelled && last_is_private) ||
                      (force == kNoForce && rng.PerMille(30)))) {
      add(committed + rng.Between(1, span), StepKind::kCancelled, c, 1);
    } else if (terminated) {
      add(end + rng.Between(5, 60), StepKind::kCancelled, c, 0);
    }
    if (!terminated && (force == kForceReturned || rng.PerMille(150))) {
      add(end + rng.Between(200, 400), StepKind::kReturned, c, rng.Index(2));
    }
  }

  std::stable_sort(steps->begin(), steps->end(),
                   [](const Step& a, const Step& b) { return a.t < b.t; });

  // The amounts, walking each commitment's steps in time order: tranches
  // never exceed the commitment, reductions keep what was disbursed,
  // expenditure and returns stay within what is left; steps that would not
  // be valid then are dropped.
  struct Book {
    std::int64_t committed = 0, disbursed = 0, returned = 0, spent = 0, planned = 0;
    bool open = false;
  };
  std::array<Book, 3> books{};
  for (int c = 0; c < p->commitment_count; ++c) {
    books[c].committed = p->commitments[c].amount;
    // Some commitments are never drawn in full.
    books[c].planned =
        rng.PerMille(700) ? books[c].committed : books[c].committed * rng.Between(90, 99) / 100;
  }
  std::array<int, 3> tranche_no{};
  for (Step& s : *steps) {
    if (s.kind < StepKind::kCommitted) continue;
    Book& b = books[s.commitment];
    const std::int64_t step =
        std::max<std::int64_t>(1, kCurrencies[p->commitments[s.commitment].currency].step / 100);
    switch (s.kind) {
      case StepKind::kCommitted:
        b.open = true;
        s.amount = b.committed;
        break;
      case StepKind::kDisbursed: {
        if (!b.open) {
          s.kind = StepKind::kNone;
          break;
        }
        std::int64_t amount = b.planned - b.disbursed;
        if (s.n != 0xffff) amount = amount * rng.Between(25, 60) / 100 / step * step;
        amount = std::min(amount, b.committed - b.disbursed);
        if (amount <= 0) {
          s.kind = StepKind::kNone;
          break;
        }
        s.amount = amount;
        s.n = static_cast<std::uint16_t>(++tranche_no[s.commitment]);
        b.disbursed += amount;
        break;
      }
      case StepKind::kReduced: {
        // To what will have been drawn, if that is below the commitment.
        const std::int64_t to = std::max(b.disbursed, b.planned * rng.Between(60, 95) / 100);
        if (!b.open || to >= b.committed || to <= 0) {
          s.kind = StepKind::kNone;
          break;
        }
        s.amount = to;
        b.committed = to;
        b.planned = std::min(b.planned, to);
        break;
      }
      case StepKind::kCancelled:
        if (!b.open) {
          s.kind = StepKind::kNone;
          break;
        }
        b.open = false;
        b.committed = b.disbursed;
        break;
      case StepKind::kExpenditure:
      case StepKind::kReturned: {
        // Not after a cancellation: a closed commitment takes no more reports.
        const std::int64_t left = b.disbursed - b.returned - b.spent;
        if (!b.open || left <= 0) {
          s.kind = StepKind::kNone;
          break;
        }
        const std::int64_t amount = std::max<std::int64_t>(
            1, left * rng.Between(s.kind == StepKind::kReturned ? 20 : 60, 100) / 100);
        s.amount = amount;
        (s.kind == StepKind::kReturned ? b.returned : b.spent) += amount;
        break;
      }
      default:
        break;
    }
  }
  std::erase_if(*steps, [](const Step& s) { return s.kind == StepKind::kNone || s.t >= kHorizon; });
}

// ---------------------------------------------------------------------------
// Texts used when decisions are written.

const char* const kRejectionReasons[] = {
    "outside the programme's priority areas for the year",
    "budget not justified against the work plan",
    "partner institution's co-funding not confirmed",
    "duplicates an ongoing bilateral project",
};
const char* const kSuspensionReasons[] = {
    "partner site inaccessible after seasonal flooding",
    "audit of the first tranche pending",
    "principal investigator on extended leave",
    "import clearance of laboratory equipment delayed",
};
const char* const kPandemicReason = "travel restrictions during the COVID-19 pandemic";
const char* const kResumptionReasons[] = {
    "site access restored",
    "audit closed without findings",
    "replacement principal investigator appointed",
    "equipment cleared and installed",
};
const char* const kTerminationReasons[] = {
    "partner institution withdrew from the project",
    "objectives overtaken by a national programme",
    "repeated failure to report progress",
    "no longer feasible after the suspension",
};
const char* const kRatings[] = {"excellent", "good", "satisfactory", "poor"};
// By rating.
const char* const kEvaluationSummaries[] = {
    "objectives met ahead of schedule; results adopted by the partner ministry",
    "objectives met; joint publications and a patent application",
    "objectives largely met; training outputs below target",
    "objectives not met; lessons recorded for follow-up cooperation",
};
const char* const kMilestones[] = {
    "inception workshop held", "baseline survey completed", "joint field trials under way",
    "mid-term review passed",  "training cohort graduated", "prototype delivered",
    "joint paper published",   "final report submitted",
};
const char* const kReductionReasons[] = {
    "work package descoped at the mid-term review",
    "savings on equipment procurement",
    "partner institution covered part of the costs in kind",
};
const char* const kCancellationReasons[] = {
    "project terminated; undisbursed balance released",
    "funder withdrew its remaining commitment",
};
const char* const kReturnReasons[] = {
    "unspent balance returned at project closure",
    "ineligible expenditure recovered after audit",
};

std::string Number(const char* format, std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, static_cast<unsigned long long>(n));
  return buf;
}

// ---------------------------------------------------------------------------
// What the generator knows of the governance state while it writes: who is
// in office with which key, which bodies and policies exist. It only ever
// signs with keys that the rules consider active for an officer of the
// deciding body at that moment.

struct OfficerState {
  bool appointed = false;
  bool ended = false;
  std::uint32_t generation = 0;
  std::optional<crypto::PrivateKey> key;
  std::string key_id;      // hex
  std::string old_key_id;  // replaced but not yet revoked
};

struct PartnershipState {
  std::vector<int> countries;
  std::vector<std::pair<std::string, std::string>> institutions;
};

struct LiveProject {
  ProjectSpec spec;
  std::vector<Step> steps;
  std::size_t next = 0;
};

struct Pending {
  Timestamp t;
  std::uint32_t slot;
  bool operator>(const Pending& o) const { return t != o.t ? t > o.t : slot > o.slot; }
};

}  // namespace

// ---------------------------------------------------------------------------

struct DemoHistory::Impl {
  DemoOptions options;
  std::vector<BodyDef> bodies;
  std::vector<OfficerDef> officers;
  std::vector<PolicyDef> policies;
  std::vector<PartnershipDef> partnerships;
  std::vector<AgendaItem> agenda;
  std::uint32_t project_count = 0;
  std::uint64_t total = 0;

  // Progress.
  std::uint64_t produced = 0;
  std::size_t next_agenda = 0;
  std::uint32_t next_project = 0;
  Timestamp next_project_at = kNever;
  Timestamp last_issued = 0;
  std::vector<LiveProject> live;
  std::vector<std::uint32_t> free_slots;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending;
  Rng emit_rng;

  // Governance as written so far.
  std::vector<OfficerState> officer_state;
  std::vector<PartnershipState> partnership_state;
  std::int64_t secretariat_ceiling = kSecretariatCeiling2012;
  bool secretariat_usd = true;
  std::vector<bool> mechanism_ready;  // by country: its funding policy is in force
  // Decision ids per body and year.
  std::vector<std::vector<std::uint32_t>> counters;
  // Decisions taken since each body's last resolution (the first dozen).
  std::vector<std::vector<std::string>> to_adopt;
  std::vector<std::string> last_meeting;  // each body's latest meeting_held decision
  std::size_t genesis_policies = 0;
  std::vector<Step> scratch;

  explicit Impl(const DemoOptions& o) : options(o), emit_rng(StreamSeed(o.seed, kEmitStream)) {}

  void DefineGovernance();
  void DefinePartnerships();
  void PlanAgenda();
  std::uint64_t CountProjectDecisions(std::uint32_t count);
  void SizeProjects();

  bool Emit(std::vector<SignedDecision>* batch);
  void EmitAgenda(const AgendaItem& item, std::vector<SignedDecision>* batch);
  void EmitProjectStep(LiveProject& p, const Step& s, std::vector<SignedDecision>* batch);

  // Writing a decision.
  Timestamp NextIssuedAt(Timestamp planned) {
    last_issued = std::max(planned, last_issued + 1);
    return last_issued;
  }
  void Write(std::vector<SignedDecision>* batch, Timestamp t, const char* type, int body,
             Value::Object payload, const std::vector<int>& signers);
  int Holder(int body, Role role, int country = -1) const;
  std::vector<int> JointCommittee() const {
    return {Holder(kJointCommittee, kCoChairCn), Holder(kJointCommittee, kCoChairAsean)};
  }
  std::vector<int> JointConference() const {
    return {Holder(kJointConference, kChair), Holder(kJointConference, kViceChair)};
  }
  std::vector<int> SecretariatOfficer() {
    return {Holder(kSecretariat, emit_rng.Below(3) == 0 ? kDeputy : kSecretaryGeneral)};
  }
  int WorkingGroupOf(const ProjectSpec& p) const;
  crypto::PrivateKey KeyOf(int officer, std::uint32_t generation) const {
    return DemoHistory::OfficerKey(options.seed, officers[officer].id, generation);
  }
  Value PolicyValue(const PolicyDef& p) const;
  Value PartnersValue(const ProjectSpec& p, int count) const;
  std::string ProjectId(const ProjectSpec& p) const {
    return Number("P-%04llu-", static_cast<std::uint64_t>(p.year)) + Number("%06llu", p.number);
  }
  std::string CommitmentId(const ProjectSpec& p, int c) const {
    return ProjectId(p) + "-C" + std::to_string(c + 1);
  }
};

// ---------------------------------------------------------------------------
// Who governs the programme.

void DemoHistory::Impl::DefineGovernance() {
  bodies.resize(kBodies);
  bodies[kJointCommittee] = {"joint-committee", "joint_committee",
                             "China-ASEAN Joint Committee on Science and Technology Cooperation",
                             "中国-东盟科技合作联委会"};
  bodies[kJointConference] = {
      "joint-conference", "joint_conference",
      "Joint Conference on China's Science and Technology Cooperation with ASEAN",
      "中国对东盟科技合作联席会"};
  bodies[kSecretariat] = {
      "secretariat", "secretariat",
      "Secretariat of the China-ASEAN Science and Technology Partnership Programme",
      "中国-东盟科技伙伴计划秘书处"};
  bodies[kSecretariat].parent = kJointConference;
  bodies[kWgPolicy] = {"wg-policy-consultation", "working_group",
                       "Policy Consultation Working Group", "政策咨询工作组"};
  bodies[kWgTechnical] = {"wg-technical-services", "working_group",
                          "Technical Services Working Group", "技术服务工作组"};
  bodies[kWgHuman] = {"wg-human-resources", "working_group",
                      "Human Resources Development Working Group", "人力资源开发工作组"};
  bodies[kWgTransfer] = {"wg-technology-transfer", "working_group",
                         "Technology Transfer Working Group", "技术转移工作组"};
  bodies[kTaskForce] = {"tf-digital-economy-year", "working_group",
                        "Task Force for the China-ASEAN Year of Digital Economy Cooperation",
                        "中国-东盟数字经济合作年工作组"};
  for (int b : {kWgPolicy, kWgTechnical, kWgHuman, kWgTransfer, kTaskForce}) {
    bodies[b].parent = kSecretariat;
  }
  for (int c = 1; c < kCountries; ++c) {
    BodyDef& b = bodies[MechanismOf(c)];
    b.id = std::string("bm-") + static_cast<char>(kCountryTable[c].code[0] + 32) +
           static_cast<char>(kCountryTable[c].code[1] + 32);
    b.kind = "bilateral_mechanism";
    b.name_en = std::string("China-") + kCountryTable[c].short_name.en +
                " Joint Committee on Science and Technology Cooperation";
    b.name_zh = std::string("中国-") + kCountryTable[c].short_name.zh + "科技合作联委会";
    b.parent = kJointCommittee;
    b.country = c;
  }

  // Officers: the genesis ones, then successions over the years.
  auto officer = [&](std::string id, int body, Role role, std::string en, std::string zh,
                     const char* country, const char* from, const char* to) {
    OfficerDef o;
    o.id = std::move(id);
    o.body = body;
    o.role = role;
    o.name_en = std::move(en);
    o.name_zh = std::move(zh);
    o.country = 0;
    for (int c = 0; c < kCountries; ++c) {
      if (std::string_view(kCountryTable[c].code) == country) o.country = c;
    }
    o.genesis = from[0] == '\0';
    o.from = o.genesis ? kGenesisAt : At(from, 2);
    o.to = to[0] == '\0' ? kNever : At(to, 2) + kDay;  // the day after the successor
    officers.push_back(std::move(o));
  };
  officer("jc-co-chair-cn-1", kJointCommittee, kCoChairCn, "Li Mingyuan", "李明远", "CN", "",
          "2016-09-20");
  officer("jc-co-chair-cn-2", kJointCommittee, kCoChairCn, "Zhang Huiqing", "张慧清", "CN",
          "2016-09-20", "2022-03-15");
  officer("jc-co-chair-cn-3", kJointCommittee, kCoChairCn, "Chen Jianping", "陈建平", "CN",
          "2022-03-15", "");
  officer("jc-co-chair-asean-1", kJointCommittee, kCoChairAsean, "Dewi Kartika Sari", "", "ID", "",
          "2014-10-14");
  officer("jc-co-chair-asean-2", kJointCommittee, kCoChairAsean, "Somchai Wattanakul", "", "TH",
          "2014-10-14", "2017-10-17");
  officer("jc-co-chair-asean-3", kJointCommittee, kCoChairAsean, "Nurul Aisyah Hassan", "", "MY",
          "2017-10-17", "2020-10-20");
  officer("jc-co-chair-asean-4", kJointCommittee, kCoChairAsean, "Maria Teresa Villanueva", "",
          "PH", "2020-10-20", "2023-10-17");
  officer("jc-co-chair-asean-5", kJointCommittee, kCoChairAsean, "Nguyen Thi Thu Ha", "", "VN",
          "2023-10-17", "");
  officer("jconf-chair-1", kJointConference, kChair, "Liu Xiaowen", "刘晓雯", "CN", "",
          "2018-06-12");
  officer("jconf-chair-2", kJointConference, kChair, "Zhao Guoqiang", "赵国强", "CN", "2018-06-12",
          "");
  officer("jconf-vice-chair-1", kJointConference, kViceChair, "Huang Lihua", "黄丽华", "CN", "",
          "");
  officer("jconf-member-1", kJointConference, kMember, "Yang Wenbo", "杨文博", "CN", "", "");
  officer("sec-secretary-general-1", kSecretariat, kSecretaryGeneral, "Sun Yifan", "孙一帆", "CN",
          "", "2017-04-11");
  officer("sec-secretary-general-2", kSecretariat, kSecretaryGeneral, "Zhou Hanlin", "周翰林", "CN",
          "2017-04-11", "2023-05-09");
  officer("sec-secretary-general-3", kSecretariat, kSecretaryGeneral, "Wu Qiuyue", "吴秋月", "CN",
          "2023-05-09", "");
  officer("sec-deputy-1", kSecretariat, kDeputy, "Siriporn Chaiyasit", "", "TH", "", "2015-08-18");
  officer("sec-deputy-2", kSecretariat, kDeputy, "Tran Van Minh", "", "VN", "2015-08-18",
          "2021-08-17");
  officer("sec-deputy-3", kSecretariat, kDeputy, "Rina Wulandari", "", "ID", "2021-08-17", "");
  officer("wg-pc-lead-1", kWgPolicy, kLead, "Xu Zhenyu", "徐振宇", "CN", "", "2019-05-14");
  officer("wg-pc-lead-2", kWgPolicy, kLead, "Ma Jingwen", "马静雯", "CN", "2019-05-14", "");
  officer("wg-ts-lead-1", kWgTechnical, kLead, "Lin Haitao", "林海涛", "CN", "", "");
  officer("wg-hrd-lead-1", kWgHuman, kLead, "He Shuyi", "何舒怡", "CN", "", "2016-03-22");
  officer("wg-hrd-lead-2", kWgHuman, kLead, "Kamal Abdullah", "", "MY", "2016-03-22", "");
  officer("wg-tt-lead-1", kWgTransfer, kLead, "Gao Ruiqi", "高瑞琪", "CN", "", "2020-06-09");
  officer("wg-tt-lead-2", kWgTransfer, kLead, "Pham Quoc Bao", "", "VN", "2020-06-09", "");
  officer("tf-dey-lead-1", kTaskForce, kLead, "Tan Wei Ling", "", "SG", "2019-11-20", "");
  officers.back().ends_with_body = true;
  officers.back().to = At("2021-01-15", 3);

  // Each bilateral mechanism has a Chinese and a partner co-chair.
  const char* const cn_names[][2] = {
      {"Qian Weidong", "钱卫东"}, {"Deng Yuhan", "邓雨涵"},  {"Feng Zhiqiang", "冯志强"},
      {"Cao Meiling", "曹美玲"},  {"Peng Jun", "彭军"},      {"Xie Tingting", "谢婷婷"},
      {"Luo Hao", "罗浩"},        {"Tang Xiaoyu", "唐晓雨"}, {"Han Lei", "韩磊"},
      {"Cai Wenjing", "蔡文静"},  {"Jiang Bo", "蒋波"}};
  const char* const partner_names[] = {"Pengiran Norhayati Pengiran Ali",
                                       "Sok Chanthy",
                                       "Budi Santoso",
                                       "Khamphone Sisavath",
                                       "Ahmad Faizal Ismail",
                                       "Aung Kyaw Min",
                                       "Jose Miguel Reyes",
                                       "Lim Kok Wah",
                                       "Pimchanok Srisuk",
                                       "Le Hoang Nam",
                                       "Joaquim da Costa Amaral"};
  // When each mechanism is constituted.
  const char* const constituted[] = {"2017-03-14", "2014-03-18", "2012-07-10", "2014-08-26",
                                     "2013-09-03", "2015-05-12", "2016-06-21", "2018-11-13",
                                     "2012-05-22", "2013-04-16", "2026-03-17"};
  for (int c = 1; c < kCountries; ++c) {
    const std::string& body = bodies[MechanismOf(c)].id;
    const Timestamp from = At(constituted[c - 1], 2);
    for (int side = 0; side < 2; ++side) {
      OfficerDef o;
      o.id = body + (side == 0 ? "-co-chair-cn-1" : "-co-chair-partner-1");
      o.body = MechanismOf(c);
      o.role = kCoChair;
      o.name_en = side == 0 ? cn_names[c - 1][0] : partner_names[c - 1];
      o.name_zh = side == 0 ? cn_names[c - 1][1] : "";
      o.country = side == 0 ? kChina : c;
      o.genesis = false;
      o.from = from + kHour * (1 + side);
      o.to = kNever;
      o.rotate_every_years = 4;
      officers.push_back(std::move(o));
    }
  }

  // Policies in force from the genesis.
  const std::vector<Role> both = {kCoChairCn, kCoChairAsean};
  policies = {
      {"jc-governance", kJointCommittee, {"governance.*"}, 2, both},
      {"jc-projects",
       kJointCommittee,
       {"project.approved", "project.rejected", "project.amended", "project.terminated"},
       2,
       both},
      {"jc-funding", kJointCommittee, {"funding.*"}, 2, both},
      {"jc-partnerships", kJointCommittee, {"partnership.*"}, 2, both},
      {"jconf-funding", kJointConference, {"funding.*"}, 2, {kChair}},
      {"jconf-meetings",
       kJointConference,
       {"governance.meeting_held", "governance.resolution_adopted"},
       2,
       {kChair}},
      {"sec-approvals-sg",
       kSecretariat,
       {"project.approved", "funding.committed", "funding.disbursed"},
       1,
       {kSecretaryGeneral},
       kSecretariatCeiling2012,
       kCNY,
       PolicyUse::kSecretariatCny},
      {"sec-approvals-deputy",
       kSecretariat,
       {"project.approved", "funding.committed", "funding.disbursed"},
       1,
       {kDeputy},
       kSecretariatCeiling2012,
       kCNY,
       PolicyUse::kSecretariatCny},
      {"sec-approvals-usd",
       kSecretariat,
       {"project.approved", "funding.committed", "funding.disbursed"},
       1,
       {kSecretaryGeneral},
       kSecretariatUsdCeiling,
       kUSD,
       PolicyUse::kSecretariatUsd},
      {"sec-operations",
       kSecretariat,
       {"project.proposed", "project.started", "project.suspended", "project.resumed",
        "project.completed", "project.rejected", "funding.reduced", "funding.cancelled",
        "funding.returned"},
       1,
       {}},
  };
  for (int wg : {kWgPolicy, kWgTechnical, kWgHuman, kWgTransfer}) {
    policies.push_back(
        {bodies[wg].id + "-progress",
         wg,
         {"project.milestone_reported", "project.evaluated", "funding.expenditure_reported"},
         1,
         {kLead}});
  }
}

int DemoHistory::Impl::WorkingGroupOf(const ProjectSpec& p) const {
  if (p.mode == 0 || p.area < 6) return kWgPolicy;     // M1 or area A
  if (p.mode == 2) return kWgHuman;                    // M3
  if (p.mode == 5 || p.mode == 6) return kWgTransfer;  // M6, M7
  return kWgTechnical;                                 // M2, M4, M5
}

// ---------------------------------------------------------------------------
// Partnerships of every kind, established over the years.

void DemoHistory::Impl::DefinePartnerships() {
  const std::vector<int> asean = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  auto add = [&](std::string id, PartnershipKind kind, std::string en, std::string zh,
                 std::vector<int> countries,
                 std::vector<std::pair<std::string, std::string>> institutions, const char* on,
                 std::pair<std::string, std::string> joining) {
    countries.insert(countries.begin(), kChina);
    partnerships.push_back({std::move(id), kind, std::move(en), std::move(zh), std::move(countries),
                            std::move(institutions), DayOf(on), std::move(joining)});
  };
  auto short_en = [](int c) { return std::string(kCountryTable[c].short_name.en); };
  auto short_zh = [](int c) { return std::string(kCountryTable[c].short_name.zh); };
  auto first_institution = [](int c) {
    return std::pair<std::string, std::string>(kPartnerInstitutions[c][0].en,
                                               kPartnerInstitutions[c][0].zh);
  };
  const std::pair<std::string, std::string> most = {
      "Ministry of Science and Technology of the People's Republic of China",
      "中华人民共和国科学技术部"};
  const std::pair<std::string, std::string> ttc = {"China-ASEAN Technology Transfer Center",
                                                   "中国-东盟技术转移中心"};
  const std::pair<std::string, std::string> guangxi = {
      "Department of Science and Technology of Guangxi Zhuang Autonomous Region",
      "广西壮族自治区科学技术厅"};

  add("PS-TTC-ASEAN", kPsTransfer, "China-ASEAN Technology Transfer Center",
      "中国-东盟技术转移中心", asean, {ttc, guangxi}, "2012-09-21",
      {"ASEAN Committee on Science, Technology and Innovation (COSTI)", "东盟科技创新委员会"});
  const struct {
    int country;
    const char* on;
  } centres[] = {{9, "2012-09-22"}, {4, "2013-09-03"}, {2, "2013-09-04"},
                 {3, "2014-09-16"}, {6, "2014-09-17"}, {10, "2015-09-18"},
                 {1, "2016-09-11"}, {5, "2017-09-12"}, {7, "2018-09-13"}};
  for (const auto& c : centres) {
    add(std::string("PS-TTC-") + kCountryTable[c.country].code, kPsTransfer,
        "China-" + short_en(c.country) + " Technology Transfer Center",
        "中国-" + short_zh(c.country) + "技术转移中心", {c.country},
        {ttc, first_institution(c.country)}, c.on, {guangxi.first, guangxi.second});
  }
  const struct {
    const char* id;
    std::vector<int> countries;
    const char* en;
    const char* zh;
    const char* lead_en;
    const char* lead_zh;
    const char* on;
  } labs[] = {
      {"PS-JL-RS",
       {9, 10, 5, 3},
       "China-ASEAN Joint Laboratory for Remote Sensing Applications",
       "中国-东盟遥感应用联合实验室",
       "Aerospace Information Research Institute, CAS",
       "中国科学院空天信息创新研究院",
       "2013-05-14"},
      {"PS-JL-TM",
       {9, 5, 3, 10},
       "China-ASEAN Joint Research Centre for Traditional Medicine",
       "中国-东盟传统医药联合研究中心",
       "China Academy of Chinese Medical Sciences",
       "中国中医科学院",
       "2014-06-10"},
      {"PS-JL-TH-RAIL",
       {9},
       "China-Thailand Joint Laboratory on Rail Transit Technology",
       "中国-泰国轨道交通技术联合实验室",
       "Southwest Jiaotong University",
       "西南交通大学",
       "2015-03-24"},
      {"PS-JL-MY-PALM",
       {5},
       "China-Malaysia Joint Laboratory on Palm Oil Biomass",
       "中国-马来西亚棕榈油生物质联合实验室",
       "Guangzhou Institute of Energy Conversion, CAS",
       "中国科学院广州能源研究所",
       "2015-07-07"},
      {"PS-JL-VN-CROP",
       {10},
       "China-Viet Nam Joint Laboratory for Crop Genetic Improvement",
       "中国-越南作物遗传改良联合实验室",
       "Guangxi Academy of Agricultural Sciences",
       "广西壮族自治区农业科学院",
       "2016-04-19"},
      {"PS-JL-KH-FOOD",
       {2},
       "China-Cambodia Joint Laboratory for Food Safety",
       "中国-柬埔寨食品安全联合实验室",
       "China National Center for Food Safety Risk Assessment",
       "国家食品安全风险评估中心",
       "2016-11-08"},
      {"PS-JL-LA-PLANT",
       {4},
       "China-Lao PDR Joint Laboratory for Plant Resources",
       "中国-老挝植物资源联合实验室",
       "Kunming Institute of Botany, CAS",
       "中国科学院昆明植物研究所",
       "2017-05-23"},
      {"PS-JL-MM-SEIS",
       {6},
       "China-Myanmar Joint Laboratory for Earthquake Monitoring",
       "中国-缅甸地震监测联合实验室",
       "China Earthquake Networks Center",
       "中国地震台网中心",
       "2017-08-15"},
      {"PS-JL-PH-TYPH",
       {7},
       "China-Philippines Joint Laboratory for Typhoon Disaster Reduction",
       "中国-菲律宾台风减灾联合实验室",
       "National Marine Environmental Forecasting Center",
       "国家海洋环境预报中心",
       "2018-05-29"},
      {"PS-JL-SG-CITY",
       {8},
       "China-Singapore Joint Laboratory for Smart Cities",
       "中国-新加坡智慧城市联合实验室",
       "Tsinghua University",
       "清华大学",
       "2019-03-12"},
      {"PS-JL-BN-MARINE",
       {1},
       "China-Brunei Joint Laboratory for Marine Biotechnology",
       "中国-文莱海洋生物技术联合实验室",
       "Xiamen University",
       "厦门大学",
       "2020-10-27"},
      {"PS-JL-ID-VOLC",
       {3},
       "China-Indonesia Joint Laboratory for Volcano and Earthquake Research",
       "中国-印度尼西亚火山与地震联合实验室",
       "China Earthquake Networks Center",
       "中国地震台网中心",
       "2021-06-22"},
  };
  for (const auto& l : labs) {
    add(l.id, kPsLab, l.en, l.zh, l.countries,
        {{l.lead_en, l.lead_zh}, first_institution(l.countries[0])}, l.on,
        first_institution(l.countries.back()));
  }
  const struct {
    int country;
    const char* en;
    const char* zh;
    const char* on;
  } parks[] = {
      {3, "China-Indonesia Science Park Cooperation Programme", "中国-印度尼西亚科技园区合作计划",
       "2013-10-08"},
      {9, "China-Thailand Science Park Cooperation Programme", "中国-泰国科技园区合作计划",
       "2014-11-11"},
      {5, "China-Malaysia Science Park Cooperation Programme", "中国-马来西亚科技园区合作计划",
       "2015-11-24"},
      {2, "China-Cambodia Agricultural Science and Technology Demonstration Park",
       "中国-柬埔寨农业科技示范园", "2016-12-06"},
      {4, "China-Lao PDR Agricultural Science and Technology Park", "中国-老挝农业科技园",
       "2017-11-21"},
      {10, "China-Viet Nam High-Tech Park Cooperation Programme", "中国-越南高新区合作计划",
       "2019-09-17"},
  };
  for (const auto& s : parks) {
    add(std::string("PS-SP-") + kCountryTable[s.country].code, kPsPark, s.en, s.zh, {s.country},
        {{"Torch High Technology Industry Development Center, MOST",
          "科技部火炬高技术产业开发中心"},
         first_institution(s.country)},
        s.on, {kPartnerInstitutions[s.country][1].en, kPartnerInstitutions[s.country][1].zh});
  }
  add("PS-TC-ASEAN", kPsTraining, "China-ASEAN Applicable Technology Training Centre",
      "中国-东盟适用技术培训中心", asean, {most, guangxi}, "2012-11-06",
      {"Yunnan Provincial Department of Science and Technology", "云南省科学技术厅"});
  add("PS-TC-RS", kPsTraining,
      "China-ASEAN Remote Sensing Satellite Data Sharing and Service Training Centre",
      "中国-东盟遥感卫星数据共享与服务培训中心", {9, 10, 3, 5, 7},
      {{"National Remote Sensing Center of China", "国家遥感中心"}}, "2013-11-19",
      first_institution(7));
  const struct {
    int country;
    const char* en;
    const char* zh;
    const char* on;
  } trainings[] = {
      {2, "China-Cambodia Agricultural Technology Training Centre", "中国-柬埔寨农业技术培训中心",
       "2014-05-20"},
      {4, "China-Lao PDR Rubber Technology Training Centre", "中国-老挝橡胶技术培训中心",
       "2015-10-13"},
      {6, "China-Myanmar Seismic Monitoring Training Centre", "中国-缅甸地震监测培训中心",
       "2016-08-30"},
      {10, "China-Viet Nam Clean Energy Training Centre", "中国-越南清洁能源培训中心",
       "2018-04-24"},
  };
  for (const auto& t : trainings) {
    add(std::string("PS-TC-") + kCountryTable[t.country].code, kPsTraining, t.en, t.zh, {t.country},
        {{"China Science and Technology Exchange Center", "中国科学技术交流中心"},
         first_institution(t.country)},
        t.on, {kPartnerInstitutions[t.country][1].en, kPartnerInstitutions[t.country][1].zh});
  }
  add("PS-FM-TTCI", kPsForum,
      "China-ASEAN Technology Transfer and Collaborative Innovation Conference",
      "中国-东盟技术转移与创新合作大会", asean, {ttc, guangxi}, "2013-09-04", most);
  add("PS-FM-YS", kPsForum, "China-ASEAN Young Scientists Forum", "中国-东盟青年科学家论坛", asean,
      {{"China Science and Technology Exchange Center", "中国科学技术交流中心"}}, "2014-09-15",
      ttc);
  add("PS-FM-IE", kPsForum, "China-ASEAN Innovation and Entrepreneurship Forum",
      "中国-东盟创新创业论坛", asean,
      {{"Torch High Technology Industry Development Center, MOST", "科技部火炬高技术产业开发中心"}},
      "2016-09-12", ttc);
  add("PS-FM-DIG", kPsForum, "China-ASEAN Digital Technology Forum", "中国-东盟数字技术论坛", asean,
      {{"Institute of Scientific and Technical Information of China", "中国科学技术信息研究所"}},
      "2020-09-08", ttc);

  // Larger histories hold more joint laboratories, one per 25,000 events.
  Rng rng(StreamSeed(options.seed, kAgendaStream, 1));
  const std::uint64_t extra = options.events / 25000;
  for (std::uint64_t i = 0; i < extra; ++i) {
    const int country = 1 + rng.Index(10);
    const Area& area = kAreas[6 + rng.Below(10)];
    const Name& topic = area.topics[rng.Below(area.topics.size())];
    const Name& lead = kLeadInstitutions[area.leads[rng.Below(area.leads.size())]];
    const std::int64_t on = DayOf("2013-01-01") + rng.Between(0, 12 * 365);
    add(Number("PS-JL-X%04llu", i + 1), kPsLab,
        "China-" + short_en(country) + " Joint Laboratory for " + topic.en,
        "中国-" + short_zh(country) + topic.zh + "联合实验室", {country},
        {{lead.en, lead.zh}, first_institution(country)}, "2013-01-01",
        {kPartnerInstitutions[country][1].en, kPartnerInstitutions[country][1].zh});
    partnerships.back().established_day = on;
  }
}

// ---------------------------------------------------------------------------
// The agenda.

void DemoHistory::Impl::PlanAgenda() {
  Rng rng(StreamSeed(options.seed, kAgendaStream));
  auto add = [&](Timestamp t, Act act, int a = 0, std::int64_t b = 0) {
    agenda.push_back(AgendaItem{t, act, a, b});
  };
  add(kGenesisAt, Act::kGenesis);

  // Officers: appointment and key, rotation every few years, removal.
  const struct {
    const char* officer;
    const char* on;
  } revocations[] = {{"sec-deputy-2", "2019-06-12"}, {"wg-ts-lead-1", "2023-03-07"}};
  for (int i = 0; i < static_cast<int>(officers.size()); ++i) {
    const OfficerDef& o = officers[i];
    if (!o.genesis) {
      add(o.from, Act::kAppoint, i);
      add(o.from + 30 * kMinute, Act::kRegisterKey, i);
    }
    if (o.to != kNever && !o.ends_with_body) add(o.to, Act::kRemove, i);
    std::vector<std::int64_t> revoked_days;
    for (const auto& r : revocations) {
      if (o.id == r.officer) {
        // The replacement key first, so the officer can always sign.
        add(At(r.on, 1), Act::kRegisterKey, i);
        add(At(r.on, 1, 30), Act::kRevokeOld, i);
        revoked_days.push_back(DayOf(r.on));
      }
    }
    for (int n = 1;; ++n) {
      const std::int64_t day =
          AddYears(o.from / kDay, n * o.rotate_every_years) + rng.Between(0, 20);
      const Timestamp t = At(day, 3) + rng.Between(0, 59) * kMinute;
      if (t >= kHorizon || (o.to != kNever && t >= o.to - 90 * kDay)) break;
      const bool near_revocation =
          std::any_of(revoked_days.begin(), revoked_days.end(),
                      [&](std::int64_t d) { return d > day - 30 && d < day + 30; });
      if (!near_revocation) add(t, Act::kRotate, i);
    }
  }

  // The bilateral mechanisms, one per member over the years; each with its
  // two co-chairs, their keys, a funding policy and the partnership itself.
  for (int c = 1; c < kCountries; ++c) {
    const int body = MechanismOf(c);
    const int cn = static_cast<int>(officers.size()) - 2 * (kCountries - 1) + 2 * (c - 1);
    const Timestamp from = officers[cn].from - kHour;
    add(from, Act::kConstitute, body);
    policies.push_back({bodies[body].id + "-funding",
                        body,
                        {"funding.*"},
                        1,
                        {kCoChair},
                        0,
                        kCNY,
                        PolicyUse::kMechanism,
                        c});
    add(from + 4 * kHour, Act::kAdoptPolicy, static_cast<int>(policies.size()) - 1);
    partnerships.push_back(
        {std::string("PS-BM-") + kCountryTable[c].code,
         kPsMechanism,
         bodies[body].name_en,
         bodies[body].name_zh,
         {kChina, c},
         {{kMinistries[kChina].en, kMinistries[kChina].zh}, {kMinistries[c].en, kMinistries[c].zh}},
         from / kDay + 1,
         {kPartnerInstitutions[c][0].en, kPartnerInstitutions[c][0].zh}});
  }

  // The task force for the China-ASEAN Year of Digital Economy Cooperation
  // (2020): constituted, meets twice, its policy repealed and the body
  // dissolved when the year is over.
  add(At("2019-11-20", 1), Act::kConstitute, kTaskForce);
  policies.push_back(
      {"tf-digital-economy-year-meetings", kTaskForce, {"governance.meeting_held"}, 1, {kLead}});
  const int task_force_policy = static_cast<int>(policies.size()) - 1;
  add(At("2019-11-20", 4), Act::kAdoptPolicy, task_force_policy);
  add(At("2020-03-18", 6), Act::kMeeting, kTaskForce, 1);
  add(At("2020-09-10", 6), Act::kMeeting, kTaskForce, 2);
  add(At("2021-01-14", 3), Act::kRepealPolicy, task_force_policy);
  add(At("2021-01-15", 3), Act::kDissolve, kTaskForce);

  // The Secretariat's ceiling is raised in 2018; its USD delegation ends in 2020.
  for (const char* id : {"sec-approvals-sg", "sec-approvals-deputy"}) {
    for (std::size_t p = 0; p < genesis_policies; ++p) {
      if (policies[p].id != id) continue;
      PolicyDef raised = policies[p];
      raised.ceiling = kSecretariatCeiling2018;
      policies.push_back(raised);
      add(At("2018-01-16", 2) + static_cast<Timestamp>(agenda.size() % 2) * kHour,
          Act::kAdoptPolicy, static_cast<int>(policies.size()) - 1);
    }
  }
  for (std::size_t p = 0; p < genesis_policies; ++p) {
    if (policies[p].use == PolicyUse::kSecretariatUsd) {
      add(At("2020-07-01", 2), Act::kRepealPolicy, static_cast<int>(p));
    }
  }

  add(kTimorLesteAdmittedAt, Act::kAdmit, kTimorLeste);

  // Meetings: the Joint Committee every autumn, the Joint Conference every
  // winter; each adopts the decisions its body took since the last one.
  for (int year = 2012; year <= 2026; ++year) {
    std::int64_t day = DayOf(std::to_string(year) + "-09-10") + rng.Between(0, 70);
    if (year == 2012) day = DayOf("2012-09-20");
    if (year == 2025) day = kTimorLesteAdmittedAt / kDay;
    add(At(day, 2), Act::kMeeting, kJointCommittee, year);
    add(At(day, 6), Act::kResolution, kJointCommittee, year);
    std::int64_t winter = DayOf(std::to_string(year) + "-01-10") + rng.Between(0, 45);
    if (year == 2012) winter = DayOf("2012-06-15");
    add(At(winter, 2), Act::kMeeting, kJointConference, year);
    add(At(winter, 6), Act::kResolution, kJointConference, year);
  }

  // Each partnership's life: established for five years, renewed before it
  // lapses, sometimes amended, suspended and resumed, or dissolved.
  for (int i = 0; i < static_cast<int>(partnerships.size()); ++i) {
    const PartnershipDef& ps = partnerships[i];
    const std::int64_t day = ps.established_day;
    const bool regional = ps.countries.size() > 2;
    const bool mechanism = ps.kind == kPsMechanism;
    std::int64_t suspend = 0, resume = 0, dissolve = 0;
    if (ps.id == "PS-SP-LA") {
      suspend = DayOf("2020-04-14");
      resume = DayOf("2021-10-19");
    } else if (!regional && !mechanism && rng.PerMille(150)) {
      suspend = day + rng.Between(500, 2500);
      resume = suspend + rng.Between(90, 400);
    }
    if (ps.id == "PS-FM-IE") {
      dissolve = DayOf("2022-05-17");
    } else if (!regional && !mechanism && rng.PerMille(120)) {
      dissolve = day + rng.Between(1200, 3500);
      if (suspend != 0 && dissolve <= resume + 30) dissolve = resume + rng.Between(30, 400);
    }
    const Timestamp end = dissolve != 0 ? At(dissolve, 0) : kHorizon;
    auto plan = [&](std::int64_t on, Act act, std::int64_t b = 0) {
      const Timestamp t = At(on, 4) + rng.Between(0, 240) * kMinute;
      if (t < end && t < kHorizon) add(t, act, i, b);
    };
    std::int64_t until = AddYears(day, 5);
    plan(day, Act::kPsEstablish, until);
    for (;;) {
      const std::int64_t renew = until - rng.Between(30, 120);
      if (At(renew, 23) >= end) break;
      until = AddYears(until, 5);
      plan(renew, Act::kPsRenew, until);
    }
    if (rng.PerMille(350)) plan(day + rng.Between(400, 1500), Act::kPsAmend, 0);
    if (ps.id == "PS-TTC-ASEAN") plan(DayOf("2025-12-02"), Act::kPsAmend, 1);
    if (ps.id == "PS-TC-ASEAN") plan(DayOf("2026-01-20"), Act::kPsAmend, 1);
    if (suspend != 0) {
      plan(suspend, Act::kPsSuspend);
      plan(resume, Act::kPsResume);
    }
    if (dissolve != 0 && At(dissolve, 4) < kHorizon) {
      add(At(dissolve, 4) + rng.Between(0, 240) * kMinute, Act::kPsDissolve, i);
    }
  }

  std::stable_sort(agenda.begin(), agenda.end(),
                   [](const AgendaItem& a, const AgendaItem& b) { return a.t < b.t; });
  while (!agenda.empty() && agenda.back().t >= kHorizon) agenda.pop_back();
}

// ---------------------------------------------------------------------------
// Sizing: how many projects fill the history to exactly `events` decisions.

std::uint64_t DemoHistory::Impl::CountProjectDecisions(std::uint32_t count) {
  ProjectSpec spec;
  std::uint64_t n = 0;
  for (std::uint32_t k = 0; k < count; ++k) {
    PlanProject(options.seed, k, count, &spec, &scratch);
    n += scratch.size();
  }
  return n;
}

void DemoHistory::Impl::SizeProjects() {
  total = std::max<std::uint64_t>(1, options.events);
  if (total <= agenda.size()) return;
  const std::uint64_t need = total - agenda.size();
  // A little more than needed is cut from the end (the last days of the
  // history); never less, so the history always reaches `events`.
  const std::uint64_t slack = std::max<std::uint64_t>(50, need / 200);
  std::uint64_t count = std::max<std::uint64_t>(1, need / 20);
  std::uint64_t got = CountProjectDecisions(static_cast<std::uint32_t>(count));
  for (int i = 0; i < 12 && (got < need || got - need > slack); ++i) {
    std::uint64_t next = need * count / std::max<std::uint64_t>(1, got) + 1;
    if (next == count) next = got < need ? count + 1 : count - 1;
    count = std::max<std::uint64_t>(1, next);
    got = CountProjectDecisions(static_cast<std::uint32_t>(count));
  }
  while (got < need) {
    count += 1 + (need - got) / 20;
    got = CountProjectDecisions(static_cast<std::uint32_t>(count));
  }
  project_count = static_cast<std::uint32_t>(count);
}

// ---------------------------------------------------------------------------
// Writing decisions.

int DemoHistory::Impl::Holder(int body, Role role, int country) const {
  for (std::size_t i = 0; i < officers.size(); ++i) {
    const OfficerDef& o = officers[i];
    const OfficerState& s = officer_state[i];
    if (o.body == body && o.role == role && (country < 0 || o.country == country) && s.appointed &&
        !s.ended && s.key) {
      return static_cast<int>(i);
    }
  }
  throw std::logic_error("demo: no " + std::string(kRoleNames[role]) + " in office in " +
                         bodies[body].id);
}

void DemoHistory::Impl::Write(std::vector<SignedDecision>* batch, Timestamp t, const char* type,
                              int body, Value::Object payload, const std::vector<int>& signers) {
  SignedDecision d;
  d.decision.type = type;
  d.decision.body = bodies[body].id;
  d.decision.issued_at = t;
  const int year = YearOf(t);
  auto& counter = counters[body][static_cast<std::size_t>(year - 2012)];
  d.decision.id = bodies[body].id + "-" + std::to_string(year) + "-" + Number("%06llu", ++counter);
  d.decision.payload = Value(std::move(payload));
  for (int s : signers) ledger::Sign(&d, *officer_state[s].key);
  if ((body == kJointCommittee || body == kJointConference) &&
      std::string_view(type) != "governance.meeting_held" &&
      std::string_view(type) != "governance.resolution_adopted" && to_adopt[body].size() < 12) {
    to_adopt[body].push_back(d.decision.id);
  }
  if (std::string_view(type) == "governance.meeting_held") last_meeting[body] = d.decision.id;
  batch->push_back(std::move(d));
  ++produced;
}

Value DemoHistory::Impl::PolicyValue(const PolicyDef& p) const {
  Value::Array types(p.types.begin(), p.types.end());
  Value::Array roles;
  for (Role r : p.roles) roles.emplace_back(kRoleNames[r]);
  Value ceiling = nullptr;
  if (p.ceiling != 0) {
    ceiling = Value(
        Value::Object{{"amount", p.ceiling}, {"currency", kCurrencies[p.ceiling_currency].code}});
  }
  return Value(Value::Object{{"policy_id", p.id},
                             {"body_id", bodies[p.body].id},
                             {"types", std::move(types)},
                             {"min_signatures", p.min_signatures},
                             {"required_roles", std::move(roles)},
                             {"ceiling", std::move(ceiling)}});
}

Value DemoHistory::Impl::PartnersValue(const ProjectSpec& p, int count) const {
  Value::Array partners;
  for (int i = 0; i < count; ++i) {
    const Partner& partner = p.partners[i];
    partners.emplace_back(Value::Object{
        {"institution", TextValue(kPartnerInstitutions[partner.country][partner.institution])},
        {"country", kCountryTable[partner.country].code}});
  }
  return Value(std::move(partners));
}

namespace {

Value::Object KeyPayload(const crypto::PrivateKey& key) {
  return {{"key_id", key.public_key().key_id()}, {"public_key", ToBase64(key.public_key().raw())}};
}

}  // namespace

void DemoHistory::Impl::EmitAgenda(const AgendaItem& item, std::vector<SignedDecision>* batch) {
  const Timestamp t = NextIssuedAt(item.t);
  switch (item.act) {
    case Act::kGenesis: {
      Value::Array members, body_list, officer_list, keys, policy_list;
      for (int c = 0; c < kTimorLeste; ++c) {
        members.emplace_back(Value::Object{{"country", kCountryTable[c].code},
                                           {"name", TextValue(kCountryTable[c].name)}});
      }
      for (int b = kJointCommittee; b <= kWgTransfer; ++b) {
        Value::Object o{{"body_id", bodies[b].id},
                        {"kind", bodies[b].kind},
                        {"name", TextValue(bodies[b].name_en, bodies[b].name_zh)}};
        if (bodies[b].parent >= 0) o.emplace_back("parent_id", bodies[bodies[b].parent].id);
        body_list.emplace_back(std::move(o));
      }
      for (std::size_t i = 0; i < officers.size(); ++i) {
        const OfficerDef& o = officers[i];
        if (!o.genesis) continue;
        OfficerState& s = officer_state[i];
        s.appointed = true;
        s.key = KeyOf(static_cast<int>(i), 0);
        s.key_id = s.key->public_key().key_id();
        officer_list.emplace_back(Value::Object{{"officer_id", o.id},
                                                {"body_id", bodies[o.body].id},
                                                {"role", kRoleNames[o.role]},
                                                {"name", TextValue(o.name_en, o.name_zh)},
                                                {"country", kCountryTable[o.country].code}});
        Value::Object key = KeyPayload(*s.key);
        key.emplace_back("officer_id", o.id);
        keys.emplace_back(std::move(key));
      }
      for (std::size_t p = 0; p < genesis_policies; ++p)
        policy_list.push_back(PolicyValue(policies[p]));
      Write(batch, t, "governance.genesis", kJointCommittee,
            {{"programme", TextValue("China-ASEAN Science and Technology Partnership Programme",
                                     "中国-东盟科技伙伴计划")},
             {"members", std::move(members)},
             {"bodies", std::move(body_list)},
             {"officers", std::move(officer_list)},
             {"keys", std::move(keys)},
             {"policies", std::move(policy_list)}},
            JointCommittee());
      return;
    }
    case Act::kAppoint: {
      const OfficerDef& o = officers[item.a];
      Write(batch, t, "governance.officer_appointed", kJointCommittee,
            {{"officer_id", o.id},
             {"body_id", bodies[o.body].id},
             {"role", kRoleNames[o.role]},
             {"name", TextValue(o.name_en, o.name_zh)},
             {"country", kCountryTable[o.country].code}},
            JointCommittee());
      officer_state[item.a].appointed = true;
      return;
    }
    case Act::kRegisterKey: {
      OfficerState& s = officer_state[item.a];
      if (s.key) {
        s.old_key_id = s.key_id;
        ++s.generation;
      }
      crypto::PrivateKey key = KeyOf(item.a, s.generation);
      Value::Object payload = KeyPayload(key);
      payload.emplace_back("officer_id", officers[item.a].id);
      Write(batch, t, "governance.key_registered", kJointCommittee, std::move(payload),
            JointCommittee());
      s.key_id = key.public_key().key_id();
      s.key = std::move(key);
      return;
    }
    case Act::kRevokeOld: {
      OfficerState& s = officer_state[item.a];
      Write(batch, t, "governance.key_revoked", kJointCommittee,
            {{"key_id", s.old_key_id},
             {"reason", item.a % 2 == 0 ? "device holding the key was stolen"
                                        : "key material exposed in a misconfigured backup"}},
            JointCommittee());
      s.old_key_id.clear();
      return;
    }
    case Act::kRotate: {
      OfficerState& s = officer_state[item.a];
      crypto::PrivateKey key = KeyOf(item.a, s.generation + 1);
      // Signed with the old key when the officer is a co-chair: it is active
      // until this decision retires it.
      Write(batch, t, "governance.key_rotated", kJointCommittee,
            {{"key_id", s.key_id},
             {"new_key_id", key.public_key().key_id()},
             {"public_key", ToBase64(key.public_key().raw())}},
            JointCommittee());
      ++s.generation;
      s.key_id = key.public_key().key_id();
      s.key = std::move(key);
      return;
    }
    case Act::kRemove: {
      const OfficerDef& o = officers[item.a];
      std::string successor;
      for (const OfficerDef& other : officers) {
        if (other.body == o.body && other.role == o.role && other.from == o.to - kDay) {
          successor = other.name_en;
        }
      }
      Write(batch, t, "governance.officer_removed", kJointCommittee,
            {{"officer_id", o.id},
             {"reason", successor.empty() ? std::string("term of office ended")
                                          : "term of office ended; succeeded by " + successor}},
            JointCommittee());
      officer_state[item.a].ended = true;
      return;
    }
    case Act::kConstitute: {
      const BodyDef& b = bodies[item.a];
      Value::Object payload{
          {"body_id", b.id}, {"kind", b.kind}, {"name", TextValue(b.name_en, b.name_zh)}};
      if (b.parent >= 0) payload.emplace_back("parent_id", bodies[b.parent].id);
      if (b.country >= 0) payload.emplace_back("country", kCountryTable[b.country].code);
      Write(batch, t, "governance.body_constituted", kJointCommittee, std::move(payload),
            JointCommittee());
      return;
    }
    case Act::kAdoptPolicy: {
      const PolicyDef& p = policies[item.a];
      Write(batch, t, "governance.policy_adopted", kJointCommittee,
            Value::Object(PolicyValue(p).as_object()), JointCommittee());
      if (p.use == PolicyUse::kSecretariatCny) secretariat_ceiling = p.ceiling;
      if (p.use == PolicyUse::kMechanism) mechanism_ready[p.country] = true;
      return;
    }
    case Act::kRepealPolicy: {
      const PolicyDef& p = policies[item.a];
      Write(batch, t, "governance.policy_repealed", kJointCommittee,
            {{"policy_id", p.id},
             {"reason", p.use == PolicyUse::kSecretariatUsd
                            ? "USD-denominated approvals and funding move to the Joint Conference"
                            : "the task force completes its mandate"}},
            JointCommittee());
      if (p.use == PolicyUse::kSecretariatUsd) secretariat_usd = false;
      return;
    }
    case Act::kDissolve: {
      Write(batch, t, "governance.body_dissolved", kJointCommittee,
            {{"body_id", bodies[item.a].id},
             {"reason", "the Year of Digital Economy Cooperation has ended"}},
            JointCommittee());
      for (std::size_t i = 0; i < officers.size(); ++i) {
        if (officers[i].body == item.a) officer_state[i].ended = true;
      }
      return;
    }
    case Act::kAdmit: {
      Write(batch, t, "governance.member_admitted", kJointCommittee,
            {{"country", kCountryTable[item.a].code},
             {"name", TextValue(kCountryTable[item.a].name)}},
            JointCommittee());
      return;
    }
    case Act::kMeeting: {
      const int body = item.a;
      const std::string year = std::to_string(item.b);
      if (body == kTaskForce) {
        Write(batch, t, "governance.meeting_held", body,
              {{"meeting_id", "tf-digital-economy-year-meeting-2020-" + year},
               {"held_on", DateOf(t)},
               {"location", item.b == 1 ? "videoconference" : "Nanning, China"},
               {"title", TextValue("Task Force for the Year of Digital Economy Cooperation, "
                                   "meeting " +
                                       year + " of 2020",
                                   "数字经济合作年工作组2020年第" + year + "次会议")}},
              {Holder(kTaskForce, kLead)});
        return;
      }
      static const char* const kCommitteeVenues[] = {
          "Nanning, China",         "Bangkok, Thailand",      "Beijing, China",
          "Kuala Lumpur, Malaysia", "Nanning, China",         "Manila, Philippines",
          "Beijing, China",         "Hanoi, Viet Nam",        "videoconference",
          "videoconference",        "Phnom Penh, Cambodia",   "Nanning, China",
          "Vientiane, Lao PDR",     "Kuala Lumpur, Malaysia", "Manila, Philippines"};
      static const char* const kConferenceVenues[] = {"Beijing, China", "Nanning, China",
                                                      "Kunming, China"};
      const bool committee = body == kJointCommittee;
      Write(batch, t, "governance.meeting_held", body,
            {{"meeting_id", (committee ? "jc-meeting-" : "jconf-meeting-") + year},
             {"held_on", DateOf(t)},
             {"location",
              committee ? kCommitteeVenues[item.b - 2012] : kConferenceVenues[item.b % 3]},
             {"title", committee
                           ? TextValue("Joint Committee on S&T Cooperation, annual meeting " + year,
                                       "中国-东盟科技合作联委会" + year + "年度会议")
                           : TextValue("Joint Conference on S&T Cooperation with ASEAN, "
                                       "annual coordination meeting " +
                                           year,
                                       "中国对东盟科技合作联席会" + year + "年度协调会议")}},
            committee ? JointCommittee() : JointConference());
      return;
    }
    case Act::kResolution: {
      const int body = item.a;
      const bool committee = body == kJointCommittee;
      const std::string year = std::to_string(item.b);
      Value::Array adopts(to_adopt[body].begin(), to_adopt[body].end());
      if (adopts.empty()) adopts.emplace_back(last_meeting[body]);
      to_adopt[body].clear();
      Write(
          batch, t, "governance.resolution_adopted", body,
          {{"resolution_id", (committee ? "jc-resolution-" : "jconf-resolution-") + year},
           {"meeting_id", (committee ? "jc-meeting-" : "jconf-meeting-") + year},
           {"title", committee ? TextValue("Decisions of the Joint Committee confirmed in " + year,
                                           "联委会" + year + "年度决定确认")
                               : TextValue("Funding decisions of the Joint Conference confirmed "
                                           "in " +
                                               year,
                                           "联席会" + year + "年度资金决定确认")},
           {"adopts", std::move(adopts)}},
          committee ? JointCommittee() : JointConference());
      return;
    }
    case Act::kPsEstablish: {
      const PartnershipDef& ps = partnerships[item.a];
      PartnershipState& state = partnership_state[item.a];
      state.countries = ps.countries;
      state.institutions = ps.institutions;
      Value::Array countries, institutions;
      for (int c : state.countries) countries.emplace_back(kCountryTable[c].code);
      for (const auto& [en, zh] : state.institutions) institutions.push_back(TextValue(en, zh));
      Write(batch, t, "partnership.established", kJointCommittee,
            {{"partnership_id", ps.id},
             {"kind", kPartnershipKinds[ps.kind]},
             {"name", TextValue(ps.name_en, ps.name_zh)},
             {"countries", std::move(countries)},
             {"institutions", std::move(institutions)},
             {"established_on", DateOf(t)},
             {"until", DateText(item.b)}},
            JointCommittee());
      return;
    }
    case Act::kPsRenew:
      Write(batch, t, "partnership.renewed", kJointCommittee,
            {{"partnership_id", partnerships[item.a].id}, {"until", DateText(item.b)}},
            JointCommittee());
      return;
    case Act::kPsAmend: {
      const PartnershipDef& ps = partnerships[item.a];
      PartnershipState& state = partnership_state[item.a];
      Value::Object payload{{"partnership_id", ps.id}};
      if (item.b == 1) {
        state.countries.push_back(kTimorLeste);
        Value::Array countries;
        for (int c : state.countries) countries.emplace_back(kCountryTable[c].code);
        payload.emplace_back("countries", std::move(countries));
      } else {
        state.institutions.push_back(ps.joining);
        Value::Array institutions;
        for (const auto& [en, zh] : state.institutions) institutions.push_back(TextValue(en, zh));
        payload.emplace_back("institutions", std::move(institutions));
      }
      Write(batch, t, "partnership.amended", kJointCommittee, std::move(payload), JointCommittee());
      return;
    }
    case Act::kPsSuspend:
    case Act::kPsResume:
    case Act::kPsDissolve: {
      const bool pandemic = YearOf(t) == 2020 || YearOf(t) == 2021;
      const char* type = item.act == Act::kPsSuspend  ? "partnership.suspended"
                         : item.act == Act::kPsResume ? "partnership.resumed"
                                                      : "partnership.dissolved";
      const char* reason =
          item.act == Act::kPsSuspend
              ? (pandemic ? kPandemicReason : "host institution under restructuring")
          : item.act == Act::kPsResume
              ? (pandemic ? "travel restrictions lifted" : "restructuring completed")
              : (partnerships[item.a].kind == kPsForum
                     ? "merged into the China-ASEAN Technology Transfer and Collaborative "
                       "Innovation Conference"
                     : "objectives achieved; cooperation continues under project funding");
      Write(batch, t, type, kJointCommittee,
            {{"partnership_id", partnerships[item.a].id}, {"reason", reason}}, JointCommittee());
      return;
    }
  }
}

void DemoHistory::Impl::EmitProjectStep(LiveProject& live_project, const Step& s,
                                        std::vector<SignedDecision>* batch) {
  const ProjectSpec& p = live_project.spec;
  const Timestamp t = NextIssuedAt(s.t);
  const std::string project_id = ProjectId(p);
  const std::string currency = kCurrencies[p.budget_currency].code;
  const int working_group = WorkingGroupOf(p);
  auto reason = [](const char* const* table, int n) { return std::string(table[n]); };
  switch (s.kind) {
    case StepKind::kProposed: {
      const Area& area = kAreas[p.area];
      const Mode& mode = kModes[p.mode];
      const Name& topic = area.topics[p.topic];
      const bool bilateral = p.partner_count == 1;
      const Country& partner = kCountryTable[p.partners[0].country];
      const std::string side_en = bilateral ? partner.short_name.en : "ASEAN";
      const std::string side_zh = bilateral ? partner.short_name.zh : "东盟";
      Write(batch, t, "project.proposed", kSecretariat,
            {{"project_id", project_id},
             {"title", TextValue("China-" + side_en + " " + mode.en_prefix + " " + topic.en,
                                 "中国-" + side_zh + topic.zh + mode.zh_suffix)},
             {"priority_area", area.code},
             {"mode", mode.code},
             {"lead_institution", TextValue(kLeadInstitutions[p.lead])},
             {"partners", PartnersValue(p, p.partner_count)},
             {"budget", Value::Object{{"amount", p.budget}, {"currency", currency}}},
             {"start_date", DateText(p.start_day)},
             {"end_date", DateText(p.end_day)}},
            SecretariatOfficer());
      return;
    }
    case StepKind::kApproved: {
      Value::Object payload{
          {"project_id", project_id},
          {"budget", Value::Object{{"amount", p.approved_budget}, {"currency", currency}}}};
      if (p.budget_currency == kCNY && p.approved_budget <= secretariat_ceiling) {
        Write(batch, t, "project.approved", kSecretariat, std::move(payload), SecretariatOfficer());
      } else if (p.budget_currency == kUSD && secretariat_usd &&
                 p.approved_budget <= kSecretariatUsdCeiling) {
        Write(batch, t, "project.approved", kSecretariat, std::move(payload),
              {Holder(kSecretariat, kSecretaryGeneral)});
      } else {
        Write(batch, t, "project.approved", kJointCommittee, std::move(payload), JointCommittee());
      }
      return;
    }
    case StepKind::kRejected:
      Write(batch, t, "project.rejected", kSecretariat,
            {{"project_id", project_id}, {"reason", reason(kRejectionReasons, s.n)}},
            SecretariatOfficer());
      return;
    case StepKind::kStarted:
      Write(batch, t, "project.started", kSecretariat,
            {{"project_id", project_id}, {"started_on", DateOf(t)}}, SecretariatOfficer());
      return;
    case StepKind::kMilestone: {
      const char* milestone = kMilestones[(s.n * 2 + p.mode) % std::size(kMilestones)];
      const Partner& partner = p.partners[s.n % p.partner_count];
      Write(batch, t, "project.milestone_reported", working_group,
            {{"project_id", project_id},
             {"milestone", Number("M%llu: ", s.n + 1u) + milestone},
             {"summary", std::string(milestone) + " with " +
                             kPartnerInstitutions[partner.country][partner.institution].en},
             {"reached_on", DateOf(t)}},
            {Holder(working_group, kLead)});
      return;
    }
    case StepKind::kAmended: {
      Value::Object payload{{"project_id", project_id}};
      if (p.amendment & kAmendEnd) payload.emplace_back("end_date", DateText(p.amended_end_day));
      if (p.amendment & kAmendBudget) {
        payload.emplace_back("budget",
                             Value::Object{{"amount", p.amended_budget}, {"currency", currency}});
      }
      if (p.amendment & kAmendPartners) {
        payload.emplace_back("partners", PartnersValue(p, p.partner_count + 1));
      }
      Write(batch, t, "project.amended", kJointCommittee, std::move(payload), JointCommittee());
      return;
    }
    case StepKind::kSuspended:
    case StepKind::kResumed: {
      const bool pandemic = YearOf(t) == 2020 || YearOf(t) == 2021;
      const bool suspended = s.kind == StepKind::kSuspended;
      std::string why =
          suspended ? (pandemic ? std::string(kPandemicReason) : reason(kSuspensionReasons, s.n))
                    : (pandemic ? std::string("travel restrictions lifted")
                                : reason(kResumptionReasons, s.n));
      Write(batch, t, suspended ? "project.suspended" : "project.resumed", kSecretariat,
            {{"project_id", project_id}, {"reason", std::move(why)}}, SecretariatOfficer());
      return;
    }
    case StepKind::kCompleted:
      Write(batch, t, "project.completed", kSecretariat,
            {{"project_id", project_id}, {"completed_on", DateOf(t)}}, SecretariatOfficer());
      return;
    case StepKind::kTerminated:
      Write(batch, t, "project.terminated", kJointCommittee,
            {{"project_id", project_id}, {"reason", reason(kTerminationReasons, s.n)}},
            JointCommittee());
      return;
    case StepKind::kEvaluated:
      Write(batch, t, "project.evaluated", working_group,
            {{"project_id", project_id},
             {"rating", kRatings[s.n]},
             {"summary", reason(kEvaluationSummaries, s.n)}},
            {Holder(working_group, kLead)});
      return;
    default:
      break;
  }

  // Funding: which body decides depends on the source, the currency, the
  // amount and the delegations in force when it is decided.
  const CommitmentPlan& c = p.commitments[s.commitment];
  const std::string commitment_id = CommitmentId(p, s.commitment);
  const std::string money = kCurrencies[c.currency].code;
  int body = kJointConference;
  std::vector<int> signers;
  const bool adjustment = s.kind == StepKind::kReduced || s.kind == StepKind::kCancelled ||
                          s.kind == StepKind::kReturned;
  if (s.kind == StepKind::kExpenditure) {
    body = working_group;
    signers = {Holder(working_group, kLead)};
  } else if (c.source == kPartnerGovernment) {
    if (mechanism_ready[c.party]) {
      body = MechanismOf(c.party);
      signers = {Holder(body, kCoChair, c.party)};
    } else {
      body = kJointCommittee;
      signers = JointCommittee();
    }
  } else if (adjustment) {
    if (c.currency == kCNY && c.amount <= secretariat_ceiling) {
      body = kSecretariat;
      signers = SecretariatOfficer();
    } else {
      signers = JointConference();
    }
  } else if (c.currency == kCNY && s.amount <= secretariat_ceiling) {
    body = kSecretariat;
    signers = SecretariatOfficer();
  } else if (c.currency == kUSD && secretariat_usd && s.amount <= kSecretariatUsdCeiling) {
    body = kSecretariat;
    signers = {Holder(kSecretariat, kSecretaryGeneral)};
  } else {
    signers = JointConference();
  }

  switch (s.kind) {
    case StepKind::kCommitted: {
      Value::Object payload{{"commitment_id", commitment_id},
                            {"project_id", project_id},
                            {"source", kSourceNames[c.source]},
                            {"amount", s.amount},
                            {"currency", money},
                            {"year", YearOf(t)}};
      if (c.source == kPrivate) {
        payload.emplace_back("party_name", TextValue(kPrivateFunders[c.party].name));
      } else {
        payload.emplace_back("party", kCountryTable[c.party].code);
      }
      Write(batch, t, "funding.committed", body, std::move(payload), signers);
      return;
    }
    case StepKind::kDisbursed:
      Write(batch, t, "funding.disbursed", body,
            {{"commitment_id", commitment_id},
             {"tranche_id", Number("T%llu", s.n)},
             {"amount", s.amount},
             {"currency", money},
             {"disbursed_on", DateOf(t)}},
            signers);
      return;
    case StepKind::kReduced:
      Write(batch, t, "funding.reduced", body,
            {{"commitment_id", commitment_id},
             {"amount", s.amount},
             {"reason", reason(kReductionReasons, s.n)}},
            signers);
      return;
    case StepKind::kCancelled:
      Write(batch, t, "funding.cancelled", body,
            {{"commitment_id", commitment_id}, {"reason", reason(kCancellationReasons, s.n)}},
            signers);
      return;
    case StepKind::kReturned:
      Write(batch, t, "funding.returned", body,
            {{"commitment_id", commitment_id},
             {"amount", s.amount},
             {"currency", money},
             {"reason", reason(kReturnReasons, s.n)}},
            signers);
      return;
    case StepKind::kExpenditure: {
      // The half-year before the report, or the year to date.
      const int year = YearOf(t);
      const bool first_half = DateOf(t).substr(5, 2) <= "06";
      const std::string period =
          s.n == 0 ? (first_half ? std::to_string(year - 1) + "-H2" : std::to_string(year) + "-H1")
                   : std::to_string(year);
      Write(batch, t, "funding.expenditure_reported", body,
            {{"commitment_id", commitment_id},
             {"amount", s.amount},
             {"currency", money},
             {"period", period}},
            signers);
      return;
    }
    default:
      throw std::logic_error("demo: unplanned step");
  }
}

bool DemoHistory::Impl::Emit(std::vector<SignedDecision>* batch) {
  for (;;) {
    const Timestamp next_agenda_at = next_agenda < agenda.size() ? agenda[next_agenda].t : kNever;
    if (next_project < project_count && next_project_at == kNever) {
      Rng rng(StreamSeed(options.seed, kProjectStream, next_project));
      next_project_at = ProposalTime(rng, next_project, project_count);
    }
    const Timestamp next_step_at = pending.empty() ? kNever : pending.top().t;
    if (next_agenda_at == kNever && next_project_at == kNever && next_step_at == kNever) {
      return false;
    }
    if (next_agenda_at <= next_project_at && next_agenda_at <= next_step_at) {
      EmitAgenda(agenda[next_agenda++], batch);
      return true;
    }
    if (next_project_at <= next_step_at) {
      // A new project: plan its whole life, then write its steps in turn.
      std::uint32_t slot;
      if (free_slots.empty()) {
        slot = static_cast<std::uint32_t>(live.size());
        live.emplace_back();
      } else {
        slot = free_slots.back();
        free_slots.pop_back();
      }
      LiveProject& p = live[slot];
      PlanProject(options.seed, next_project, project_count, &p.spec, &p.steps);
      p.next = 0;
      pending.push(Pending{p.steps[0].t, slot});
      ++next_project;
      next_project_at = kNever;
      continue;
    }
    const Pending top = pending.top();
    pending.pop();
    LiveProject& p = live[top.slot];
    EmitProjectStep(p, p.steps[p.next], batch);
    if (++p.next < p.steps.size()) {
      pending.push(Pending{p.steps[p.next].t, top.slot});
    } else {
      p.steps.clear();
      p.steps.shrink_to_fit();
      free_slots.push_back(top.slot);
    }
    return true;
  }
}

// ---------------------------------------------------------------------------

DemoHistory::DemoHistory(const DemoOptions& options) : impl_(std::make_unique<Impl>(options)) {
  Impl& m = *impl_;
  m.DefineGovernance();
  m.genesis_policies = m.policies.size();
  m.DefinePartnerships();
  m.PlanAgenda();
  m.officer_state.resize(m.officers.size());
  m.mechanism_ready.assign(kCountries, false);
  m.partnership_state.resize(m.partnerships.size());
  m.counters.assign(m.bodies.size(), std::vector<std::uint32_t>(2100 - 2012, 0));
  m.to_adopt.resize(m.bodies.size());
  m.last_meeting.resize(m.bodies.size());
  m.SizeProjects();
}

DemoHistory::~DemoHistory() = default;

std::uint64_t DemoHistory::size() const { return impl_->total; }
std::uint64_t DemoHistory::produced() const { return impl_->produced; }

std::size_t DemoHistory::Next(std::vector<SignedDecision>* batch, std::size_t max) {
  std::size_t n = 0;
  while (n < max && impl_->produced < impl_->total && impl_->Emit(batch)) ++n;
  return n;
}

std::vector<DemoOfficer> DemoHistory::Officers() const {
  std::vector<DemoOfficer> out;
  for (std::size_t i = 0; i < impl_->officers.size(); ++i) {
    const OfficerDef& o = impl_->officers[i];
    const OfficerState& s = impl_->officer_state[i];
    if (s.appointed && !s.ended && s.key) {
      out.push_back(DemoOfficer{o.id, impl_->bodies[o.body].id, kRoleNames[o.role], *s.key});
    }
  }
  return out;
}

crypto::PrivateKey DemoHistory::OfficerKey(std::uint64_t seed, std::string_view officer_id,
                                           std::uint32_t generation) {
  std::string material = "partnership-ledger demo key";
  for (int shift = 56; shift >= 0; shift -= 8) {
    material.push_back(static_cast<char>((seed >> shift) & 0xff));
  }
  material.append(officer_id);
  for (int shift = 24; shift >= 0; shift -= 8) {
    material.push_back(static_cast<char>((generation >> shift) & 0xff));
  }
  const crypto::Hash seed32 = crypto::Sha256(AsBytes(material));
  auto key = crypto::PrivateKey::FromSeed(seed32);
  if (!key.ok()) throw std::logic_error("demo: " + key.status().ToString());
  return std::move(*key);
}

}  // namespace pl::ctl
