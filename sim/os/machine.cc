#include "os/machine.h"

#include <algorithm>
#include <cstdio>

namespace gomemsim {

void Machine::setOtherRss(const std::string& name, Bytes rss) {
  auto it = std::find_if(others_.begin(), others_.end(), [&](const auto& o) { return o.first == name; });
  if (rss.v <= 0) {
    if (it != others_.end()) others_.erase(it);
    return;
  }
  if (it != others_.end()) it->second = rss;
  else others_.emplace_back(name, rss);
}

Bytes Machine::otherRss() const {
  Bytes sum{0};
  for (const auto& o : others_) sum += o.second;
  return sum;
}

bool Machine::couldPress(Bytes processRssBound) const {
  if (cfg_.cgroupLimit && processRssBound > *cfg_.cgroupLimit) return true;
  return cfg_.memory && processRssBound + otherRss() > *cfg_.memory;
}

std::vector<OomKill> Machine::enforce(OsMemory& os, Bytes processRss, Bytes& reclaimed) {
  std::vector<OomKill> kills;
  reclaimed = Bytes(0);
  // memcg charge over memory.max: reclaim in the cgroup, then the cgroup OOM killer.
  if (cfg_.cgroupLimit && processRss > *cfg_.cgroupLimit) {
    const Bytes got = os.reclaimLazyFree(processRss - *cfg_.cgroupLimit);
    reclaimed += got;
    processRss -= got;
    if (processRss > *cfg_.cgroupLimit) {
      kills.push_back(OomKill{true, kProcessName, processRss, processRss, *cfg_.cgroupLimit});
      return kills;
    }
  }
  if (!cfg_.memory) return kills;
  // Out of RAM: global reclaim, then the OOM killer picks the largest process.
  Bytes total = processRss + otherRss();
  if (total > *cfg_.memory) {
    const Bytes got = os.reclaimLazyFree(total - *cfg_.memory);
    reclaimed += got;
    processRss -= got;
    total -= got;
  }
  while (total > *cfg_.memory) {
    auto biggest = std::max_element(others_.begin(), others_.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
    if (biggest == others_.end() || biggest->second <= processRss) {
      kills.push_back(OomKill{false, kProcessName, processRss, total, *cfg_.memory});
      return kills;
    }
    kills.push_back(OomKill{false, biggest->first, biggest->second, total, *cfg_.memory});
    total -= biggest->second;
    others_.erase(biggest);
  }
  return kills;
}

namespace {
long long kib(Bytes b) { return static_cast<long long>(b.v >> 10); }
std::string stamp(double timeS) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%12.6f] ", timeS);
  return buf;
}
}  // namespace

std::string oomCgroupUsageLine(const OomKill& k, double timeS) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "memory: usage %lldkB, limit %lldkB, failcnt 1", kib(k.usage), kib(k.limit));
  return stamp(timeS) + buf;
}

std::string oomKillLine(const OomKill& k, double timeS, Bytes totalVm, Bytes fileRss) {
  // The victim's pid: 1000 for the Go program, 2000 + n for the others (fixed, for determinism).
  const bool us = k.victim == kProcessName;
  const Bytes anon = us ? k.victimRss - fileRss : k.victimRss;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "%s: Killed process %d (%.15s) total-vm:%lldkB, anon-rss:%lldkB, file-rss:%lldkB, shmem-rss:0kB, "
                "UID:1000 pgtables:%lldkB oom_score_adj:0",
                k.cgroup ? "Memory cgroup out of memory" : "Out of memory", us ? 1000 : 2000, k.victim.c_str(),
                kib(us ? totalVm : k.victimRss), kib(anon), kib(us ? fileRss : Bytes(0)),
                // page tables: 8 bytes per 4 KiB page mapped
                static_cast<long long>(((us ? totalVm : k.victimRss).v / kOsPageSize * 8) >> 10));
  return stamp(timeS) + buf;
}

}  // namespace gomemsim
