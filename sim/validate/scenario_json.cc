// scenario_json.cc: Scenario <-> normalised JSON.
//
// Design: both directions go through one small ordered JSON tree (Json). scenarioToJson builds
// the tree field by field and prints it; scenarioFromJson parses text into the tree (recording
// the line and column of every value) and reads it back with Obj, which rejects unknown and
// missing keys. Integers are kept as their text so int64 values survive exactly.
#include "validate/scenario_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <type_traits>

#include "engine/simulation.h"
#include "pacer/pacer.h"
#include "scavenger/scavenger.h"

namespace gomemsim {
namespace {

// ---------------------------------------------------------------------------------------------
// The tree

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string text;  // String: the value; Number: the literal as written
  std::vector<Json> items;
  struct Field;  // a key and its value (std::pair<std::string, Json> needs Json complete in clang)
  std::vector<Field> fields;
  int line = 0, column = 0;

  static Json null();
  static Json of(bool b);
  static Json of(int64_t v);
  static Json of(uint64_t v);
  static Json of(double v);
  static Json of(const std::string& s);
  static Json object();
  static Json array();
  Json& add(std::string key, Json v);
};

struct Json::Field {
  std::string first;
  Json second;
};

Json Json::null() { return Json{}; }
Json Json::of(bool b) { Json j; j.kind = Kind::Bool; j.boolean = b; return j; }
Json Json::of(int64_t v) { Json j; j.kind = Kind::Number; j.text = std::to_string(v); return j; }
Json Json::of(uint64_t v) { Json j; j.kind = Kind::Number; j.text = std::to_string(v); return j; }
Json Json::of(const std::string& s) { Json j; j.kind = Kind::String; j.text = s; return j; }
Json Json::object() { Json j; j.kind = Kind::Object; return j; }
Json Json::array() { Json j; j.kind = Kind::Array; return j; }

Json& Json::add(std::string key, Json v) {
  fields.push_back(Field{std::move(key), std::move(v)});
  return *this;
}

// Integral doubles below 2^53 print as integers; others in the shortest round-trip form.
Json Json::of(double v) {
  Json j;
  j.kind = Kind::Number;
  if (!std::isfinite(v)) throw std::invalid_argument("JSON cannot hold a non-finite number");
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    j.text = std::to_string(static_cast<int64_t>(v));
    return j;
  }
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  j.text.assign(buf, p);
  return j;
}

Json optionalBytes(const std::optional<Bytes>& b) { return b ? Json::of(b->v) : Json::null(); }

void escapeInto(std::string& out, const std::string& s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += b;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

bool isScalar(const Json& j) { return j.kind != Json::Kind::Array && j.kind != Json::Kind::Object; }
bool allScalar(const Json& j) {
  for (const auto& [k, v] : j.fields)
    if (!isScalar(v)) return false;
  for (const auto& v : j.items)
    if (!isScalar(v)) return false;
  return true;
}

// Objects and arrays of scalars print on one line; others one member per line.
void dump(std::string& out, const Json& j, int indent) {
  switch (j.kind) {
    case Json::Kind::Null: out += "null"; return;
    case Json::Kind::Bool: out += j.boolean ? "true" : "false"; return;
    case Json::Kind::Number: out += j.text; return;
    case Json::Kind::String: escapeInto(out, j.text); return;
    default: break;
  }
  const bool obj = j.kind == Json::Kind::Object;
  const size_t n = obj ? j.fields.size() : j.items.size();
  const bool flat = allScalar(j);
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  out += obj ? '{' : '[';
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += flat ? ", " : ",";
    if (!flat) {
      out += '\n';
      out += pad;
    }
    if (obj) {
      escapeInto(out, j.fields[i].first);
      out += ": ";
    }
    dump(out, obj ? j.fields[i].second : j.items[i], indent + 2);
  }
  if (!flat && n > 0) {
    out += '\n';
    out.append(static_cast<size_t>(indent), ' ');
  }
  out += obj ? '}' : ']';
}

// ---------------------------------------------------------------------------------------------
// Scenario -> tree

Json sizeJson(const SizeDist& d) {
  Json j = Json::object();
  switch (d.kind) {
    case SizeDist::Kind::Fixed:
      return j.add("kind", Json::of(std::string("fixed"))).add("bytes", Json::of(d.fixed.v));
    case SizeDist::Kind::Choice: {
      Json cs = Json::array();
      for (const SizeChoice& c : d.choices) {
        cs.items.push_back(Json::object().add("bytes", Json::of(c.size.v)).add("weight", Json::of(c.weight)));
      }
      return j.add("kind", Json::of(std::string("choice"))).add("choices", std::move(cs));
    }
    case SizeDist::Kind::Uniform:
      return j.add("kind", Json::of(std::string("uniform")))
          .add("min_bytes", Json::of(d.min.v))
          .add("max_bytes", Json::of(d.max.v));
    case SizeDist::Kind::LogNormal:
      return j.add("kind", Json::of(std::string("lognormal")))
          .add("median_bytes", Json::of(d.median.v))
          .add("sigma", Json::of(d.sigma))
          .add("min_bytes", Json::of(d.min.v))
          .add("max_bytes", Json::of(d.max.v));
  }
  return j;
}

Json lifetimeJson(const LifetimeDist& l) {
  Json j = Json::object();
  switch (l.kind) {
    case LifetimeDist::Kind::Zero: return j.add("kind", Json::of(std::string("zero")));
    case LifetimeDist::Kind::Fixed:
      return j.add("kind", Json::of(std::string("fixed"))).add("ns", Json::of(l.fixed.v));
    case LifetimeDist::Kind::Exponential:
      return j.add("kind", Json::of(std::string("exponential"))).add("mean_ns", Json::of(l.mean.v));
    case LifetimeDist::Kind::LogNormal:
      return j.add("kind", Json::of(std::string("lognormal")))
          .add("median_ns", Json::of(l.median.v))
          .add("sigma", Json::of(l.sigma));
    case LifetimeDist::Kind::Forever: return j.add("kind", Json::of(std::string("forever")));
  }
  return j;
}

Json streamJson(const AllocStream& s) {
  return Json::object()
      .add("name", Json::of(s.name))
      .add("rate_bytes_per_s", Json::of(s.bytes_per_second))
      .add("size", sizeJson(s.size))
      .add("lifetime", lifetimeJson(s.lifetime))
      .add("set", Json::of(s.set))
      .add("touch", Json::of(s.touch))
      .add("pointers", Json::of(s.pointers))
      .add("total_bytes", optionalBytes(s.total))
      .add("line", Json::of(int64_t{s.pos.line}));
}

// The kind-specific fields of a step, added to j.
struct StepFields {
  Json& j;
  void operator()(const RunStep& r) {
    Json alloc = Json::array();
    for (const AllocStream& s : r.alloc) alloc.items.push_back(streamJson(s));
    j.add("kind", Json::of(std::string("run"))).add("duration_ns", Json::of(r.duration.v)).add("alloc", std::move(alloc));
  }
  void operator()(const LiveSetStep& l) {
    j.add("kind", Json::of(std::string("live_set")))
        .add("name", Json::of(l.name))
        .add("grow_to_bytes", Json::of(l.grow_to.v))
        .add("size", sizeJson(l.size))
        .add("over_ns", Json::of(l.over.v))
        .add("touch", Json::of(l.touch))
        .add("pointers", Json::of(l.pointers));
  }
  void operator()(const AppendStep& a) {
    j.add("kind", Json::of(std::string("append")))
        .add("slice", Json::of(a.slice))
        .add("add_bytes", Json::of(a.add.v))
        .add("times", Json::of(a.times))
        .add("elem_bytes", Json::of(a.elem.v))
        .add("pointers", Json::of(a.pointers));
  }
  void operator()(const DropStep& d) {
    j.add("kind", Json::of(std::string("drop")))
        .add("set", Json::of(d.set))
        .add("fraction", Json::of(d.fraction))
        .add("all", Json::of(d.all));
  }
  void operator()(const IdleStep& i) {
    j.add("kind", Json::of(std::string("idle"))).add("duration_ns", Json::of(i.duration.v));
  }
  void operator()(const GcStep&) { j.add("kind", Json::of(std::string("gc"))); }
  void operator()(const FreeOsMemoryStep&) { j.add("kind", Json::of(std::string("free_os_memory"))); }
  void operator()(const SetGcPercentStep& g) {
    j.add("kind", Json::of(std::string("set_gc_percent"))).add("percent", Json::of(g.percent));
  }
  void operator()(const SetMemoryLimitStep& m) {
    j.add("kind", Json::of(std::string("set_memory_limit"))).add("limit_bytes", optionalBytes(m.limit));
  }
  void operator()(const GoroutinesStep& g) {
    j.add("kind", Json::of(std::string("goroutines")))
        .add("count", Json::of(g.count))
        .add("stack_bytes", Json::of(g.stack.v));
  }
  void operator()(const OtherProcessStep& o) {
    j.add("kind", Json::of(std::string("other_process")))
        .add("name", Json::of(o.name))
        .add("rss_bytes", Json::of(o.rss.v));
  }
};

Json stepJson(const Step& s, size_t index) {
  Json j = Json::object();
  j.add("index", Json::of(static_cast<int64_t>(index))).add("label", Json::of(s.label)).add("step_name", Json::of(s.name));
  j.add("line", Json::of(int64_t{s.pos.line})).add("column", Json::of(int64_t{s.pos.column}));
  std::visit(StepFields{j}, s.body);
  return j;
}

Json runtimeJson(const Scenario& s) {
  const RuntimeKnobs& k = s.runtime;
  const GoRelease& go = goReleaseOf(k);
  const std::string scav = k.scavenger == "auto" ? std::string(go.scavenger) : k.scavenger;
  const std::string pacer = k.pacer == "auto" ? std::string(go.pacer) : k.pacer;
  return Json::object()
      .add("go", Json::of(goVersionText(k)))
      .add("gogc", Json::of(k.gogc))
      .add("memory_limit_bytes", optionalBytes(k.memory_limit))
      .add("gomaxprocs", Json::of(gomaxprocsOf(s)))
      .add("scavenger", Json::of(scav))
      .add("scavenger_default", Json::of(std::string(go.scavenger)))
      .add("pacer", Json::of(pacer))
      .add("pacer_default", Json::of(std::string(go.pacer)))
      .add("madvise", Json::of(resolvedMadvise(k)))
      .add("madvise_default", Json::of(defaultMadvise(goVersionText(k))))
      .add("godebug", Json::of(k.godebug));
}

Json scenarioTree(const Scenario& s) {
  Json steps = Json::array();
  for (size_t i = 0; i < s.steps.size(); ++i) steps.items.push_back(stepJson(s.steps[i], i));
  Json machine = Json::object()
                     .add("memory_bytes", Json::of(s.machine.memory.v))
                     .add("cgroup_limit_bytes", optionalBytes(s.machine.cgroup_limit))
                     .add("thp", Json::of(s.machine.thp))
                     .add("baseline_rss_bytes", Json::of(s.machine.baseline_rss.v));
  return Json::object()
      .add("format", Json::of(int64_t{kScenarioJsonFormat}))
      .add("name", Json::of(s.name))
      .add("about", Json::of(s.about))
      .add("file", Json::of(s.file))
      .add("seed", Json::of(s.seed))
      .add("sample_every_ns", Json::of(s.sample_every.v))
      .add("runtime", runtimeJson(s))
      .add("machine", std::move(machine))
      .add("steps", std::move(steps));
}

// ---------------------------------------------------------------------------------------------
// Text -> tree

class Parser {
 public:
  Parser(const std::string& text, const std::string& path) : t_(text), path_(path) {}

  Json document() {
    Json j = value();
    skipSpace();
    if (i_ != t_.size()) fail("expected the end of the document");
    return j;
  }

 private:
  [[noreturn]] void fail(const std::string& msg) const { throw ScenarioError(path_, line_, col(), msg); }
  int col() const { return static_cast<int>(i_ - lineStart_) + 1; }
  void skipSpace() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      if (t_[i_] == '\n') { ++line_; lineStart_ = i_ + 1; }
      ++i_;
    }
  }
  bool eat(char c) {
    skipSpace();
    if (i_ < t_.size() && t_[i_] == c) { ++i_; return true; }
    return false;
  }
  void expect(char c, const char* what) {
    if (!eat(c)) fail(std::string("expected ") + what);
  }
  bool word(const char* w) {
    const std::string_view sv(w);
    if (t_.compare(i_, sv.size(), sv) != 0) return false;
    i_ += sv.size();
    return true;
  }

  Json value() {
    if (++depth_ > 64) fail("JSON nested too deeply");
    skipSpace();
    Json j;
    j.line = line_;
    j.column = col();
    if (i_ >= t_.size()) fail("expected a value, got the end of the document");
    const char c = t_[i_];
    if (c == '{') object(j);
    else if (c == '[') array(j);
    else if (c == '"') { j.kind = Json::Kind::String; j.text = string(); }
    else if (word("null")) j.kind = Json::Kind::Null;
    else if (word("true")) j = withPos(Json::of(true), j);
    else if (word("false")) j = withPos(Json::of(false), j);
    else if (c == '-' || (c >= '0' && c <= '9')) { j.kind = Json::Kind::Number; j.text = number(); }
    else fail(std::string("expected a JSON value, got '") + c + "'");
    --depth_;
    return j;
  }
  static Json withPos(Json v, const Json& at) { v.line = at.line; v.column = at.column; return v; }

  void object(Json& j) {
    j.kind = Json::Kind::Object;
    ++i_;
    if (eat('}')) return;
    do {
      skipSpace();
      if (i_ >= t_.size() || t_[i_] != '"') fail("expected a key in double quotes");
      std::string k = string();
      expect(':', "':' after a key");
      j.fields.push_back(Json::Field{std::move(k), value()});
    } while (eat(','));
    expect('}', "',' or '}'");
  }
  void array(Json& j) {
    j.kind = Json::Kind::Array;
    ++i_;
    if (eat(']')) return;
    do j.items.push_back(value());
    while (eat(','));
    expect(']', "',' or ']'");
  }
  std::string number() {
    const size_t b = i_;
    while (i_ < t_.size() && std::string_view("+-0123456789.eE").find(t_[i_]) != std::string_view::npos) ++i_;
    return t_.substr(b, i_ - b);
  }
  std::string string() {
    ++i_;  // opening quote
    std::string out;
    while (i_ < t_.size() && t_[i_] != '"') {
      char c = t_[i_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') { out += c; continue; }
      if (i_ >= t_.size()) break;
      c = t_[i_++];
      switch (c) {
        case '"': case '\\': case '/': out += c; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': out += unicode(); break;
        default: fail(std::string("unknown escape \\") + c);
      }
    }
    if (i_ >= t_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  // \uXXXX as UTF-8 (surrogate pairs are not needed by the writer and are rejected).
  std::string unicode() {
    if (i_ + 4 > t_.size()) fail("expected four hex digits after \\u");
    unsigned v = 0;
    auto [p, ec] = std::from_chars(t_.data() + i_, t_.data() + i_ + 4, v, 16);
    if (ec != std::errc() || p != t_.data() + i_ + 4) fail("expected four hex digits after \\u");
    i_ += 4;
    if (v >= 0xD800 && v <= 0xDFFF) fail("surrogate \\u escapes are not supported");
    std::string o;
    if (v < 0x80) o += static_cast<char>(v);
    else if (v < 0x800) { o += static_cast<char>(0xC0 | (v >> 6)); o += static_cast<char>(0x80 | (v & 0x3F)); }
    else {
      o += static_cast<char>(0xE0 | (v >> 12));
      o += static_cast<char>(0x80 | ((v >> 6) & 0x3F));
      o += static_cast<char>(0x80 | (v & 0x3F));
    }
    return o;
  }

  const std::string& t_;
  const std::string& path_;
  size_t i_ = 0, lineStart_ = 0;
  int line_ = 1;
  int depth_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Tree -> Scenario

// One JSON object being read: every key must be read exactly once (unknown keys are errors).
class Obj {
 public:
  Obj(const Json& j, std::string what, const std::string& path) : j_(j), what_(std::move(what)), path_(path) {
    if (j.kind != Json::Kind::Object) failAt(j, "expected an object");
  }
  ~Obj() = default;
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;

  const Json& get(const std::string& key) {
    for (const auto& [k, v] : j_.fields) {
      if (k == key) {
        used_.push_back(key);
        return v;
      }
    }
    failAt(j_, "missing key '" + key + "'");
  }
  // Call after reading: any key not read is unknown.
  void done() const {
    for (const auto& [k, v] : j_.fields) {
      if (std::find(used_.begin(), used_.end(), k) == used_.end()) failAt(v, "unknown key '" + k + "'");
    }
  }

  std::string str(const std::string& key) { return asString(get(key), key); }
  int64_t integer(const std::string& key) { return asInt(get(key), key); }
  double real(const std::string& key) {
    const Json& v = get(key);
    if (v.kind != Json::Kind::Number) failAt(v, key + ": expected a number");
    double d = 0;
    auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
    if (ec != std::errc() || p != v.text.data() + v.text.size()) failAt(v, key + ": malformed number");
    return d;
  }
  bool boolean(const std::string& key) {
    const Json& v = get(key);
    if (v.kind != Json::Kind::Bool) failAt(v, key + ": expected true or false");
    return v.boolean;
  }
  std::optional<Bytes> optionalBytes(const std::string& key) {
    const Json& v = get(key);
    if (v.kind == Json::Kind::Null) return std::nullopt;
    return Bytes(asInt(v, key));
  }
  const std::string& what() const { return what_; }
  const std::string& path() const { return path_; }

  [[noreturn]] void failAt(const Json& at, const std::string& msg) const {
    throw ScenarioError(path_, at.line, at.column, what_ + ": " + msg);
  }

 private:
  std::string asString(const Json& v, const std::string& key) const {
    if (v.kind != Json::Kind::String) failAt(v, key + ": expected a string");
    return v.text;
  }
  int64_t asInt(const Json& v, const std::string& key) const {
    int64_t x = 0;
    auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), x);
    if (v.kind != Json::Kind::Number || ec != std::errc() || p != v.text.data() + v.text.size())
      failAt(v, key + ": expected a whole number");
    return x;
  }

  const Json& j_;
  std::string what_;
  const std::string& path_;
  std::vector<std::string> used_;
};

const Json& arrayAt(Obj& o, const std::string& key) {
  const Json& a = o.get(key);
  if (a.kind != Json::Kind::Array) o.failAt(a, key + ": expected an array");
  return a;
}

SizeDist sizeFrom(const Json& j, const std::string& what, const std::string& path) {
  Obj o(j, what, path);
  SizeDist d;
  const std::string kind = o.str("kind");
  if (kind == "fixed") {
    d.kind = SizeDist::Kind::Fixed;
    d.fixed = Bytes(o.integer("bytes"));
  } else if (kind == "choice") {
    d.kind = SizeDist::Kind::Choice;
    const Json& cs = arrayAt(o, "choices");
    for (size_t i = 0; i < cs.items.size(); ++i) {
      Obj c(cs.items[i], what + ".choices[" + std::to_string(i) + "]", path);
      d.choices.push_back(SizeChoice{Bytes(c.integer("bytes")), c.real("weight")});
      c.done();
    }
  } else if (kind == "uniform") {
    d.kind = SizeDist::Kind::Uniform;
    d.min = Bytes(o.integer("min_bytes"));
    d.max = Bytes(o.integer("max_bytes"));
  } else if (kind == "lognormal") {
    d.kind = SizeDist::Kind::LogNormal;
    d.median = Bytes(o.integer("median_bytes"));
    d.sigma = o.real("sigma");
    d.min = Bytes(o.integer("min_bytes"));
    d.max = Bytes(o.integer("max_bytes"));
  } else {
    o.failAt(j, "kind: expected fixed, choice, uniform or lognormal, got '" + kind + "'");
  }
  o.done();
  return d;
}

LifetimeDist lifetimeFrom(const Json& j, const std::string& what, const std::string& path) {
  Obj o(j, what, path);
  LifetimeDist l;
  const std::string kind = o.str("kind");
  if (kind == "zero") {
    l.kind = LifetimeDist::Kind::Zero;
  } else if (kind == "fixed") {
    l.kind = LifetimeDist::Kind::Fixed;
    l.fixed = Duration(o.integer("ns"));
  } else if (kind == "exponential") {
    l.kind = LifetimeDist::Kind::Exponential;
    l.mean = Duration(o.integer("mean_ns"));
  } else if (kind == "lognormal") {
    l.kind = LifetimeDist::Kind::LogNormal;
    l.median = Duration(o.integer("median_ns"));
    l.sigma = o.real("sigma");
  } else if (kind == "forever") {
    l.kind = LifetimeDist::Kind::Forever;
  } else {
    o.failAt(j, "kind: expected zero, fixed, exponential, lognormal or forever, got '" + kind + "'");
  }
  o.done();
  return l;
}

AllocStream streamFrom(const Json& j, const std::string& what, const std::string& path) {
  Obj o(j, what, path);
  AllocStream s;
  s.name = o.str("name");
  s.bytes_per_second = o.real("rate_bytes_per_s");
  s.size = sizeFrom(o.get("size"), what + ".size", path);
  s.lifetime = lifetimeFrom(o.get("lifetime"), what + ".lifetime", path);
  s.set = o.str("set");
  s.touch = o.real("touch");
  s.pointers = o.boolean("pointers");
  s.total = o.optionalBytes("total_bytes");
  s.pos.line = static_cast<int>(o.integer("line"));
  o.done();
  return s;
}

StepBody stepBodyFrom(Obj& o, const std::string& kind) {
  if (kind == "run") {
    RunStep r;
    r.duration = Duration(o.integer("duration_ns"));
    const Json& a = arrayAt(o, "alloc");
    for (size_t i = 0; i < a.items.size(); ++i)
      r.alloc.push_back(streamFrom(a.items[i], o.what() + ".alloc[" + std::to_string(i) + "]", o.path()));
    return r;
  }
  if (kind == "live_set") {
    LiveSetStep l;
    l.name = o.str("name");
    l.grow_to = Bytes(o.integer("grow_to_bytes"));
    l.size = sizeFrom(o.get("size"), o.what() + ".size", o.path());
    l.over = Duration(o.integer("over_ns"));
    l.touch = o.real("touch");
    l.pointers = o.boolean("pointers");
    return l;
  }
  if (kind == "append") {
    AppendStep a;
    a.slice = o.str("slice");
    a.add = Bytes(o.integer("add_bytes"));
    a.times = o.integer("times");
    a.elem = Bytes(o.integer("elem_bytes"));
    a.pointers = o.boolean("pointers");
    return a;
  }
  if (kind == "drop") {
    DropStep d;
    d.set = o.str("set");
    d.fraction = o.real("fraction");
    d.all = o.boolean("all");
    return d;
  }
  if (kind == "idle") return IdleStep{Duration(o.integer("duration_ns"))};
  if (kind == "gc") return GcStep{};
  if (kind == "free_os_memory") return FreeOsMemoryStep{};
  if (kind == "set_gc_percent") return SetGcPercentStep{o.integer("percent")};
  if (kind == "set_memory_limit") return SetMemoryLimitStep{o.optionalBytes("limit_bytes")};
  if (kind == "goroutines") return GoroutinesStep{o.integer("count"), Bytes(o.integer("stack_bytes"))};
  if (kind == "other_process") return OtherProcessStep{o.str("name"), Bytes(o.integer("rss_bytes"))};
  throw std::invalid_argument(kind);
}

Step stepFrom(const Json& j, const std::string& what, const std::string& path) {
  Obj o(j, what, path);
  Step s;
  o.integer("index");
  s.label = o.str("label");
  s.name = o.str("step_name");
  s.pos.line = static_cast<int>(o.integer("line"));
  s.pos.column = static_cast<int>(o.integer("column"));
  const Json& kindAt = o.get("kind");
  const std::string kind = o.str("kind");
  try {
    s.body = stepBodyFrom(o, kind);
  } catch (const std::invalid_argument&) {
    o.failAt(kindAt, "kind: unknown step kind '" + kind + "'");
  }
  o.done();
  return s;
}

void runtimeFrom(const Json& j, Scenario& s, const std::string& path) {
  Obj o(j, "runtime", path);
  RuntimeKnobs& k = s.runtime;
  k.go_version = o.str("go");
  k.gogc = o.integer("gogc");
  k.memory_limit = o.optionalBytes("memory_limit_bytes");
  k.gomaxprocs = o.integer("gomaxprocs");
  k.scavenger = o.str("scavenger");
  o.str("scavenger_default");
  k.pacer = o.str("pacer");
  o.str("pacer_default");
  k.madvise = o.str("madvise");
  o.str("madvise_default");
  k.godebug = o.str("godebug");
  o.done();
}

void machineFrom(const Json& j, Scenario& s, const std::string& path) {
  Obj o(j, "machine", path);
  s.machine.memory = Bytes(o.integer("memory_bytes"));
  s.machine.cgroup_limit = o.optionalBytes("cgroup_limit_bytes");
  s.machine.thp = o.str("thp");
  s.machine.baseline_rss = Bytes(o.integer("baseline_rss_bytes"));
  o.done();
}

Scenario scenarioFrom(const Json& j, const std::string& path) {
  Obj o(j, "scenario", path);
  const Json& fmt = o.get("format");
  if (fmt.kind != Json::Kind::Number || fmt.text != std::to_string(kScenarioJsonFormat))
    o.failAt(fmt, "format: expected " + std::to_string(kScenarioJsonFormat));
  Scenario s;
  s.name = o.str("name");
  s.about = o.str("about");
  s.file = o.str("file");
  const Json& seed = o.get("seed");
  auto [p, ec] = std::from_chars(seed.text.data(), seed.text.data() + seed.text.size(), s.seed);
  if (seed.kind != Json::Kind::Number || ec != std::errc() || p != seed.text.data() + seed.text.size())
    o.failAt(seed, "seed: expected a whole number >= 0");
  s.sample_every = Duration(o.integer("sample_every_ns"));
  runtimeFrom(o.get("runtime"), s, path);
  machineFrom(o.get("machine"), s, path);
  const Json& steps = arrayAt(o, "steps");
  for (size_t i = 0; i < steps.items.size(); ++i)
    s.steps.push_back(stepFrom(steps.items[i], "steps[" + std::to_string(i) + "]", path));
  o.done();
  return s;
}

}  // namespace

std::string resolvedMadvise(const RuntimeKnobs& k) {
  Scenario s;
  s.runtime = k;
  return madviseName(runtimeConfigFor(s).madvise);
}

std::string defaultMadvise(const std::string& goVersion) {
  RuntimeKnobs k;
  k.go_version = goVersion;
  return resolvedMadvise(k);
}

std::string scenarioToJson(const Scenario& s) {
  std::string out;
  dump(out, scenarioTree(s), 0);
  out += '\n';
  return out;
}

Scenario scenarioFromJson(const std::string& text, const std::string& path) {
  Parser p(text, path);
  return scenarioFrom(p.document(), path);
}

}  // namespace gomemsim
