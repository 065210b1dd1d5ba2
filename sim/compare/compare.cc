#include "compare/compare.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "observe/outputs.h"
#include "observe/report.h"

namespace gomemsim {
namespace {

[[noreturn]] void varyError(const std::string& message) { throw ScenarioError("--vary", 0, 0, message); }


std::string trimmed(const std::string& text) {
  const auto isSpace = [](unsigned char c) { return std::isspace(c) != 0; };
  auto b = std::find_if_not(text.begin(), text.end(), isSpace);
  auto e = std::find_if_not(text.rbegin(), text.rend(), isSpace).base();
  return b < e ? std::string(b, e) : std::string();
}

std::vector<std::string> splitCommas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.push_back(trimmed(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

// The digits of grid index i in the mixed radix of the axes' sizes, last axis fastest.
std::vector<size_t> gridDigits(size_t i, const std::vector<VaryAxis>& axes) {
  std::vector<size_t> digits(axes.size());
  for (size_t a = axes.size(); a-- > 0;) {
    digits[a] = i % axes[a].values.size();
    i /= axes[a].values.size();
  }
  return digits;
}

// Builds one configuration; throws ScenarioError naming the --vary, value and configuration.
GridConfig buildConfig(const Scenario& base, const std::vector<VaryAxis>& axes, const std::vector<size_t>& digits) {
  GridConfig c{"", base};
  for (size_t a = 0; a < axes.size(); ++a)
    c.label += (a ? "," : "") + axes[a].key + "=" + axes[a].values[digits[a]];
  for (size_t a = 0; a < axes.size(); ++a) {
    const std::string& value = axes[a].values[digits[a]];
    try {
      applyVary(c.scenario, axes[a].key, value);
    } catch (const ScenarioError& e) {
      const std::string in = axes.size() > 1 ? " in configuration " + c.label : "";
      varyError(axes[a].text + ": cannot set " + axes[a].key + "=" + value + in + ": " + e.message());
    }
  }
  try {
    Simulation check(c.scenario);  // the runtime it builds: pacer and scavenger names, ...
  } catch (const std::invalid_argument& e) {
    varyError("configuration " + c.label + " cannot run: " + e.what());
  }
  return c;
}

// A row's step kind (its label, whatever name the step has; rows built without one: the step).
const std::string& kindOfRow(const TraceRow& row) { return row.kind.empty() ? row.step : row.kind; }

// Index of the last row whose step kind satisfies pred.
template <typename Pred>
std::optional<size_t> lastRowWhere(const std::vector<TraceRow>& rows, Pred pred) {
  for (size_t i = rows.size(); i-- > 0;)
    if (pred(kindOfRow(rows[i]))) return i;
  return std::nullopt;
}

// Index of the row the settle time is measured from, or none (see SettleTime).
std::optional<size_t> settleFromRow(const std::vector<TraceRow>& rows) {
  std::optional<size_t> last = lastRowWhere(rows, [](const std::string& step) { return step.starts_with("drop"); });
  if (!last) last = lastRowWhere(rows, [](const std::string& step) { return step == "free_os_memory"; });
  if (!last) return std::nullopt;
  size_t from = *last;
  while (from > 0 && rows[from - 1].stepIndex == rows[*last].stepIndex && rows[from - 1].step == rows[*last].step) --from;
  return from;
}

bool within10Percent(Bytes rss, Bytes finalRss) {
  const int64_t diff = rss.v > finalRss.v ? rss.v - finalRss.v : finalRss.v - rss.v;
  return diff * 10 <= finalRss.v;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string fixed4(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", s);
  return buf;
}

std::string settleText(const SettleTime& t) {
  switch (t.kind) {
    case SettleTime::Kind::NoDrop: return "-";
    case SettleTime::Kind::NeverSettled:
    case SettleTime::Kind::NeverReleased: return "never";
    case SettleTime::Kind::OomKilled: return "killed";
    case SettleTime::Kind::Settled: return seconds(t.seconds);
  }
  return "-";
}

const char* settleKindCsv(SettleTime::Kind k) {
  switch (k) {
    case SettleTime::Kind::Settled: return "settled";
    case SettleTime::Kind::NeverSettled:
    case SettleTime::Kind::NeverReleased: return "never";
    case SettleTime::Kind::OomKilled: return "oom_killed";
    case SettleTime::Kind::NoDrop: break;
  }
  return "no_drop";
}

std::string bytesText(Bytes b) { return formatBytes(static_cast<double>(b.v)); }

std::string oomText(const CompareRow& r) { return r.oomKilled ? seconds(r.oomKillTimeS) : "-"; }

// A gctrace file name for a configuration label (see gctraceFileNames).
std::string sanitisedName(const std::string& label) {
  std::string name;
  for (const char c : label) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    name += keep ? c : '-';
  }
  if (name.size() > 100) name.resize(100);
  if (name.empty() || name[0] == '.') name = "_" + name;
  return name;
}

// Left-aligns the first column, right-aligns the others, two spaces between columns.
std::string alignedTable(const std::vector<std::vector<std::string>>& cells) {
  std::vector<size_t> width;
  for (const auto& row : cells) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : cells) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - row[c].size(), ' ');
      line += c == 0 ? row[c] + pad : "  " + pad + row[c];
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

VaryAxis parseVary(const std::string& text) {
  VaryAxis a;
  a.text = "--vary " + text;
  const size_t eq = text.find('=');
  if (eq == std::string::npos) varyError("expected KEY=V1,V2,... such as gogc=50,100, got '" + text + "'");
  a.key = trimmed(text.substr(0, eq));
  if (a.key.empty()) varyError("expected KEY=V1,V2,... such as gogc=50,100, got '" + text + "' (no key)");
  a.values = splitCommas(text.substr(eq + 1));
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (a.values[i].empty()) varyError(a.text + ": value " + std::to_string(i + 1) + " is empty; expected KEY=V1,V2,...");
    if (std::find(a.values.begin(), a.values.begin() + static_cast<std::ptrdiff_t>(i), a.values[i]) !=
        a.values.begin() + static_cast<std::ptrdiff_t>(i))
      varyError(a.text + ": value '" + a.values[i] + "' is given twice");
  }
  return a;
}

bool isEnvKey(const std::string& key) {
  if (key.size() < 3 || !key.starts_with("GO")) return false;
  return std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isupper(c) || std::isdigit(c) || c == '_'; });
}

void applyVary(Scenario& s, const std::string& key, const std::string& value) {
  if (isEnvKey(key)) applyEnv(s, key + "=" + value);
  else applySet(s, key + "=" + value);
}

std::vector<GridConfig> expandGrid(const Scenario& base, const std::vector<VaryAxis>& axes) {
  for (size_t a = 0; a < axes.size(); ++a)
    for (size_t b = 0; b < a; ++b)
      if (axes[a].key == axes[b].key) varyError(axes[a].text + ": key '" + axes[a].key + "' is already varied by " + axes[b].text);
  if (axes.empty()) return {GridConfig{"base", base}};
  size_t total = 1;
  for (const VaryAxis& a : axes) {
    if (a.values.empty()) varyError(a.text + ": no values");
    total *= a.values.size();
  }
  std::vector<GridConfig> configs;
  configs.reserve(total);
  for (size_t i = 0; i < total; ++i) configs.push_back(buildConfig(base, axes, gridDigits(i, axes)));
  return configs;
}

std::vector<ConfigRun> runGrid(const std::vector<GridConfig>& configs, unsigned jobs, RunMonitor* monitor,
                               const std::function<void(size_t)>& finished) {
  const size_t n = configs.size();
  std::vector<std::optional<SimResult>> results(n);
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  std::mutex doneMu;
  size_t done = 0;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        Simulation sim(configs[i].scenario);
        sim.setMonitor(monitor);
        results[i] = sim.run();
      } catch (...) {
        errors[i] = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(doneMu);
      ++done;
      if (finished) finished(done);
    }
  };
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min<size_t>(jobs, n);
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;  // joined on destruction, also if creating one throws
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  size_t whole = 0;
  int stoppedBy = 0;
  for (const auto& r : results) {
    if (r->interruptedBy) stoppedBy = r->interruptedBy;
    else ++whole;
  }
  if (stoppedBy)
    throw RunInterrupted(stoppedBy, "with " + std::to_string(whole) + " of " +
                                        std::to_string(n) + " configurations run; nothing written");
  std::vector<ConfigRun> runs;
  runs.reserve(n);
  for (size_t i = 0; i < n; ++i) runs.emplace_back(configs[i].label, std::move(*results[i]));
  return runs;
}

SettleTime settleAfterDrop(const SimResult& r) {
  SettleTime t;
  if (!r.rows.empty() && r.rows.back().mem.oomKilled) {
    t.kind = SettleTime::Kind::OomKilled;
    return t;
  }
  const std::optional<size_t> from = settleFromRow(r.rows);
  if (!from) return t;
  t.fromTimeS = r.rows[*from].mem.timeS;
  t.fromStep = r.rows[*from].step;
  t.rssBefore = r.rows[*from > 0 ? *from - 1 : *from].mem.rss;
  const Bytes finalRss = r.rows.back().mem.rss;
  if (*from == r.rows.size() - 1) {
    t.kind = SettleTime::Kind::NeverSettled;
    return t;
  }
  if (finalRss.v * 10 > t.rssBefore.v * 9) {  // not at least 10 % below: RES never came down
    t.kind = SettleTime::Kind::NeverReleased;
    return t;
  }
  size_t j = r.rows.size() - 1;  // the last row is within 10 % of itself
  while (j > *from && within10Percent(r.rows[j - 1].mem.rss, finalRss)) --j;
  if (j == r.rows.size() - 1) {
    t.kind = SettleTime::Kind::NeverSettled;
    return t;
  }
  t.kind = SettleTime::Kind::Settled;
  t.seconds = r.rows[j].mem.timeS - t.fromTimeS;
  return t;
}

CompareRow compareRow(const std::string& label, const SimResult& r) {
  const Summary sum = summarize(r);
  CompareRow row;
  row.label = label;
  row.peakRss = sum.peak.rss;
  row.peakRssTimeS = sum.peak.timeS;
  row.endRss = sum.end.rss;
  row.oomKilled = sum.oomKilled;
  row.oomKillTimeS = sum.oomKilled ? sum.end.timeS : 0;
  row.settle = settleAfterDrop(r);
  row.numGc = sum.end.numGc;
  row.numForcedGc = sum.end.numForcedGc;
  row.numPeriodicGc = sum.end.numPeriodicGc;
  row.releasedBackground = sum.end.releasedBackground;
  row.releasedEager = sum.end.releasedEager;
  row.releasedForced = sum.end.releasedForced;
  row.releasedTotal = row.releasedBackground + row.releasedEager + row.releasedForced;
  row.pprofAtPeakRss = sum.peak.pprofInuse;
  row.peakPprof = sum.peakPprof;
  return row;
}

std::string compareTable(const Scenario& s, const std::vector<CompareRow>& rows) {
  std::ostringstream o;
  o << "gomemsim compare: " << s.name << " (" << rows.size() << " configuration" << (rows.size() == 1 ? "" : "s") << ")\n";
  if (!s.about.empty()) o << "about: " << s.about << "\n";
  std::vector<std::vector<std::string>> cells = {{"config", "peak RES", "RES at end", "OOM kill", "settle",
                                                  "GCs (periodic, runtime.GC)", "released", "background", "eager",
                                                  "forced", "pprof at peak RES", "peak pprof"}};
  for (const CompareRow& r : rows) {
    cells.push_back({r.label, bytesText(r.peakRss), bytesText(r.endRss), oomText(r), settleText(r.settle),
                     std::to_string(r.numGc) + " (" + std::to_string(r.numPeriodicGc) + ", " + std::to_string(r.numForcedGc) + ")",
                     bytesText(r.releasedTotal), bytesText(r.releasedBackground), bytesText(r.releasedEager),
                     bytesText(r.releasedForced), bytesText(r.pprofAtPeakRss), bytesText(r.peakPprof)});
  }
  o << "\n" << alignedTable(cells) << "\n"
    << "OOM kill: simulated time at which the kernel or the cgroup killed the run (- = not killed); its\n"
       "RES at end is RES at the kill.\n"
       "settle: time from the last drop (or, without one, the last free_os_memory) until RES stays within\n"
       "10 % of its final value; never = RES at the end is not at least 10 % below RES before that step,\n"
       "or not within 10 % before the last sample; killed = OOM-killed; - = no such step.\n"
       "released = bytes returned to the OS in total = background + eager + forced (scavenger counters).\n";
  return o.str();
}

std::string compareCsv(const std::vector<CompareRow>& rows) {
  std::ostringstream o;
  o << "config,peak_rss,peak_rss_time_s,final_rss,oom_kill,settle,settle_s,settle_from_s,num_gc,num_forced_gc,"
       "num_periodic_gc,released_total,released_background,released_eager,released_forced,pprof_inuse_at_peak_rss,"
       "peak_pprof_inuse\n";
  for (const CompareRow& r : rows) {
    const SettleTime& t = r.settle;
    const bool hasFrom = t.kind != SettleTime::Kind::NoDrop && t.kind != SettleTime::Kind::OomKilled;
    o << csvField(r.label) << ',' << r.peakRss.v << ',' << fixed4(r.peakRssTimeS) << ',' << r.endRss.v << ','
      << (r.oomKilled ? fixed4(r.oomKillTimeS) : "") << ',' << settleKindCsv(t.kind) << ','
      << (t.kind == SettleTime::Kind::Settled ? fixed4(t.seconds) : "") << ','
      << (hasFrom ? fixed4(t.fromTimeS) : "") << ',' << r.numGc << ','
      << r.numForcedGc << ',' << r.numPeriodicGc << ',' << r.releasedTotal.v << ',' << r.releasedBackground.v << ','
      << r.releasedEager.v << ',' << r.releasedForced.v << ',' << r.pprofAtPeakRss.v << ','
      << r.peakPprof.v << '\n';
  }
  return o.str();
}

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string q = "\"";
  for (const char c : text) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string combinedTraceCsv(const std::vector<ConfigRun>& runs) {
  const std::string empty = traceCsv(SimResult{});  // just the header line
  std::string out = "config," + empty;
  for (const auto& [label, r] : runs) {
    const std::string csv = traceCsv(r);
    const std::string prefix = csvField(label) + ",";
    size_t start = csv.find('\n') + 1;  // skip the header
    while (start < csv.size()) {
      const size_t end = std::min(csv.find('\n', start), csv.size());
      out += prefix;
      out.append(csv, start, end - start);
      out += '\n';
      start = end + 1;
    }
  }
  return out;
}

std::vector<std::string> gctraceFileNames(const std::vector<ConfigRun>& runs) {
  std::vector<std::string> names;
  for (const auto& run : runs) {
    const std::string base = sanitisedName(run.first);
    std::string name = base;
    for (int k = 2; std::find(names.begin(), names.end(), name + ".log") != names.end(); ++k)
      name = base + "~" + std::to_string(k);
    names.push_back(name + ".log");
  }
  return names;
}

std::string gctraceIndexCsv(const std::vector<ConfigRun>& runs) {
  const std::vector<std::string> names = gctraceFileNames(runs);
  std::string out = "file,config,go,scavenger,madvise,pacer,gc_lines\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const SimResult& r = runs[i].second;
    out += csvField(names[i]) + ',' + csvField(runs[i].first) + ',' + csvField(r.goVersion) + ',' +
           csvField(r.scavenger) + ',' + csvField(r.madvise) + ',' + csvField(r.pacer) + ',' +
           std::to_string(r.gctrace.size()) + '\n';
  }
  return out;
}

void writeCompareOutputs(const std::string& dir, const Scenario& base, const std::vector<ConfigRun>& runs) {
  std::vector<CompareRow> rows;
  std::vector<std::string> settle;
  for (const auto& [label, r] : runs) {
    rows.push_back(compareRow(label, r));
    settle.push_back(settleText(rows.back().settle));
  }
  // Render everything first, then rename into place.
  const std::string trace = combinedTraceCsv(runs), table = compareCsv(rows), index = gctraceIndexCsv(runs),
                    html = compareReportHtml(runs, base, settle);
  const std::vector<std::string> names = gctraceFileNames(runs);
  std::vector<std::string> logs;
  for (const auto& run : runs) logs.push_back(gctraceLog(run.second));
  std::filesystem::create_directories(dir + "/gctrace");
  writeFileAtomic(dir + "/trace.csv", trace);
  writeFileAtomic(dir + "/compare.csv", table);
  for (size_t i = 0; i < runs.size(); ++i) writeFileAtomic(dir + "/gctrace/" + names[i], logs[i]);
  writeFileAtomic(dir + "/gctrace/index.csv", index);
  writeFileAtomic(dir + "/report.html", html);
  // What an earlier compare into the same directory left: logs of configurations not in this
  // grid, and the one combined gctrace.log of earlier versions.
  removeStaleFiles(dir + "/gctrace", "", ".log", std::set<std::string>(names.begin(), names.end()));
  std::filesystem::remove(dir + "/gctrace.log");
}

}  // namespace gomemsim
