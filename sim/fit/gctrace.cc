#include "fit/gctrace.h"

#include <cctype>
#include <cstdlib>
#include <string_view>

namespace gomemsim {

namespace {

// A cursor over one trace line: each step consumes what it expects or fails (no std::regex:
// GCC 12 warns inside <regex> under the sanitizers, and a log can be millions of lines).
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool lit(std::string_view t) {
    if (s_.substr(i_, t.size()) != t) return false;
    i_ += t.size();
    return true;
  }
  bool integer(int64_t& v) {
    size_t j = i_;
    v = 0;
    while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j])) && j - i_ < 18) v = v * 10 + (s_[j++] - '0');
    if (j == i_) return false;
    i_ = j;
    return true;
  }
  // "12", "0.015", "1.2": what fmtNSAsMS and itoaDiv print.
  bool number(double& v) {
    int64_t whole = 0;
    if (!integer(whole)) return false;
    v = static_cast<double>(whole);
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      double scale = 0.1;
      size_t j = i_;
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) {
        v += (s_[j++] - '0') * scale;
        scale /= 10;
      }
      if (j == i_) return false;
      i_ = j;
    }
    return true;
  }
  bool intAs(int& v) {
    int64_t x = 0;
    if (!integer(x)) return false;
    v = static_cast<int>(x);
    return true;
  }
  // " (...)" such as Go 1.26's " (checking for goroutine leaks)".
  bool parenthesised() {
    if (!lit(" (")) return false;
    const size_t close = s_.find(')', i_);
    if (close == std::string_view::npos) return false;
    i_ = close + 1;
    return true;
  }
  bool atEnd() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ == s_.size();
  }
  size_t pos() const { return i_; }
  void seek(size_t i) { i_ = i; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

// Where `word` followed by a digit starts a trace line in `line` (after the start of the line
// or a character that cannot end a word), or npos.
size_t traceStart(const std::string& line, std::string_view word) {
  for (size_t at = line.find(word); at != std::string::npos; at = line.find(word, at + 1)) {
    const bool boundary = at == 0 || !(std::isalnum(static_cast<unsigned char>(line[at - 1])) || line[at - 1] == '_');
    const size_t d = at + word.size();
    if (boundary && d < line.size() && std::isdigit(static_cast<unsigned char>(line[d]))) return at;
  }
  return std::string::npos;
}

// Where "gc N @" starts a gctrace line in `line`, or npos.
size_t gcLineStart(const std::string& line) {
  for (size_t at = traceStart(line, "gc "); at != std::string::npos;) {
    size_t d = at + 3;
    while (d < line.size() && std::isdigit(static_cast<unsigned char>(line[d]))) ++d;
    if (line.compare(d, 2, " @") == 0) return at;
    const size_t next = traceStart(line.substr(at + 1), "gc ");
    at = next == std::string::npos ? next : at + 1 + next;
  }
  return std::string::npos;
}

// mgcscavenge.go printScavTrace: Go 1.21+ (background and eager work), Go 1.14 and 1.19-1.20,
// Go 1.15-1.18 (with the GC number first).
std::optional<ScavTraceLine> parseScavLine(std::string_view text) {
  ScavTraceLine s;
  int64_t a = 0, b = 0, c = 0;
  Cursor k(text);
  if (!k.lit("scav ") || !k.integer(a)) return std::nullopt;
  const size_t afterFirst = k.pos();
  if (k.lit(" KiB work (bg), ")) {
    if (!k.integer(b) || !k.lit(" KiB work (eager), ") || !k.integer(c) || !k.lit(" KiB now, ") || !k.intAs(s.utilPct) ||
        !k.lit("% util"))
      return std::nullopt;
    s.workKiB = a + b;
    s.totalKiB = c;
  } else {
    k.seek(afterFirst);
    const bool go114 = k.lit(" KiB work, ");
    // Go 1.15-1.18: the GC number, then the work.
    if (!go114 && !(k.lit(" ") && k.integer(a) && k.lit(" KiB work, "))) return std::nullopt;
    if (!k.integer(b) || !k.lit(" KiB total, ") || !k.intAs(s.utilPct) || !k.lit("% util")) return std::nullopt;
    s.workKiB = a;
    s.totalKiB = b;
  }
  s.forced = k.lit(" (forced)");
  if (!k.atEnd()) return std::nullopt;
  return s;
}

}  // namespace

std::optional<GcTraceCycle> parseGcTraceLine(const std::string& text, std::string& why) {
  // Go 1.11-1.27 mgc.go gcMarkTermination; the stacks and globals fields are Go 1.18+, the
  // parenthesised note after the utilisation Go 1.26+ (the goroutine leak checker).
  GcTraceCycle c;
  Cursor k(text);
  int64_t stacks = 0, globals = 0;
  const bool ok = k.lit("gc ") && k.integer(c.n) && k.lit(" @") && k.number(c.startS) && k.lit("s ") && k.intAs(c.utilPct) &&
                  k.lit("%") && (k.lit(": ") || (k.parenthesised() && k.lit(": "))) && k.number(c.clockMs[0]) &&
                  k.lit("+") && k.number(c.clockMs[1]) && k.lit("+") && k.number(c.clockMs[2]) && k.lit(" ms clock, ") &&
                  k.number(c.cpuMs[0]) && k.lit("+") && k.number(c.cpuMs[1]) && k.lit("/") && k.number(c.cpuMs[2]) &&
                  k.lit("/") && k.number(c.cpuMs[3]) && k.lit("+") && k.number(c.cpuMs[4]) && k.lit(" ms cpu, ") &&
                  k.integer(c.heap0Mb) && k.lit("->") && k.integer(c.heap1Mb) && k.lit("->") && k.integer(c.heap2Mb) &&
                  k.lit(" MB, ") && k.integer(c.goalMb) && k.lit(" MB goal, ");
  if (ok) {
    int64_t first = 0;
    if (k.integer(first)) {
      if (k.lit(" MB stacks, ")) {
        stacks = first;
        if (k.integer(globals) && k.lit(" MB globals, ") && k.integer(c.procs) && k.lit(" P")) {
          c.stacksMb = stacks;
          c.globalsMb = globals;
          c.forced = k.lit(" (forced)");
          if (k.atEnd()) return c;
        }
      } else if (k.lit(" P")) {
        c.procs = first;
        c.forced = k.lit(" (forced)");
        if (k.atEnd()) return c;
      }
    }
  }
  why = "expected 'gc N @Ts U%: a+b+c ms clock, d+e/f/g+h ms cpu, X->Y->Z MB, G MB goal, [S MB stacks, "
        "L MB globals, ]P P' (cut short or changed?)";
  return std::nullopt;
}

namespace {
// The "[ 36.256000]" a kernel line starts with (after any logger prefix), in seconds.
std::optional<double> kernelTimestamp(const std::string& line) {
  const size_t open = line.find('[');
  if (open == std::string::npos) return std::nullopt;
  const char* p = line.c_str() + open + 1;
  while (*p == ' ') ++p;
  char* end = nullptr;
  const double t = std::strtod(p, &end);
  if (end == p || *end != ']' || !(t >= 0)) return std::nullopt;
  return t;
}
}  // namespace

GcTraceLog readGcTrace(std::istream& in, const std::string& name) {
  GcTraceLog log;
  std::string line;
  int lineNo = 0;
  bool sawOld = false, sawNew = false;
  bool periodicPending = false;  // a "GC forced" line: the next cycle is sysmon's
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (const size_t at = gcLineStart(line); at != std::string::npos) {
      std::string why;
      std::optional<GcTraceCycle> c = parseGcTraceLine(line.substr(at), why);
      if (!c) {
        log.problems.push_back(name + ":" + std::to_string(lineNo) + ": " + why);
        continue;
      }
      c->line = lineNo;
      c->periodic = periodicPending;
      periodicPending = false;
      (c->stacksMb ? sawNew : sawOld) = true;
      log.cycles.push_back(*c);
    } else if (const size_t sc = traceStart(line, "scav "); sc != std::string::npos) {
      std::optional<ScavTraceLine> s = parseScavLine(std::string_view(line).substr(sc));
      if (!s) {
        log.problems.push_back(name + ":" + std::to_string(lineNo) +
                               ": expected a scavtrace line such as 'scav 0 KiB work (bg), 0 KiB work (eager), "
                               "4400 KiB now, 100% util' (Go 1.21+) or 'scav 12 KiB work, 4400 KiB total, 99% util'");
        continue;
      }
      s->line = lineNo;
      log.scav.push_back(*s);
    } else if (const size_t k = line.find("Killed process"); k != std::string::npos) {
      if (const auto t = kernelTimestamp(line); t && !log.killedAtS) log.killedAtS = *t;
    } else if (const size_t m = line.find("memory: usage "); m != std::string::npos) {
      if (const size_t l = line.find(", limit ", m); l != std::string::npos) {
        const char* p = line.c_str() + l + 8;
        char* end = nullptr;
        const long long kib = std::strtoll(p, &end, 10);
        if (end != p && std::string_view(end).substr(0, 2) == "kB" && kib > 0) log.cgroupLimitBytes = kib * 1024;
      }
    } else if (line.find("GC forced") != std::string::npos) {
      ++log.periodicMarks;
      periodicPending = true;
    }
  }
  log.era = sawNew ? GcTraceEra::Go118 : sawOld ? GcTraceEra::Go111 : GcTraceEra::Unknown;
  return log;
}

}  // namespace gomemsim
