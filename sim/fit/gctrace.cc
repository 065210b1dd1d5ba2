#include "fit/gctrace.h"

#include <regex>

namespace gomemsim {

namespace {

// Go 1.11-1.27 mgc.go gcMarkTermination (fmtNSAsMS prints "0.015", "1.2", "12"); the stacks and
// globals fields are Go 1.18+, the leak-checker note Go 1.26+.
const std::regex& gcLineRe() {
  static const std::regex re(
      R"(^gc (\d+) @(\d+(?:\.\d+)?)s (\d+)%(?: \([^)]*\))?: )"
      R"((\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?) ms clock, )"
      R"((\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?) ms cpu, )"
      R"((\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (?:(\d+) MB stacks, (\d+) MB globals, )?(\d+) P( \(forced\))?\s*$)");
  return re;
}
const std::regex& gcStartRe() {
  static const std::regex re(R"((^|[^A-Za-z0-9_])(gc \d+ @.*)$)");
  return re;
}
// mgcscavenge.go printScavTrace: Go 1.14 and 1.19-1.20, Go 1.15-1.18 (with the GC number),
// Go 1.21+ (background and eager work).
const std::regex& scav114Re() {
  static const std::regex re(R"(^scav (\d+) KiB work, (\d+) KiB total, (\d+)% util( \(forced\))?\s*$)");
  return re;
}
const std::regex& scav115Re() {
  static const std::regex re(R"(^scav \d+ (\d+) KiB work, (\d+) KiB total, (\d+)% util( \(forced\))?\s*$)");
  return re;
}
const std::regex& scav121Re() {
  static const std::regex re(
      R"(^scav (\d+) KiB work \(bg\), (\d+) KiB work \(eager\), (\d+) KiB now, (\d+)% util( \(forced\))?\s*$)");
  return re;
}
const std::regex& scavStartRe() {
  static const std::regex re(R"((^|[^A-Za-z0-9_])(scav \d.*)$)");
  return re;
}

std::optional<ScavTraceLine> parseScavLine(const std::string& text) {
  std::smatch m;
  ScavTraceLine s;
  if (std::regex_match(text, m, scav121Re())) {
    s.workKiB = std::stoll(m[1]) + std::stoll(m[2]);
    s.totalKiB = std::stoll(m[3]);
    s.utilPct = std::stoi(m[4]);
    s.forced = m[5].matched;
    return s;
  }
  if (std::regex_match(text, m, scav114Re()) || std::regex_match(text, m, scav115Re())) {
    s.workKiB = std::stoll(m[1]);
    s.totalKiB = std::stoll(m[2]);
    s.utilPct = std::stoi(m[3]);
    s.forced = m[4].matched;
    return s;
  }
  return std::nullopt;
}

}  // namespace

std::optional<GcTraceCycle> parseGcTraceLine(const std::string& text, std::string& why) {
  std::smatch m;
  if (!std::regex_match(text, m, gcLineRe())) {
    why = "expected 'gc N @Ts U%: a+b+c ms clock, d+e/f/g+h ms cpu, X->Y->Z MB, G MB goal, [S MB stacks, "
          "L MB globals, ]P P' (cut short or changed?)";
    return std::nullopt;
  }
  GcTraceCycle c;
  c.n = std::stoll(m[1]);
  c.startS = std::stod(m[2]);
  c.utilPct = std::stoi(m[3]);
  for (int i = 0; i < 3; ++i) c.clockMs[i] = std::stod(m[4 + i]);
  for (int i = 0; i < 5; ++i) c.cpuMs[i] = std::stod(m[7 + i]);
  c.heap0Mb = std::stoll(m[12]);
  c.heap1Mb = std::stoll(m[13]);
  c.heap2Mb = std::stoll(m[14]);
  c.goalMb = std::stoll(m[15]);
  if (m[16].matched) {
    c.stacksMb = std::stoll(m[16]);
    c.globalsMb = std::stoll(m[17]);
  }
  c.procs = std::stoll(m[18]);
  c.forced = m[19].matched;
  return c;
}

GcTraceLog readGcTrace(std::istream& in, const std::string& name) {
  GcTraceLog log;
  std::string line;
  int lineNo = 0;
  bool sawOld = false, sawNew = false;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::smatch m;
    if (std::regex_search(line, m, gcStartRe())) {
      std::string why;
      std::optional<GcTraceCycle> c = parseGcTraceLine(m[2].str(), why);
      if (!c) {
        log.problems.push_back(name + ":" + std::to_string(lineNo) + ": " + why);
        continue;
      }
      c->line = lineNo;
      (c->stacksMb ? sawNew : sawOld) = true;
      log.cycles.push_back(*c);
    } else if (std::regex_search(line, m, scavStartRe())) {
      std::optional<ScavTraceLine> s = parseScavLine(m[2].str());
      if (!s) {
        log.problems.push_back(name + ":" + std::to_string(lineNo) +
                               ": expected a scavtrace line such as 'scav 0 KiB work (bg), 0 KiB work (eager), "
                               "4400 KiB now, 100% util' (Go 1.21+) or 'scav 12 KiB work, 4400 KiB total, 99% util'");
        continue;
      }
      s->line = lineNo;
      log.scav.push_back(*s);
    } else if (line.find("GC forced") != std::string::npos) {
      ++log.periodicMarks;
    }
  }
  log.era = sawNew ? GcTraceEra::Go118 : sawOld ? GcTraceEra::Go111 : GcTraceEra::Unknown;
  return log;
}

}  // namespace gomemsim
