// The IATI 2.03 activity file (docs/iati.md has the mapping, element by
// element). Element order follows iati-activities-schema.xsd, whose
// sequences are strict.
#include "iati.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "ledger/time.h"

namespace pl::ctl {
namespace {

using projections::Commitment;
using projections::ProgrammeState;
using projections::Project;
using projections::Text;

// --- XML text --------------------------------------------------------------

// Escaped for both text and attribute values. Characters XML 1.0 cannot carry
// at all (C0 controls other than tab, newline, carriage return) become U+FFFD.
std::string Xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

// <narrative> in English (the activity's default language), then in Chinese
// when the text has it.
void Narratives(std::ostream& out, const Text& text, const char* indent) {
  out << indent << "<narrative>" << Xml(text.en) << "</narrative>\n";
  if (!text.zh.empty()) {
    out << indent << "<narrative xml:lang=\"zh\">" << Xml(text.zh) << "</narrative>\n";
  }
}

// --- Codes and names ---------------------------------------------------------

struct Name {
  const char* en;
  const char* zh;
};

// The programme's own codes (../shared/domain.md), reported as IATI sector
// vocabulary 99, "reporting organisation".
const std::map<std::string, Name, std::less<>> kPriorityAreas = {
    {"A1", {"National S&T development strategy", "国家科技发展战略"}},
    {"A2", {"Design and management of major S&T programmes", "重大科技计划设计与管理"}},
    {"A3", {"S&T plans for key industries", "重点产业科技规划"}},
    {"A4", {"Science parks and incubators", "科技园区与孵化器"}},
    {"A5",
     {"Innovation, entrepreneurship and industry-university-research cooperation policy",
      "创新创业与产学研合作政策"}},
    {"A6", {"S&T statistics and evaluation", "科技统计与评估"}},
    {"B1", {"Agriculture", "农业"}},
    {"B2", {"Food", "食品"}},
    {"B3", {"Life sciences and health", "生命科学与健康"}},
    {"B4", {"Disaster prevention and mitigation", "防灾减灾"}},
    {"B5", {"Water resources", "水资源"}},
    {"B6", {"Environment and energy", "环境与能源"}},
    {"B7", {"Equipment manufacturing", "装备制造"}},
    {"B8", {"Materials", "材料"}},
    {"B9", {"Information technology", "信息技术"}},
    {"B10", {"Space technology and applications", "空间技术及应用"}},
};

const std::map<std::string, Name, std::less<>> kModes = {
    {"M1", {"Policy consultation", "政策咨询"}},
    {"M2", {"Technical services", "技术服务"}},
    {"M3", {"Human resources development", "人力资源开发"}},
    {"M4", {"Joint research", "联合研究"}},
    {"M5", {"Joint laboratories and joint research centres", "联合实验室与联合研究中心"}},
    {"M6", {"Science parks and demonstration bases", "科技园区与示范基地"}},
    {"M7", {"Technology transfer", "技术转移"}},
};

Name Lookup(const std::map<std::string, Name, std::less<>>& names, const std::string& code) {
  auto it = names.find(code);
  return it == names.end() ? Name{code.c_str(), ""} : it->second;
}

// IATI ActivityStatus. A completed project is in finalisation (3) while money
// is still owed to it or unaccounted for, closed (4) once every commitment is
// cancelled, or fully disbursed with the disbursed money spent or returned.
std::string_view ActivityStatus(const Project& p, const std::vector<const Commitment*>& funding) {
  if (p.status == "proposed") return "1";
  if (p.status == "approved" || p.status == "active") return "2";
  if (p.status == "suspended") return "6";
  if (p.status == "rejected" || p.status == "terminated") return "5";
  if (p.status == "completed") {
    for (const Commitment* c : funding) {
      const bool settled = c->closed || c->disbursed == c->committed;
      if (!settled || c->spent + c->returned < c->disbursed) return "3";
    }
    return "4";
  }
  return "1";
}

// Decimal places of a currency's minor unit (ISO 4217): 2 unless listed.
int MinorDigits(std::string_view currency) {
  static const std::set<std::string_view> kNone = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                   "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                   "VND", "VUV", "XAF", "XOF", "XPF"};
  static const std::set<std::string_view> kThree = {"BHD", "IQD", "JOD", "KWD",
                                                    "LYD", "OMR", "TND"};
  if (kNone.count(currency)) return 0;
  if (kThree.count(currency)) return 3;
  return 2;
}

// An integer count of 10^-digits as an exact xsd:decimal: (1234567, 2) -> 12345.67.
std::string Decimal(std::int64_t minor, int digits) {
  std::string sign = minor < 0 ? "-" : "";
  std::string n = std::to_string(minor < 0 ? -static_cast<std::uint64_t>(minor)
                                           : static_cast<std::uint64_t>(minor));
  if (digits == 0) return sign + n;
  if (n.size() <= static_cast<std::size_t>(digits)) {
    n.insert(0, static_cast<std::size_t>(digits) + 1 - n.size(), '0');
  }
  n.insert(n.size() - static_cast<std::size_t>(digits), ".");
  return sign + n;
}

// Minor units in major units of the currency: 1234567 CNY -> 12345.67.
std::string Amount(std::int64_t minor, std::string_view currency) {
  return Decimal(minor, MinorDigits(currency));
}

std::string Date(ledger::Timestamp t) { return ledger::FormatTimestamp(t).substr(0, 10); }

// --- What only the log keeps ----------------------------------------------------

struct Dated {
  std::int64_t amount = 0;
  std::string date;  // YYYY-MM-DD
  std::string note;  // the transaction's description
};

struct FundingHistory {
  std::vector<Dated> commitments;  // committed, then each reduction or cancellation (negative)
  std::vector<Dated> returns;      // funding.returned, as negative disbursements
  std::vector<Dated> expenditures;
};

struct ProjectHistory {
  std::string actual_start;  // project.started
  std::string actual_end;    // project.completed, or the day it was terminated
};

struct History {
  std::map<std::string, FundingHistory> funding;
  std::map<std::string, ProjectHistory> projects;
};

const std::string& Field(const ledger::Value& payload, std::string_view name) {
  static const std::string kNone;
  const ledger::Value* v = payload.find(name);
  return v && v->kind() == ledger::Value::Kind::kString ? v->as_string() : kNone;
}
std::int64_t Int(const ledger::Value& payload, std::string_view name) {
  const ledger::Value* v = payload.find(name);
  return v && v->kind() == ledger::Value::Kind::kInt ? v->as_int() : 0;
}

// One pass over the events the state folds in. The amounts a reduction or
// cancellation takes away follow the rules of docs/events.md (reduced: the
// new committed amount is given; cancelled: committed becomes disbursed).
Result<History> ReadHistory(const ledger::Store& log, std::uint64_t size) {
  History h;
  struct Running {
    std::int64_t committed = 0, disbursed = 0;
  };
  std::map<std::string, Running> running;
  Status s = log.Scan(0, size, [&](const ledger::Envelope& e) {
    const ledger::Decision& d = e.decision.decision;
    if (!d.type.starts_with("funding.") && !d.type.starts_with("project.")) return true;
    const ledger::Value& p = d.payload;
    const std::string day = Date(d.issued_at);
    if (d.type == "project.started") {
      h.projects[Field(p, "project_id")].actual_start = Field(p, "started_on");
    } else if (d.type == "project.completed") {
      h.projects[Field(p, "project_id")].actual_end = Field(p, "completed_on");
    } else if (d.type == "project.terminated") {
      h.projects[Field(p, "project_id")].actual_end = day;
    } else if (d.type.starts_with("funding.")) {
      const std::string& id = Field(p, "commitment_id");
      FundingHistory& f = h.funding[id];
      Running& r = running[id];
      if (d.type == "funding.committed") {
        r.committed = Int(p, "amount");
        f.commitments.push_back({r.committed, day, "Committed (" + d.id + ")"});
      } else if (d.type == "funding.disbursed") {
        r.disbursed += Int(p, "amount");
      } else if (d.type == "funding.reduced") {
        const std::int64_t to = Int(p, "amount");
        f.commitments.push_back(
            {to - r.committed, day, "Reduced (" + d.id + "): " + Field(p, "reason")});
        r.committed = to;
      } else if (d.type == "funding.cancelled") {
        f.commitments.push_back(
            {r.disbursed - r.committed, day, "Cancelled (" + d.id + "): " + Field(p, "reason")});
        r.committed = r.disbursed;
      } else if (d.type == "funding.returned") {
        f.returns.push_back({-Int(p, "amount"), day,
                             "Returned to the provider (" + d.id + "): " + Field(p, "reason")});
      } else if (d.type == "funding.expenditure_reported") {
        f.expenditures.push_back(
            {Int(p, "amount"), day,
             "Expenditure reported for " + Field(p, "period") + " (" + d.id + ")"});
      }
    }
    return true;
  });
  if (!s.ok()) return s;
  return h;
}

// --- Organisations -----------------------------------------------------------

struct Org {
  Text name;
  std::string type;  // IATI OrganisationType
};

// Who funds a commitment: a government (10) named after the member state, or
// a private party (70).
Org Funder(const ProgrammeState& state, const Commitment& c) {
  if (c.source == "private") return {c.party_name, "70"};
  auto member = state.members.find(c.party);
  Text country = member != state.members.end() ? member->second.name : Text{c.party, ""};
  return {{"Government of " + country.en, country.zh.empty() ? "" : country.zh + "政府"}, "10"};
}

// The first body of a kind that is not dissolved; nullptr if none.
const projections::Body* BodyOfKind(const ProgrammeState& state, std::string_view kind) {
  for (const auto& [id, body] : state.bodies) {
    if (body.kind == kind && !body.dissolved) return &body;
  }
  return nullptr;
}

void ParticipatingOrg(std::ostream& out, const char* role, const Org& org) {
  out << "    <participating-org role=\"" << role << "\"";
  if (!org.type.empty()) out << " type=\"" << org.type << "\"";
  out << ">\n";
  Narratives(out, org.name, "      ");
  out << "    </participating-org>\n";
}

void Transaction(std::ostream& out, const char* code, const Dated& t, const std::string& currency,
                 const Org* provider, const Org* receiver) {
  out << "    <transaction>\n"
      << "      <transaction-type code=\"" << code << "\"/>\n"
      << "      <transaction-date iso-date=\"" << Xml(t.date) << "\"/>\n"
      << "      <value currency=\"" << Xml(currency) << "\" value-date=\"" << Xml(t.date) << "\">"
      << Amount(t.amount, currency) << "</value>\n"
      << "      <description>\n        <narrative>" << Xml(t.note) << "</narrative>\n"
      << "      </description>\n";
  for (auto [tag, org] : {std::pair{"provider-org", provider}, {"receiver-org", receiver}}) {
    if (!org) continue;
    out << "      <" << tag << " type=\"" << org->type << "\">\n";
    Narratives(out, org->name, "        ");
    out << "      </" << tag << ">\n";
  }
  out << "    </transaction>\n";
}

// --- One activity --------------------------------------------------------------

void Activity(std::ostream& out, const ProgrammeState& state, const IatiOptions& options,
              const Project& p, const std::vector<const Commitment*>& funding,
              const History& history) {
  const Name area = Lookup(kPriorityAreas, p.priority_area);
  const Name mode = Lookup(kModes, p.mode);
  const Org lead{p.lead_institution, "80"};

  out << "  <iati-activity last-updated-datetime=\"" << ledger::FormatTimestamp(p.last_issued_at)
      << "\" xml:lang=\"en\">\n"
      << "    <iati-identifier>" << Xml(options.reporting_org_ref + "-" + p.id)
      << "</iati-identifier>\n"
      << "    <reporting-org ref=\"" << Xml(options.reporting_org_ref) << "\" type=\""
      << Xml(options.reporting_org_type) << "\">\n"
      << "      <narrative>" << Xml(options.reporting_org_name) << "</narrative>\n"
      << "    </reporting-org>\n"
      << "    <title>\n";
  Narratives(out, p.title, "      ");
  out << "    </title>\n";

  // A description composed from the record: mode, area, who takes part.
  std::string partners_en, partners_zh;
  bool all_zh = !p.lead_institution.zh.empty();
  for (const auto& partner : p.partners) {
    partners_en +=
        (partners_en.empty() ? "" : "; ") + partner.institution.en + " (" + partner.country + ")";
    partners_zh +=
        (partners_zh.empty() ? "" : "；") + partner.institution.zh + "（" + partner.country + "）";
    all_zh = all_zh && !partner.institution.zh.empty();
  }
  Text description{std::string(mode.en) + " in " + area.en + " (" + p.priority_area + ", " +
                       p.mode + "), led by " + p.lead_institution.en + " with " + partners_en +
                       ". Project " + p.id + " of the Partnership Ledger.",
                   ""};
  if (all_zh && mode.zh[0] && area.zh[0]) {
    description.zh = std::string(mode.zh) + "，" + area.zh + "；牵头单位：" +
                     p.lead_institution.zh + "；合作单位：" + partners_zh + "。";
  }
  out << "    <description type=\"1\">\n";
  Narratives(out, description, "      ");
  out << "    </description>\n";

  // Funding (1), accountable (2), extending (3), implementing (4).
  std::vector<std::string> funders_seen;
  for (const Commitment* c : funding) {
    const Org funder = Funder(state, *c);
    const std::string key = funder.type + "|" + funder.name.en;
    if (std::find(funders_seen.begin(), funders_seen.end(), key) != funders_seen.end()) continue;
    funders_seen.push_back(key);
    ParticipatingOrg(out, "1", funder);
  }
  if (const auto* jc = BodyOfKind(state, "joint_committee")) {
    ParticipatingOrg(out, "2", {jc->name, "40"});
  }
  if (const auto* secretariat = BodyOfKind(state, "secretariat")) {
    ParticipatingOrg(out, "3", {secretariat->name, "40"});
  }
  ParticipatingOrg(out, "4", lead);
  for (const auto& partner : p.partners) ParticipatingOrg(out, "4", {partner.institution, "80"});

  out << "    <activity-status code=\"" << ActivityStatus(p, funding) << "\"/>\n";

  const auto events = history.projects.find(p.id);
  const ProjectHistory none;
  const ProjectHistory& dates = events == history.projects.end() ? none : events->second;
  for (auto [type, date] : {std::pair{"1", p.start_date},
                            {"2", dates.actual_start},
                            {"3", p.end_date},
                            {"4", dates.actual_end}}) {
    if (date.empty()) continue;
    out << "    <activity-date type=\"" << type << "\" iso-date=\"" << Xml(date) << "\"/>\n";
  }

  // Recipient countries: the member states of the partners, China (the
  // provider's side) aside, sharing 100% in hundredths (the first ones take
  // the remainder).
  std::vector<std::string> countries;
  for (const auto& partner : p.partners) {
    if (partner.country != "CN" &&
        std::find(countries.begin(), countries.end(), partner.country) == countries.end()) {
      countries.push_back(partner.country);
    }
  }
  const auto n = static_cast<std::int64_t>(countries.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t hundredths = 10000 / n + (i < 10000 % n ? 1 : 0);
    const std::string& country = countries[static_cast<std::size_t>(i)];
    auto member = state.members.find(country);
    out << "    <recipient-country code=\"" << Xml(country) << "\" percentage=\""
        << Decimal(hundredths, 2) << "\">\n";
    Narratives(out, member != state.members.end() ? member->second.name : Text{country, ""},
               "      ");
    out << "    </recipient-country>\n";
  }

  out << "    <sector vocabulary=\"99\" code=\"" << Xml(p.priority_area)
      << "\" percentage=\"100\">\n";
  Narratives(out, {area.en, area.zh}, "      ");
  out << "    </sector>\n";

  // One budget over the project's period: committed (2) once approved,
  // indicative (1) while proposed.
  const projections::Money& budget = p.approved_budget ? *p.approved_budget : p.proposed_budget;
  if (!p.start_date.empty() && !p.end_date.empty() && !budget.currency.empty()) {
    out << "    <budget type=\"1\" status=\"" << (p.approved_budget ? "2" : "1") << "\">\n"
        << "      <period-start iso-date=\"" << Xml(p.start_date) << "\"/>\n"
        << "      <period-end iso-date=\"" << Xml(p.end_date) << "\"/>\n"
        << "      <value currency=\"" << Xml(budget.currency) << "\" value-date=\""
        << Xml(p.start_date) << "\">" << Amount(budget.amount, budget.currency) << "</value>\n"
        << "    </budget>\n";
  }

  for (const Commitment* c : funding) {
    const Org funder = Funder(state, *c);
    const auto found = history.funding.find(c->id);
    const FundingHistory empty;
    const FundingHistory& f = found == history.funding.end() ? empty : found->second;
    for (const Dated& t : f.commitments) Transaction(out, "2", t, c->currency, &funder, &lead);
    for (const auto& tranche : c->tranches) {
      Transaction(out, "3",
                  {tranche.amount, tranche.disbursed_on,
                   "Tranche " + tranche.id + " of commitment " + c->id},
                  c->currency, &funder, &lead);
    }
    for (const Dated& t : f.returns) Transaction(out, "3", t, c->currency, &funder, &lead);
    for (const Dated& t : f.expenditures) Transaction(out, "4", t, c->currency, &lead, nullptr);
  }
  out << "  </iati-activity>\n";
}

}  // namespace

Status WriteIati(const ProgrammeState& state, const IatiOptions& options, std::ostream& out) {
  if (!options.log) {
    return Status::Invalid("iati.log", "the IATI export needs the log the state was folded from");
  }
  if (options.log->size() < state.size) {
    return Status::Invalid("iati.log", "the state folds " + std::to_string(state.size) +
                                           " events but the log holds only " +
                                           std::to_string(options.log->size()));
  }
  if (options.size != 0 && options.size != state.size) {
    return Status::Invalid("iati.size", "the state folds " + std::to_string(state.size) +
                                            " events, not " + std::to_string(options.size));
  }
  if (state.projects.empty()) {
    return Status::Invalid("iati.empty", "there are no projects in the first " +
                                             std::to_string(state.size) +
                                             " events; an IATI file needs at least one activity");
  }
  auto history = ReadHistory(*options.log, state.size);
  if (!history.ok()) return history.status();
  auto root = options.log->Root(state.size);
  if (!root.ok()) return root.status();

  std::map<std::string, std::vector<const Commitment*>> funding;
  for (const auto& [id, c] : state.commitments) funding[c.project_id].push_back(&c);

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<!-- Partnership Ledger: the programme after the first " << state.size
      << " events of the log with key " << options.log->log_key().key_id() << ", Merkle root "
      << ToHex(*root) << " -->\n"
      << "<iati-activities version=\"2.03\" generated-datetime=\""
      << ledger::FormatTimestamp(state.last_recorded_at) << "\">\n";
  static const std::vector<const Commitment*> kNoFunding;
  for (const auto& [id, project] : state.projects) {
    auto f = funding.find(id);
    Activity(out, state, options, project, f == funding.end() ? kNoFunding : f->second, *history);
  }
  out << "</iati-activities>\n";
  if (!out) return Status::IoError("iati.write", "writing the IATI file failed");
  return Status::Ok();
}

}  // namespace pl::ctl
