#include "observe/heap_pprof.h"

#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "profile.pb.h"

namespace gomemsim {
namespace {

namespace pb = perftools::profiles;

constexpr uint64_t kMappingId = 1;

// profile.proto's string table, functions and locations, each entry once (ids from 1).
class ProfileBuilder {
 public:
  explicit ProfileBuilder(pb::Profile& p) : p_(p) { str(""); }  // string_table[0] is ""
  int64_t str(const std::string& s) {
    auto [it, inserted] = strings_.try_emplace(s, static_cast<int64_t>(strings_.size()));
    if (inserted) p_.add_string_table(s);
    return it->second;
  }
  void valueType(pb::ValueType* v, const std::string& type, const std::string& unit) {
    v->set_type(str(type));
    v->set_unit(str(unit));
  }
  // The location of `function` (in `file`) at `line`.
  uint64_t location(const std::string& function, const std::string& file, int64_t line) {
    auto [fit, newFunction] = functions_.try_emplace(function, p_.function_size() + 1);
    if (newFunction) {
      pb::Function* f = p_.add_function();
      f->set_id(fit->second);
      f->set_name(str(function));
      f->set_system_name(str(function));
      f->set_filename(str(file));
    }
    auto [lit, newLocation] = locations_.try_emplace({fit->second, line}, p_.location_size() + 1);
    if (newLocation) {
      pb::Location* l = p_.add_location();
      l->set_id(lit->second);
      l->set_mapping_id(kMappingId);
      pb::Line* ln = l->add_line();
      ln->set_function_id(fit->second);
      ln->set_line(line);
    }
    return lit->second;
  }

 private:
  pb::Profile& p_;
  std::map<std::string, int64_t> strings_;
  std::map<std::string, uint64_t> functions_;
  std::map<std::pair<uint64_t, int64_t>, uint64_t> locations_;
};

std::string scenarioFileName(const Scenario& s) {
  const std::string base = std::filesystem::path(s.file).filename().string();
  return base.empty() ? "scenario.yaml" : base;
}

}  // namespace

std::pair<int64_t, int64_t> scaleHeapSample(int64_t count, int64_t size, int64_t rate) {
  // Go 1.19 runtime/pprof/protomem.go scaleHeapSample: divided by the probability that a
  // sample of the average size appears, 1 - exp(-avg/rate).
  if (count == 0 || size == 0) return {0, 0};
  if (rate <= 1) return {count, size};
  const double avg = static_cast<double>(size) / static_cast<double>(count);
  const double scale = 1 / (1 - std::exp(-avg / static_cast<double>(rate)));
  return {static_cast<int64_t>(static_cast<double>(count) * scale),
          static_cast<int64_t>(static_cast<double>(size) * scale)};
}

std::string heapProfileProto(const Scenario& s, const SimResult& r, const HeapProfileCapture& c) {
  pb::Profile p;
  ProfileBuilder b(p);
  // Go 1.19 protomem.go writeHeapProto: the period, then the four sample types in this order.
  b.valueType(p.mutable_period_type(), "space", "bytes");
  p.set_period(r.memProfileRate);
  b.valueType(p.add_sample_type(), "alloc_objects", "count");
  b.valueType(p.add_sample_type(), "alloc_space", "bytes");
  b.valueType(p.add_sample_type(), "inuse_objects", "count");
  b.valueType(p.add_sample_type(), "inuse_space", "bytes");
  p.set_default_sample_type(b.str("inuse_space"));
  p.set_time_nanos(c.time.ns);
  p.add_comment(b.str("gomemsim: simulated heap profile of " + s.name + " (go " + r.goVersion + ") at " + c.step));
  const std::string file = scenarioFileName(s);
  // One mapping, the "binary": the scenario, whose functions and lines are already known, so
  // pprof looks for no binary to symbolize with.
  pb::Mapping* m = p.add_mapping();
  m->set_id(kMappingId);
  m->set_filename(b.str(file));
  m->set_has_functions(true);
  m->set_has_filenames(true);
  m->set_has_line_numbers(true);
  const uint64_t mainFn = b.location("main.main", file, 0);
  for (const HeapProfileSite& site : c.sites) {
    const bool known = site.step >= 0 && static_cast<size_t>(site.step) < s.steps.size();
    const std::string caller = known ? s.steps[static_cast<size_t>(site.step)].shown() : "step";
    const int64_t line = known ? s.steps[static_cast<size_t>(site.step)].pos.line : 0;
    pb::Sample* smp = p.add_sample();
    smp->add_location_id(b.location(site.name, file, line));  // the leaf first
    smp->add_location_id(b.location(caller, file, line));
    smp->add_location_id(mainFn);
    const HeapProfile::SiteCounts& k = site.counts;
    const auto [allocObjects, allocBytes] = scaleHeapSample(k.allocObjects, k.allocBytes, r.memProfileRate);
    const auto [inuseObjects, inuseBytes] =
        scaleHeapSample(k.allocObjects - k.freeObjects, k.allocBytes - k.freeBytes, r.memProfileRate);
    smp->add_value(allocObjects);
    smp->add_value(allocBytes);
    smp->add_value(inuseObjects);
    smp->add_value(inuseBytes);
    // protomem.go: the label "bytes", the record's average object size.
    if (k.allocObjects > 0 && k.allocBytes / k.allocObjects != 0) {
      pb::Label* l = smp->add_label();
      l->set_key(b.str("bytes"));
      l->set_num(k.allocBytes / k.allocObjects);
    }
  }
  std::string out;
  if (!p.SerializeToString(&out)) throw std::runtime_error("cannot encode a heap profile");
  return out;
}

std::string gzipBytes(const std::string& data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper; zlib writes no name and a zero time, so equal input
  // gives equal bytes.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("cannot start gzip");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("cannot gzip a heap profile");
  return out;
}

std::string heapStepFileName(size_t stepIndex, const std::string& label) {
  std::string safe;
  for (const char ch : label.substr(0, 40)) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                    ch == '-' || ch == '_';
    safe += ok ? ch : '_';
  }
  char num[24];
  std::snprintf(num, sizeof num, "%02zu", stepIndex + 1);
  return std::string("heap-step-") + num + "-" + safe + ".pb.gz";
}

std::vector<std::pair<std::string, std::string>> heapProfileFiles(const Scenario& s, const SimResult& r) {
  std::vector<std::pair<std::string, std::string>> files;
  const auto add = [&](const std::string& name, const HeapProfileCapture& c) {
    files.emplace_back(name, gzipBytes(heapProfileProto(s, r, c)));
  };
  if (r.profileAtPeak) add("heap-peak.pb.gz", *r.profileAtPeak);
  if (r.profileAtEnd) add("heap-end.pb.gz", *r.profileAtEnd);
  for (size_t i = 0; i < r.profileAfterStep.size() && i < s.steps.size(); ++i)
    add(heapStepFileName(i, s.steps[i].shown()), r.profileAfterStep[i]);
  return files;
}

}  // namespace gomemsim
