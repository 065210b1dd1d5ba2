// fidelity.cc: trace reading, alignment, error metrics, release times and tolerances.
#include "validate/fidelity.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "common/csv.h"
#include "observe/outputs.h"

namespace gomemsim {
namespace {

// ---------------------------------------------------------------------------------------------
// CSV

std::string csvQuoted(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (const char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

double cellValue(const std::string& cell, const std::string& where) {
  if (cell.empty()) return kNaN;
  double v = 0;
  auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (ec != std::errc() || p != cell.data() + cell.size())
    throw ValidateError(1, where + ": expected a number, got '" + cell + "'");
  return v;
}

// Numbers as validate.csv prints them: integers exactly, others with 6 significant digits.
std::string num(double v) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  if (v == std::trunc(v) && std::fabs(v) < 9e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Series

// A series without its NaN samples, for repeated interpolation.
class Series {
 public:
  Series(const std::vector<double>& t, const std::vector<double>& v) {
    for (size_t i = 0; i < t.size() && i < v.size(); ++i) {
      if (std::isnan(v[i]) || std::isnan(t[i])) continue;
      t_.push_back(t[i]);
      v_.push_back(v[i]);
    }
  }
  bool empty() const { return t_.empty(); }
  double at(double x) const {
    if (t_.empty()) return kNaN;
    // k = the last sample with t <= x (the last of equal times: right-continuous).
    const auto it = std::upper_bound(t_.begin(), t_.end(), x);
    if (it == t_.begin()) return v_.front();
    const size_t k = static_cast<size_t>(it - t_.begin()) - 1;
    if (k + 1 >= t_.size()) return v_.back();
    const double span = t_[k + 1] - t_[k];
    return v_[k] + (v_[k + 1] - v_[k]) * (x - t_[k]) / span;
  }
  const std::vector<double>& t() const { return t_; }
  const std::vector<double>& v() const { return v_; }

 private:
  std::vector<double> t_, v_;
};

bool isReleaseStep(const std::string& label) {
  return label == "drop_all" || label == "free_os_memory" || label.rfind("drop:", 0) == 0;
}

bool isAllocatingStep(const std::string& label) {
  return label == "run" || label.rfind("live_set:", 0) == 0 || label.rfind("append:", 0) == 0 ||
         label.rfind("goroutines:", 0) == 0;
}

// Runs of equal step kinds (labels, whatever names the steps have, so that a run recorded
// before the steps were named aligns too): the kind and the index of the run's last row.
std::vector<std::pair<std::string, size_t>> stepRuns(const Trace& t) {
  std::vector<std::pair<std::string, size_t>> runs;
  for (size_t i = 0; i < t.size(); ++i) {
    if (!runs.empty() && runs.back().first == t.kindAt(i)) runs.back().second = i;
    else runs.emplace_back(t.kindAt(i), i);
  }
  return runs;
}

// Maps x through the piecewise-linear function through (from[i], to[i]) (from nondecreasing);
// beyond the last point it shifts by the last offset.
double warp(const std::vector<double>& from, const std::vector<double>& to, double x) {
  const auto it = std::lower_bound(from.begin(), from.end(), x);
  if (it == from.end()) return x + (to.back() - from.back());
  const size_t j = static_cast<size_t>(it - from.begin());
  if (j == 0 || from[j] == from[j - 1]) return j == 0 ? to[0] + (x - from[0]) : to[j];
  return to[j - 1] + (x - from[j - 1]) * (to[j] - to[j - 1]) / (from[j] - from[j - 1]);
}

// ---------------------------------------------------------------------------------------------
// Release events

struct Window {
  size_t first, last;  // rows
};

bool inWindows(const std::vector<Window>& ws, size_t row) {
  return std::any_of(ws.begin(), ws.end(), [&](const Window& w) { return row >= w.first && row <= w.last; });
}

// The last row of the quiet period that starts at row `from`: the row before the next event
// start or the next row that begins an allocating step; else the last row.
size_t quietEndRow(const Trace& t, size_t from, const std::vector<size_t>& eventStarts) {
  for (size_t k = from + 1; k < t.size(); ++k) {
    const bool eventStart = std::find(eventStarts.begin(), eventStarts.end(), k) != eventStarts.end();
    const bool allocStart = isAllocatingStep(t.kindAt(k)) && t.step[k] != t.step[k - 1];
    if (eventStart || allocStart) return k - 1;
  }
  return t.size() - 1;
}

ReleaseEvent measured(const Trace& t, const std::vector<double>& rss, std::string label, size_t startRow,
                      double before, size_t endRow) {
  ReleaseEvent e;
  e.label = std::move(label);
  e.time = t.time[startRow];
  e.quietEnd = t.time[endRow];
  e.before = before;
  e.target = rss[endRow];
  e.releaseS = kNaN;
  for (size_t k = startRow; k <= endRow; ++k) {
    if (!std::isnan(rss[k]) && std::fabs(rss[k] - e.target) <= 0.1 * e.target) {
      e.releaseS = t.time[k] - e.time;
      break;
    }
  }
  return e;
}

// The row with the highest rss among rows j < i with t_j in [t_i - 5 s, t_i).
std::optional<size_t> recentHigh(const Trace& t, const std::vector<double>& rss, size_t i) {
  std::optional<size_t> best;
  for (size_t j = i; j-- > 0 && t.time[j] >= t.time[i] - 5.0;) {
    if (t.time[j] >= t.time[i] || std::isnan(rss[j])) continue;
    if (!best || rss[j] > rss[*best]) best = j;
  }
  return best;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

const std::vector<double>* Trace::column(const std::string& name) const {
  const auto it = cols.find(name);
  if (it == cols.end()) return nullptr;
  const bool any = std::any_of(it->second.begin(), it->second.end(), [](double v) { return !std::isnan(v); });
  return any ? &it->second : nullptr;
}

Trace traceFromCsv(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw ValidateError(1, path + ": empty trace");
  const std::vector<std::string> header = csvFields(line);
  if (header.size() < 2 || header[0] != "time_s" || header[1] != "step")
    throw ValidateError(1, path + ":1: expected a header starting time_s,step");
  Trace t;
  t.names.assign(header.begin() + 2, header.end());
  for (const auto& n : t.names) t.cols[n];
  int lineNo = 1;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty()) continue;
    const std::vector<std::string> f = csvFields(line);
    const std::string where = path + ":" + std::to_string(lineNo);
    if (f.size() != header.size())
      throw ValidateError(1, where + ": expected " + std::to_string(header.size()) + " fields, got " +
                                 std::to_string(f.size()));
    t.time.push_back(cellValue(f[0], where));
    t.step.push_back(f[1]);
    t.kind.push_back(f[1]);
    for (size_t c = 2; c < f.size(); ++c) t.cols[header[c]].push_back(cellValue(f[c], where));
  }
  // No heap goal (GOGC=off without a memory limit): Go 1.19 reports the memory-limit goal of
  // an unlimited limit, ~2^63 B (mgcpacer.go memoryLimitHeapGoal); gomemsim's trace writes 0.
  if (auto it = t.cols.find("heap_goal"); it != t.cols.end())
    for (double& v : it->second)
      if (v >= kNoHeapGoalAbove) v = 0;
  return t;
}

Trace traceFromSim(const SimResult& r) {
  Trace t = traceFromCsv(traceCsv(r), "gomemsim trace");
  for (size_t i = 0; i < t.size() && i < r.rows.size(); ++i)
    if (!r.rows[i].kind.empty()) t.kind[i] = r.rows[i].kind;
  return t;
}

void stepKindsFromScenario(Trace& t, const Scenario& s) {
  std::map<std::string, std::string> labelOf;
  for (const Step& st : s.steps)
    if (!st.name.empty()) labelOf.emplace(st.name, st.label);
  t.kind.resize(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    if (t.kind[i].empty()) t.kind[i] = t.step[i];
    if (const auto it = labelOf.find(t.step[i]); it != labelOf.end()) t.kind[i] = it->second;
  }
}

double interpolateAt(const std::vector<double>& t, const std::vector<double>& v, double at) {
  return Series(t, v).at(at);
}

SeriesStats seriesStats(const std::vector<double>& t, const std::vector<double>& v) {
  const Series s(t, v);
  SeriesStats st;
  if (s.empty()) return st;
  const auto& tt = s.t();
  const auto& vv = s.v();
  st.peak = *std::max_element(vv.begin(), vv.end());
  st.final = vv.back();
  const double span = tt.back() - tt.front();
  if (span <= 0) {
    st.mean = vv.front();
    return st;
  }
  double area = 0;
  for (size_t i = 1; i < tt.size(); ++i) area += (tt[i] - tt[i - 1]) * (vv[i] + vv[i - 1]) / 2;
  st.mean = area / span;
  return st;
}

double relativeError(double sim, double real) {
  if (std::isnan(sim) || std::isnan(real)) return kNaN;
  if (real == 0) return sim == 0 ? 0 : (sim > 0 ? INFINITY : -INFINITY);
  return (sim - real) / std::fabs(real);
}

double relativeL2(const Eigen::VectorXd& sim, const Eigen::VectorXd& real) {
  const double denom = real.norm();
  const double diff = (sim - real).norm();
  if (denom == 0) return diff == 0 ? 0 : INFINITY;
  return diff / denom;
}

std::vector<double> alignRealTimes(const Trace& sim, const Trace& real, AlignMode mode, std::string* note) {
  if (mode == AlignMode::Time) return real.time;
  const auto sr = stepRuns(sim), rr = stepRuns(real);
  bool same = sr.size() == rr.size();
  for (size_t i = 0; same && i < sr.size(); ++i) same = sr[i].first == rr[i].first;
  if (!same || sr.empty()) {
    if (note) *note = "the two traces do not show the same sequence of steps; aligned by time instead";
    return real.time;
  }
  std::vector<double> from{0}, to{0};
  for (size_t i = 0; i < sr.size(); ++i) {
    from.push_back(std::max(from.back(), real.time[rr[i].second]));
    to.push_back(std::max(to.back(), sim.time[sr[i].second]));
  }
  std::vector<double> out;
  out.reserve(real.size());
  for (double t : real.time) out.push_back(warp(from, to, t));
  return out;
}

std::vector<ReleaseEvent> releaseEvents(const Trace& t) {
  std::vector<ReleaseEvent> events;
  const std::vector<double>* rssCol = t.column("rss");
  if (!rssCol || t.size() == 0) return events;
  const std::vector<double>& rss = *rssCol;
  // Step events and their windows.
  std::vector<size_t> starts;
  for (size_t i = 0; i < t.size(); ++i)
    if (isReleaseStep(t.kindAt(i)) && (i == 0 || t.step[i - 1] != t.step[i])) starts.push_back(i);
  std::vector<Window> windows;
  for (size_t i : starts) {
    const size_t end = quietEndRow(t, i, starts);
    const double before = i > 0 && !std::isnan(rss[i - 1]) ? rss[i - 1] : rss[i];
    events.push_back(measured(t, rss, t.kindAt(i), i, before, end));
    windows.push_back(Window{i, end});
  }
  // Fall events outside those windows.
  for (size_t i = 1; i < t.size(); ++i) {
    if (std::isnan(rss[i]) || inWindows(windows, i)) continue;
    const auto high = recentHigh(t, rss, i);
    if (!high || rss[i] >= 0.75 * rss[*high]) continue;
    const size_t end = std::max(i, quietEndRow(t, i, starts));
    events.push_back(measured(t, rss, "fall", *high, rss[*high], end));
    windows.push_back(Window{*high, end});
    i = end;
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const ReleaseEvent& a, const ReleaseEvent& b) { return a.time < b.time; });
  std::map<std::string, int> seen;
  for (ReleaseEvent& e : events) e.ordinal = ++seen[e.label];
  return events;
}

const std::vector<std::string>& comparedMetrics() {
  // The CPU classes only where both traces have them (Go 1.20+ runtime/metrics /cpu/classes).
  static const std::vector<std::string> kMetrics = {"rss",         "heap_alloc", "heap_inuse", "heap_released",
                                                    "heap_goal",   "num_gc",     "pprof_inuse", "cpu_user_s",
                                                    "cpu_gc_s",    "cpu_idle_s"};
  return kMetrics;
}

namespace {

void addMetricRows(Comparison& c, const Trace& sim, const Trace& real, const std::string& m) {
  const std::vector<double>* s = sim.column(m);
  const std::vector<double>* r = real.column(m);
  if (!s || !r) return;
  const SeriesStats ss = seriesStats(sim.time, *s), rs = seriesStats(real.time, *r);
  c.rows.push_back(MetricRow{m, "peak", ss.peak, rs.peak, relativeError(ss.peak, rs.peak)});
  c.rows.push_back(MetricRow{m, "final", ss.final, rs.final, relativeError(ss.final, rs.final)});
  c.rows.push_back(MetricRow{m, "mean", ss.mean, rs.mean, relativeError(ss.mean, rs.mean)});
  // Aligned: gomemsim's samples up to the earlier end, against the real series there.
  const Series realAligned(c.realTimesAligned, *r);
  const double end = std::min(c.simEnd, c.realTimesAligned.empty() ? 0 : c.realTimesAligned.back());
  std::vector<double> sv, rv;
  for (size_t i = 0; i < sim.size(); ++i) {
    if (sim.time[i] > end || std::isnan((*s)[i])) continue;
    sv.push_back((*s)[i]);
    rv.push_back(realAligned.at(sim.time[i]));
  }
  const Eigen::VectorXd se = Eigen::Map<const Eigen::VectorXd>(sv.data(), static_cast<Eigen::Index>(sv.size()));
  const Eigen::VectorXd re = Eigen::Map<const Eigen::VectorXd>(rv.data(), static_cast<Eigen::Index>(rv.size()));
  c.rows.push_back(MetricRow{m, "l2", kNaN, kNaN, relativeL2(se, re)});
}

void addReleaseRow(Comparison& c, const std::string& label, int ordinal, const ReleaseEvent* s,
                   const ReleaseEvent* r) {
  const std::string key = label + "#" + std::to_string(ordinal);
  const double sv = s ? s->releaseS : kNaN, rv = r ? r->releaseS : kNaN;
  c.rows.push_back(MetricRow{"rss", "release_s:" + key, sv, rv, relativeError(sv, rv)});
  const double sb = s ? s->before - s->target : kNaN, rb = r ? r->before - r->target : kNaN;
  c.rows.push_back(MetricRow{"rss", "released:" + key, sb, rb, relativeError(sb, rb)});
}

// Step events pair by (label, ordinal); falls with the nearest real fall within 10 s.
void addReleaseRows(Comparison& c, const Trace& sim, const Trace& real) {
  const auto se = releaseEvents(sim);
  auto re = releaseEvents(real);
  const Series toSim(real.time, c.realTimesAligned);
  std::vector<bool> used(re.size(), false);
  for (const ReleaseEvent& s : se) {
    std::optional<size_t> match;
    for (size_t j = 0; j < re.size(); ++j) {
      if (used[j] || re[j].label != s.label) continue;
      if (s.label != "fall") {
        if (re[j].ordinal == s.ordinal) match = j;
        continue;
      }
      const double d = std::fabs(toSim.at(re[j].time) - s.time);
      if (d <= 10.0 && (!match || d < std::fabs(toSim.at(re[*match].time) - s.time))) match = j;
    }
    if (match) used[*match] = true;
    addReleaseRow(c, s.label, s.ordinal, &s, match ? &re[*match] : nullptr);
  }
  for (size_t j = 0; j < re.size(); ++j)
    if (!used[j]) addReleaseRow(c, re[j].label + "(real only)", re[j].ordinal, nullptr, &re[j]);
}

}  // namespace

Comparison compareTraces(const Trace& sim, const Trace& real, AlignMode mode) {
  Comparison c;
  c.realTimesAligned = alignRealTimes(sim, real, mode, &c.alignNote);
  c.simEnd = sim.size() ? sim.time.back() : 0;
  c.realEnd = real.size() ? real.time.back() : 0;
  for (const std::string& m : comparedMetrics()) addMetricRows(c, sim, real, m);
  addReleaseRows(c, sim, real);
  return c;
}

std::vector<Tolerance> parseTolerances(const std::string& spec) {
  static const std::vector<std::string> kStats = {"peak", "final", "mean", "l2", "release"};
  const std::string form =
      "expected METRIC[.STAT]=REL[,...] such as rss=0.2,heap_alloc.peak=0.1 (STAT one of peak, final, mean, l2, "
      "release; REL a relative error >= 0)";
  std::vector<Tolerance> out;
  std::istringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) throw ValidateError(2, "--tolerance: " + form + ", got '" + item + "'");
    Tolerance t;
    std::string key = item.substr(0, eq);
    const size_t dot = key.find('.');
    t.metric = key.substr(0, dot);
    if (dot != std::string::npos) t.stat = key.substr(dot + 1);
    const std::string val = item.substr(eq + 1);
    auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), t.rel);
    const auto& ms = comparedMetrics();
    if (ec != std::errc() || p != val.data() + val.size() || !(t.rel >= 0) ||
        std::find(ms.begin(), ms.end(), t.metric) == ms.end() ||
        (!t.stat.empty() && std::find(kStats.begin(), kStats.end(), t.stat) == kStats.end()) ||
        (t.stat == "release" && t.metric != "rss"))
      throw ValidateError(2, "--tolerance: " + form + ", got '" + item + "'");
    out.push_back(t);
  }
  return out;
}

namespace {
bool covers(const Tolerance& t, const MetricRow& r) {
  if (t.metric != r.metric) return false;
  if (t.stat.empty()) return r.stat == "peak" || r.stat == "final" || r.stat == "mean";
  if (t.stat == "release") return r.stat.rfind("release_s:", 0) == 0;
  return t.stat == r.stat;
}
}  // namespace

std::vector<std::string> toleranceViolations(const Comparison& c, const std::vector<Tolerance>& tol) {
  std::vector<std::string> out;
  for (const MetricRow& r : c.rows) {
    if (std::isnan(r.relErr)) continue;
    for (const Tolerance& t : tol) {
      if (!covers(t, r) || std::fabs(r.relErr) <= t.rel) continue;
      char buf[256];
      std::snprintf(buf, sizeof buf, "%s %s: relative error %s exceeds tolerance %g", r.metric.c_str(),
                    r.stat.c_str(), num(r.relErr).c_str(), t.rel);
      out.push_back(buf);
      break;
    }
  }
  return out;
}

int toleranceExitStatus(const std::vector<std::string>& violations) { return violations.empty() ? 0 : 3; }

std::string validateCsv(const Comparison& c) {
  std::string o = "metric,stat,sim,real,rel_err\n";
  for (const MetricRow& r : c.rows)
    o += r.metric + "," + csvQuoted(r.stat) + "," + num(r.sim) + "," + num(r.real) + "," + num(r.relErr) + "\n";
  return o;
}

std::string overlayCsv(const Trace& sim, const Trace& real, const Comparison& c) {
  std::vector<std::string> cols;
  for (const std::string& n : sim.names)
    if (sim.column(n) && real.column(n)) cols.push_back(n);
  std::string o = "time_s,real_time_s,step";
  for (const auto& n : cols) o += ",sim_" + n + ",real_" + n;
  o += "\n";
  std::vector<Series> realSeries;
  for (const auto& n : cols) realSeries.emplace_back(c.realTimesAligned, *real.column(n));
  const Series realTime(c.realTimesAligned, real.time);
  char buf[64];
  for (size_t i = 0; i < sim.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.4f,%.4f,", sim.time[i], realTime.at(sim.time[i]));
    o += buf + csvQuoted(sim.step[i]);
    for (size_t k = 0; k < cols.size(); ++k) {
      const double rv = realSeries[k].at(sim.time[i]);
      o += ',';
      o += num(sim.cols.at(cols[k])[i]);
      o += ',';
      o += cols[k] == "gc_cpu_fraction" ? num(rv) : num(std::round(rv));
    }
    o += "\n";
  }
  return o;
}

}  // namespace gomemsim
