// The IATI 2.03 activity export: the programme's projects as IATI activities
// (identifier, reporting and participating organisations, title, description,
// status, dates, recipient countries, sector from the priority area, budgets,
// transactions 2 commitment, 3 disbursement, 4 expenditure). The output
// validates against ../shared/iati/iati-activities-schema.xsd.
#pragma once

#include <ostream>
#include <string>

#include "crypto/status.h"
#include "projections/state.h"

namespace pl::ctl {

struct IatiOptions {
  // The reporting organisation's IATI identifier and name.
  std::string reporting_org_ref = "XM-CAST-PARTNERSHIP";
  std::string reporting_org_name = "China-ASEAN Science and Technology Partnership Programme";
  // The log size the state reflects, recorded in the file's generated-datetime
  // context (the state's own timestamp is used for generated-datetime).
  std::uint64_t size = 0;
};

// Writes every project of state as one <iati-activity> in an
// <iati-activities version="2.03"> document.
Status WriteIati(const projections::ProgrammeState& state, const IatiOptions& options,
                 std::ostream& out);

}  // namespace pl::ctl
