// godebug: reading one setting out of a GODEBUG string, as the runtime does.
//
// Models: runtime1.go parsedebugvars (Go 1.19; the same rule in Go 1.26's
// parseRuntimeDebugVars): fields split at ',', each "key=value"; later fields overwrite earlier
// ones; a value atoi rejects leaves the setting as it was.
// Does not model: the go.mod-dependent defaults of internal/godebug (the caller supplies them).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gomemsim {

// The value of the last valid `name=` field of a GODEBUG string, if any.
inline std::optional<int64_t> godebugValue(std::string_view godebug, std::string_view name) {
  std::optional<int64_t> out;
  while (!godebug.empty()) {
    const size_t comma = godebug.find(',');
    std::string_view field = godebug.substr(0, comma);
    godebug = comma == std::string_view::npos ? std::string_view() : godebug.substr(comma + 1);
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos || field.substr(0, eq) != name) continue;
    const std::string_view value = field.substr(eq + 1);
    int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc() && p == value.data() + value.size() && !value.empty()) out = n;
  }
  return out;
}

}  // namespace gomemsim
