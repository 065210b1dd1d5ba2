// csv: one line of a CSV file split into its fields (RFC 4180: "a,b" and "" inside quotes),
// for the readers of trace.csv (validate/fidelity.cc) and runtime/metrics series
// (fit/metrics_series.cc). Does not model: fields that span lines.
#pragma once

#include <string>
#include <vector>

namespace gomemsim {

inline std::vector<std::string> csvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace gomemsim
