// The IATI 2.03 export (docs/iati.md) of a demo history: the file validates
// against the IATI schema (xmllint), holds one activity per project, and its
// transactions add up to the funding the projections hold. Also writes
// IATI_OUT for the iati_schema CTest check.
#define BOOST_TEST_MODULE iati
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "demo_log.h"
#include "iati.h"
#include "process.h"
#include "projections/programme.h"
#include "projections/verify.h"
#include "test_util.h"

using namespace pl;

namespace {

constexpr char kRef[] = "XM-CAST-PARTNERSHIP";

// A demo log of `events` decisions, submitted through the rules, and the
// state it verifies to.
struct DemoLog {
  test::TempDir dir;
  std::unique_ptr<ledger::Store> store;
  projections::ProgrammeState state;

  explicit DemoLog(std::uint64_t events) {
    test::WriteDemoLog(dir.str("data"), 2012, events);
    ledger::StoreOptions read_only;
    read_only.read_only = true;
    auto opened = ledger::Store::Open(dir.str("data"), read_only);
    BOOST_REQUIRE(opened.ok());
    store = std::move(*opened);
    auto report = projections::VerifyLog(*store);
    BOOST_REQUIRE_MESSAGE(report.ok(), report.status().ToString());
    state = std::move(report->state);
  }
};

Status Write(const projections::ProgrammeState& state, const ledger::Store* log,
             const std::string& path) {
  ctl::IatiOptions options;
  options.log = log;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  return ctl::WriteIati(state, options, out);
}

// The demo log, its state, and its export written to IATI_OUT, once per run
// whichever case comes first.
const DemoLog& Demo() {
  static const DemoLog demo(3000);
  static const Status written = Write(demo.state, demo.store.get(), IATI_OUT);
  BOOST_REQUIRE_MESSAGE(written.ok(), written.ToString());
  return demo;
}

test::Outcome Schema(const std::string& path) {
  return test::Run(std::string("xmllint --noout --schema ") + IATI_SCHEMA + " " + path);
}

// An XPath expression's value, as xmllint prints it.
std::string XPath(const std::string& path, const std::string& expression) {
  auto r = test::Run("xmllint --xpath \"" + expression + "\" " + path);
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, expression << ": " << r.err);
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}
double Number(const std::string& path, const std::string& expression) {
  return std::stod(XPath(path, expression));
}

std::string Activity(const std::string& project_id) {
  return std::string("//iati-activity[iati-identifier='") + kRef + "-" + project_id + "']";
}

// The <value> elements an XPath selects, summed exactly in minor units per
// currency (xmllint's own sum() prints only six significant digits).
std::map<std::string, std::int64_t> MinorSums(const std::string& path,
                                              const std::string& elements) {
  auto r = test::Run("xmllint --xpath \"" + elements + "\" " + path);
  std::map<std::string, std::int64_t> sums;
  if (r.exit_code == 10) return sums;  // xmllint: "XPath set is empty"
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, elements << ": " << r.err);
  const std::string open = "<value currency=\"";
  for (std::size_t at = 0; (at = r.out.find(open, at)) != std::string::npos;) {
    at += open.size();
    const std::string currency = r.out.substr(at, r.out.find('"', at) - at);
    const std::size_t from = r.out.find('>', at) + 1, end = r.out.find("</value>", from);
    BOOST_REQUIRE(end != std::string::npos);
    std::string digits = r.out.substr(from, end - from);
    std::erase(digits, '.');
    sums[currency] += std::stoll(digits);
    at = end;
  }
  return sums;
}

std::int64_t MinorSum(const std::string& path, const std::string& elements,
                      const std::string& currency) {
  auto sums = MinorSums(path, elements);
  return sums.count(currency) ? sums[currency] : 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(demo_export_validates_against_the_iati_schema) {
  const auto& demo = Demo();
  BOOST_REQUIRE(!demo.state.projects.empty());
  auto valid = Schema(IATI_OUT);
  BOOST_TEST(valid.exit_code == 0, valid.err);

  BOOST_TEST(Number(IATI_OUT, "count(//iati-activity)") ==
             static_cast<double>(demo.state.projects.size()));
  // Every activity's recipient countries share exactly 100%.
  BOOST_TEST(Number(IATI_OUT,
                    "count(//iati-activity[recipient-country and "
                    "sum(recipient-country/@percentage) != 100])") == 0);
}

BOOST_AUTO_TEST_CASE(activity_status_follows_the_project_status) {
  const auto& demo = Demo();
  std::map<std::string, int> by_status;
  for (const auto& [id, p] : demo.state.projects) ++by_status[p.status];
  BOOST_TEST_MESSAGE("project statuses: " << [&] {
    std::ostringstream o;
    for (auto [k, v] : by_status) o << k << "=" << v << " ";
    return o.str();
  }());
  auto count = [&](const char* code) {
    return Number(IATI_OUT, std::string("count(//activity-status[@code='") + code + "'])");
  };
  BOOST_TEST(count("1") == by_status["proposed"]);
  BOOST_TEST(count("2") == by_status["approved"] + by_status["active"]);
  BOOST_TEST(count("5") == by_status["rejected"] + by_status["terminated"]);
  BOOST_TEST(count("6") == by_status["suspended"]);
  BOOST_TEST(count("3") + count("4") == by_status["completed"]);
}

BOOST_AUTO_TEST_CASE(organisations_and_dates_come_from_the_record) {
  const auto& demo = Demo();
  std::size_t implementing = 0, approved = 0, funded = 0;
  std::set<std::string> with_funding;
  for (const auto& [id, c] : demo.state.commitments) with_funding.insert(c.project_id);
  for (const auto& [id, p] : demo.state.projects) {
    implementing += 1 + p.partners.size();
    approved += p.status == "approved";
    funded += with_funding.count(id);
  }
  // The lead institution and every partner implement (role 4).
  BOOST_TEST(Number(IATI_OUT, "count(//participating-org[@role='4'])") ==
             static_cast<double>(implementing));
  // Every project with a commitment names a funder (role 1); no other does.
  BOOST_TEST(Number(IATI_OUT, "count(//iati-activity[participating-org[@role='1']])") ==
             static_cast<double>(funded));
  // Every project that has started has its actual start (type 2), from the
  // log; only approved ones (not started yet) are in implementation without.
  BOOST_TEST(Number(IATI_OUT,
                    "count(//iati-activity[activity-status/@code='2' or "
                    "activity-status/@code='3' or activity-status/@code='4' or "
                    "activity-status/@code='6'][not(activity-date[@type='2'])])") ==
             static_cast<double>(approved));
  // Every completed project has its actual end (type 4).
  BOOST_TEST(Number(IATI_OUT,
                    "count(//iati-activity[activity-status/@code='3' or "
                    "activity-status/@code='4'][not(activity-date[@type='4'])])") == 0);
}

BOOST_AUTO_TEST_CASE(transactions_add_up_to_the_funding_of_each_project) {
  const auto& demo = Demo();
  // Per project and currency: committed, disbursed net of returns, spent.
  struct Totals {
    std::int64_t committed = 0, disbursed = 0, spent = 0;
  };
  std::map<std::string, std::map<std::string, Totals>> projects;
  for (const auto& [id, c] : demo.state.commitments) {
    Totals& t = projects[c.project_id][c.currency];
    t.committed += c.committed;
    t.disbursed += c.disbursed - c.returned;
    t.spent += c.spent;
  }
  // The project with the most commitments, and a few others with money spent.
  std::vector<std::string> checked;
  std::string busiest;
  for (const auto& [id, currencies] : projects) {
    if (busiest.empty() || currencies.size() > projects[busiest].size()) busiest = id;
  }
  checked.push_back(busiest);
  for (const auto& [id, currencies] : projects) {
    if (checked.size() >= 6) break;
    for (const auto& [currency, t] : currencies) {
      if (t.spent > 0 && id != busiest) {
        checked.push_back(id);
        break;
      }
    }
  }
  BOOST_REQUIRE(checked.size() >= 2);
  for (const std::string& id : checked) {
    for (const auto& [currency, t] : projects[id]) {
      BOOST_TEST_CONTEXT(id << " " << currency) {
        const std::string where = Activity(id) + "/transaction[transaction-type/@code='";
        BOOST_TEST(MinorSum(IATI_OUT, where + "2']/value", currency) == t.committed);
        BOOST_TEST(MinorSum(IATI_OUT, where + "3']/value", currency) == t.disbursed);
        BOOST_TEST(MinorSum(IATI_OUT, where + "4']/value", currency) == t.spent);
      }
    }
  }
  // Across the whole file, per currency: every commitment, reduction,
  // cancellation, tranche, return and expenditure report is there once.
  std::map<std::string, Totals> all;
  for (const auto& [id, currencies] : projects) {
    for (const auto& [currency, t] : currencies) {
      all[currency].committed += t.committed;
      all[currency].disbursed += t.disbursed;
      all[currency].spent += t.spent;
    }
  }
  const auto committed = MinorSums(IATI_OUT, "//transaction[transaction-type/@code='2']/value");
  const auto disbursed = MinorSums(IATI_OUT, "//transaction[transaction-type/@code='3']/value");
  const auto spent = MinorSums(IATI_OUT, "//transaction[transaction-type/@code='4']/value");
  for (const auto& [currency, t] : all) {
    BOOST_TEST_CONTEXT(currency) {
      BOOST_TEST(committed.at(currency) == t.committed);
      BOOST_TEST(disbursed.at(currency) == t.disbursed);
      BOOST_TEST((spent.count(currency) ? spent.at(currency) : 0) == t.spent);
    }
  }
}

BOOST_AUTO_TEST_CASE(text_is_escaped_and_chinese_kept) {
  const auto& demo = Demo();
  auto state = demo.state;
  auto& project = state.projects[state.projects.begin()->first];
  project.title.en = "Tags <b>&amp; \"quoted\" 'apostrophe' & ]]> \x01 end";
  project.title.zh = "中国-东盟 <联合> 实验室";
  test::TempDir dir;
  const std::string path = dir.str("escaped.xml");
  BOOST_REQUIRE(Write(state, demo.store.get(), path).ok());
  auto valid = Schema(path);
  BOOST_TEST(valid.exit_code == 0, valid.err);
  const std::string title = Activity(project.id) + "/title/narrative";
  BOOST_TEST(XPath(path, "string(" + title + "[1])") ==
             "Tags <b>&amp; \"quoted\" 'apostrophe' & ]]> \xEF\xBF\xBD end");
  BOOST_TEST(XPath(path, "string(" + title + "[@xml:lang='zh'])") == "中国-东盟 <联合> 实验室");
}

BOOST_AUTO_TEST_CASE(refusals_name_their_rule_and_write_nothing) {
  const auto& demo = Demo();
  auto refused = [](const projections::ProgrammeState& state, const ctl::IatiOptions& options,
                    const std::string& rule) {
    std::ostringstream out;
    Status s = ctl::WriteIati(state, options, out);
    BOOST_TEST(s.rule() == rule, s.ToString());
    BOOST_TEST(out.str().empty());
  };
  ctl::IatiOptions options;
  refused(demo.state, options, "iati.log");  // no log

  options.log = demo.store.get();
  auto longer = demo.state;
  longer.size = demo.store->size() + 1;
  refused(longer, options, "iati.log");  // a state the log cannot have produced

  options.size = demo.state.size - 1;
  refused(demo.state, options, "iati.size");
  options.size = 0;

  auto empty = demo.state;
  empty.projects.clear();
  refused(empty, options, "iati.empty");
}
