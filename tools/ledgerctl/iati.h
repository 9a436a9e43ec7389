// The IATI 2.03 activity export: the programme's projects as IATI activities
// (identifier, reporting and participating organisations, title, description,
// status, dates, recipient countries, sector from the priority area, budgets,
// transactions 2 commitment, 3 disbursement, 4 expenditure). The output
// validates against ../shared/iati/iati-activities-schema.xsd; docs/iati.md
// maps every element to the programme's record.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "crypto/status.h"
#include "ledger/store.h"
#include "projections/state.h"

namespace pl::ctl {

struct IatiOptions {
  // The reporting organisation's IATI identifier, name and IATI
  // OrganisationType code (40: multilateral, for the joint China-ASEAN
  // programme). Every activity's iati-identifier is ref + "-" + project id.
  std::string reporting_org_ref = "XM-CAST-PARTNERSHIP";
  std::string reporting_org_name = "China-ASEAN Science and Technology Partnership Programme";
  std::string reporting_org_type = "40";
  // The log the state was folded from (required). The state keeps totals;
  // the log keeps the dated facts behind them: the actual start and end of a
  // project, the date of each commitment, reduction, return and expenditure
  // report. Only its first state.size events are read.
  const ledger::Store* log = nullptr;
  // The log size the state reflects, named in the file's provenance comment;
  // 0 means state.size. Any other value than state.size is refused.
  std::uint64_t size = 0;
};

// Writes every project of state as one <iati-activity> in an
// <iati-activities version="2.03"> document. Refusals (nothing is written):
// "iati.log" (no log given, or the log is shorter than the state),
// "iati.size" (options.size is not the state's size), "iati.empty" (no
// projects: an IATI file holds at least one activity); "store.*" when the
// log cannot be read.
Status WriteIati(const projections::ProgrammeState& state, const IatiOptions& options,
                 std::ostream& out);

}  // namespace pl::ctl
