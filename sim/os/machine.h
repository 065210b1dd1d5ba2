// machine: the Linux kernel's memory accounting around the simulated Go process - the
// machine's RAM, the process's memory cgroup, and the other programs on the machine.
//
// Models (Linux 5.x/6.x mm/vmscan.c, mm/memcontrol.c, mm/oom_kill.c), checked whenever the
// process's RSS may have grown or another program's changed:
//   - cgroup (machine.cgroup_limit = memory.max of the cgroup the program runs in; only this
//     process is in it): when the charge exceeds the limit the kernel reclaims in the cgroup
//     first (try_to_free_mem_cgroup_pages). LazyFree (MADV_FREE) pages are the only
//     reclaimable memory modelled: they are discarded without I/O. If usage is still over the
//     limit the cgroup OOM killer kills the process ("Memory cgroup out of memory: Killed
//     process ...").
//   - machine (machine.memory): the process's RSS plus every other program's exceeds the RAM:
//     global reclaim takes this process's LazyFree pages; if still over, the global OOM killer
//     kills the process with the largest RSS (oom_badness: rss + swap + page tables; equal
//     oom_score_adj assumed) - another program, which then frees its memory, or this one
//     ("Out of memory: Killed process ...").
// Reclaim happens at the limit (memory.max / no free memory), and takes exactly the excess:
// kswapd's watermarks and memory.high throttling are not modelled. Other programs' memory is
// anonymous and not reclaimable (no swap, no page cache); LazyFree pages go in address order
// (the kernel's LRU order is not modelled).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "os/os_memory.h"
#include "units/units.h"

namespace gomemsim {

struct MachineConfig {
  std::optional<Bytes> memory;       // RAM; nullopt = unlimited (no machine model)
  std::optional<Bytes> cgroupLimit;  // memory.max of the program's cgroup
};

// An OOM kill, as the kernel logs it.
struct OomKill {
  bool cgroup = false;      // the memory cgroup's OOM killer, else the global one
  std::string victim;       // process name: kProcessName or another program's
  Bytes victimRss;          // its RSS when killed
  Bytes usage, limit;       // cgroup: memory.current and memory.max; global: total RSS and RAM
};

inline constexpr const char* kProcessName = "goprogram";  // comm of the simulated process

class Machine {
 public:
  explicit Machine(const MachineConfig& c) : cfg_(c) {}
  const MachineConfig& config() const { return cfg_; }
  bool enforced() const { return cfg_.memory || cfg_.cgroupLimit; }

  // Another program's resident memory from now on (0 ends it).
  void setOtherRss(const std::string& name, Bytes rss);
  Bytes otherRss() const;

  // The kernel looks at this process, whose RSS is `processRss` (os's pages included):
  // reclaims LazyFree pages from `os` as needed and returns the kills, in order. If this
  // process is killed it is the last entry. `reclaimed` gets the bytes discarded.
  std::vector<OomKill> enforce(OsMemory& os, Bytes processRss, Bytes& reclaimed);
  // True if enforce() could find anything to do for a process of at most this RSS.
  bool couldPress(Bytes processRssBound) const;

 private:
  MachineConfig cfg_;
  std::vector<std::pair<std::string, Bytes>> others_;  // in the order they started
};

// The kernel's log line for an OOM kill (mm/oom_kill.c __oom_kill_process), with a dmesg-style
// timestamp; total-vm and the rss split are given by the caller's view of the process.
std::string oomKillLine(const OomKill& k, double timeS, Bytes totalVm, Bytes fileRss);
// The memory cgroup's summary the kernel prints first (mem_cgroup_print_oom_meminfo).
std::string oomCgroupUsageLine(const OomKill& k, double timeS);

}  // namespace gomemsim
