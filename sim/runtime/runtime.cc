#include "runtime/runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>


namespace gomemsim {
namespace {

constexpr int64_t kForceGcPeriodNs = int64_t{120} * 1000000000;  // proc.go: forcegcperiod
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinHeapForMetadataHugePages = int64_t{1} << 30;  // mgc.go (Go 1.21+)

constexpr int64_t kChunkMetaBytes = 128;     // pallocData per 4 MiB chunk (alloc + scavenged bits)
constexpr int64_t kRuntimeOtherBytes = 1 << 20;  // mcaches, work bufs, itabs, ... (OtherSys)

// runtime/mgc.go gcMarkTermination: fmtNSAsMS.
std::string fmtNsAsMs(int64_t ns) {
  char buf[32];
  if (ns >= 10000000) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(ns / 1000000));
    return buf;
  }
  int64_t x = ns / 1000;
  if (x == 0) return "0";
  int dec = 3;
  while (x >= 100) {
    x /= 10;
    --dec;
  }
  // itoaDiv(x, dec): x / 10^dec with dec decimals.
  int64_t p = 1;
  for (int i = 0; i < dec; ++i) p *= 10;
  if (dec == 0) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x));
  else std::snprintf(buf, sizeof buf, "%lld.%0*lld", static_cast<long long>(x / p), dec, static_cast<long long>(x % p));
  return buf;
}

}  // namespace

Runtime::Runtime(const RuntimeConfig& cfg)
    : cfg_(cfg), go_(*cfg.release), rng_(cfg.seed), layout_(SpanLayout::forRelease(go_, cfg.greenTea)), arenaMeta_(go_),
      markCost_(scaledMarkCost(cfg.greenTea ? kMarkCostGreenTea : kMarkCostClassic, cfg.cpuSpeed)),
      os_(cfg.madvise, cfg.thp), machine_(cfg.machine), profile_(cfg.memProfileRate, cfg.seed),
      cpu_(static_cast<double>(cfg.gomaxprocs)) {
  // mem_linux.go sysUnused/sysUsed huge-page advice: Go <= 1.20 (verified in 1.19; removed in
  // the Go 1.21.x point releases, golang/go#61718, #63334, #64332).
  goAdvisesHugePages_ = go_.hugePageAdvice == HeapHugePageAdvice::EdgesAndSpans;
  // mgclimit.go: the GC CPU limiter exists from Go 1.19 (go119MemoryLimitSupport).
  if (go_.gcCpuLimiter) limiter_.emplace(cfg.gomaxprocs, 0);
  pacerName_ = cfg.pacer == "auto" ? std::string(go_.pacer) : cfg.pacer;
  scavengerName_ = cfg.scavenger == "auto" ? std::string(go_.scavenger) : cfg.scavenger;
  pacer_ = makePacer(pacerName_, cfg.gogc, cfg.memoryLimit);
  scavenger_ = makeScavenger(scavengerName_, cfg.scavengerParams, &go_);
  if (scavenger_->needsFreeTimes()) pages_.trackFreeTimes(&now_);
  heap_ = std::make_unique<MHeap>(layout_, pages_, os_, ledger_, static_cast<int>(cfg.gomaxprocs),
                                  static_cast<MHeapHooks&>(*this),
                                  go_.releasedSpansSkipZeroing && cfg.madvise == MadviseMode::DontNeed, cfg.cpuSpeed);
}

Runtime::~Runtime() = default;

const std::string& Runtime::scavengerName() const { return scavengerName_; }
const std::string& Runtime::pacerName() const { return pacerName_; }

ObjectRef Runtime::malloc(int p, Bytes size, bool pointers, DeathTick death, Bytes touch, int bucket) {
  const int proc = p < cfg_.gomaxprocs ? p : static_cast<int>(p % cfg_.gomaxprocs);
  ObjectRef r;
  Bytes slot;
  if (layout_.isLarge(size, pointers)) {
    r = heap_->mallocLarge(size, !pointers, death, touch);
    slot = toBytes(pagesFor(size));
  } else if (isTiny(size, pointers)) {
    const int64_t beforeObjs = heap_->heapObjects();
    r = heap_->mallocTiny(proc, size, death);
    if (heap_->heapObjects() == beforeObjs) return r;  // combined into a block: never sampled
    slot = Bytes(kTinySize);
  } else {
    const int c = layout_.classFor(size, pointers);
    r = heap_->mallocSmall(proc, c, !pointers, death, touch);
    slot = Bytes(layout_.classes().cls(c).size);
  }
  profile_.allocated(bucket, slot, r, numGc_);
  return r;
}

// --- MHeapHooks ---

void Runtime::heapMapped(Bytes base, Bytes len) {
  if (os_.thp() == ThpMode::Never) return;
  // Go 1.21.6+ mem_linux.go sysMapOS: GODEBUG=disablethp=1 puts MADV_NOHUGEPAGE on new heap.
  if (cfg_.disableThp) os_.advise(base, len, HugePageAdvice::NoHugePage);
  // Go 1.21.0 (design 59960, mem_linux.go sysMapOS): new heap memory MADV_HUGEPAGE.
  else if (go_.hugePageAdvice == HeapHugePageAdvice::Go1210) os_.advise(base, len, HugePageAdvice::HugePage);
}

void Runtime::spanAllocated(Bytes growth, Bytes scav) {
  const PageAllocator::Allocation& a = pages_.lastAllocation();
  // mheap.go allocSpan: sysUsed over the span when any of it was scavenged.
  if (scav.v > 0) sysUsed(toBytes(Pages(a.base)), toBytes(Pages(a.npages)));
  if (inHook_) return;
  const SpanAllocation span{growth, scav, toBytes(Pages(a.reusedReleased)), toBytes(Pages(a.npages))};
  // Go 1.19 mheap.go allocSpan: no memory-limit scavenging while the CPU limiter is on.
  const bool limiting = limiter_ && limiter_->limiting();
  const ScavengeRequest req = scavenger_->eager(span, scavengerView(), limiting ? std::nullopt : pacer_->memoryLimit());
  if (req.bytes.v > 0) {
    inHook_ = true;
    const Released got = releasePages(req);
    relEager_ += got.bytes;
    eagerSinceTrace_ += got.bytes;
    // The allocating goroutine's scavenging counts as assist time for the limiter
    // (limiterEventScavengeAssist).
    pendingScavAssistNs_ += got.cost.v;
    mutatorStallNs_ += static_cast<double>(got.cost.v);  // and it holds the goroutine up
    cpu_.scavengeAssist(static_cast<double>(got.cost.v));  // mheap.go allocSpan: scavenge.assistTime
    scavenger_->eagerDone(got.bytes);
    inHook_ = false;
  }
}

void Runtime::heapLiveGrew() {
  if (mark_.active || inHook_ || gcStartAt_) return;
  if (heap_->heapLive() >= pacer_->trigger(limitInputs())) {
    // Go 1.19 mgc.go gcStart: the allocating goroutine first sweeps what is left
    // (`for trigger.test() && sweepone() != ^uintptr(0)`), after its proportional sweep
    // (deductSweepCredit); the cycle starts when it is through, not at the instant the
    // simulator swept those spans.
    const double sweeping = absorbMutatorSweep();
    if (sweeping >= 1) {
      gcStartAt_ = now_ + Duration(static_cast<int64_t>(sweeping));
      return;
    }
    inHook_ = true;
    startCycle(false);
    inHook_ = false;
  }
}

void Runtime::sweepDone() {
  // mgcsweep.go: the last sweeper prints the scavtrace line and readies the scavenger.
  sweepDonePending_ = true;
}

// --- inputs for policies ---

PacerLimitInputs Runtime::limitInputs() const {
  const Bytes stacks(kRuntimeStackBytes + goroutines_ * stackSize_.v);
  const Bytes sys = toBytes(pages_.mapped()) + stacks + metadataSys();
  return PacerLimitInputs{sys - toBytes(pages_.released()), toBytes(pages_.freeRetained()), heap_->heapAlloc()};
}

ScavengerView Runtime::scavengerView() const {
  const PacerLimitInputs l = limitInputs();
  return ScavengerView{toBytes(pages_.inUse()) + toBytes(pages_.freeRetained()),
                       toBytes(pages_.freeRetained()), l.mappedReady, cfg_.gomaxprocs, now_};
}

Runtime::Released Runtime::releasePages(const ScavengeRequest& req) {
  const Pages want = pagesFor(req.bytes);
  ReleaseWork work;
  const Pages got = pages_.scavenge(want, req.select, [&](PageRun r) {
    work += sysUnused(toBytes(Pages(r.base)), toBytes(Pages(r.npages)));
  });
  return Released{toBytes(got), madviseCost(work, cfg_.cpuSpeed)};
}

Runtime::Released Runtime::releaseInQuanta(const ScavengeRequest& req) {
  // Go 1.18+ mgcscavenge.go scavengerState.run: scavenge(scavengeQuantum) calls, timed one by
  // one, until minScavWorkTime of work, the goal (shouldStop), or a call that finds less than a
  // quantum (the heap is exhausted for now).
  Released total;
  while (total.bytes < req.bytes && total.cost < req.minWork) {
    const Released r = releasePages(ScavengeRequest{req.quantum, req.select});
    total.bytes += r.bytes;
    total.cost += r.cost;
    if (r.bytes < req.quantum) break;
  }
  return total;
}

ReleaseWork Runtime::sysUnused(Bytes base, Bytes len) {
  if (goAdvisesHugePages_ && os_.thp() != ThpMode::Never) {
    // Go 1.19 mem_linux.go sysUnusedOS: MADV_NOHUGEPAGE on the huge pages holding the range's
    // ends, when those ends are not huge-page aligned (so khugepaged cannot re-collapse them).
    const int64_t v = base.v, end = base.v + len.v;
    const int64_t head = v % kHugePageSize != 0 ? v / kHugePageSize * kHugePageSize : -1;
    const int64_t tail = end % kHugePageSize != 0 ? (end - 1) / kHugePageSize * kHugePageSize : -1;
    if (head >= 0) os_.advise(Bytes(head), Bytes(kHugePageSize), HugePageAdvice::NoHugePage);
    if (tail >= 0 && tail != head) os_.advise(Bytes(tail), Bytes(kHugePageSize), HugePageAdvice::NoHugePage);
  }
  if (go_.hugePageAdvice == HeapHugePageAdvice::Go1210 && os_.thp() != ThpMode::Never) {
    // Go 1.21.0: the huge pages a release touches are marked MADV_NOHUGEPAGE first, so the
    // kernel does not collapse them back (golang/go#61718 removed this in 1.21.1). Not
    // modelled: the MADV_HUGEPAGE again when the chunk becomes dense.
    const int64_t beg = base.v / kHugePageSize * kHugePageSize;
    const int64_t end = (base.v + len.v + kHugePageSize - 1) / kHugePageSize * kHugePageSize;
    os_.advise(Bytes(beg), Bytes(end - beg), HugePageAdvice::NoHugePage);
  }
  return os_.release(base, len);  // madvise(MADV_DONTNEED or MADV_FREE)
}

void Runtime::sysUsed(Bytes base, Bytes len) {
  if (!goAdvisesHugePages_ || os_.thp() == ThpMode::Never) return;
  // Go 1.19 mem_linux.go sysUsedOS -> sysHugePageOS: MADV_HUGEPAGE on the whole huge pages
  // inside [base, base+len).
  const int64_t beg = (base.v + kHugePageSize - 1) / kHugePageSize * kHugePageSize;
  const int64_t end = (base.v + len.v) / kHugePageSize * kHugePageSize;
  if (beg < end) os_.advise(Bytes(beg), Bytes(end - beg), HugePageAdvice::HugePage);
}

// --- the machine ---

Bytes Runtime::processRss() const {
  return os_.resident() + Bytes(kRuntimeStackBytes + goroutines_ * stackSize_.v) + metadataResident() + cfg_.baselineRss;
}

void Runtime::checkMemory() {
  if (oom_) throw ProcessKilled(*oom_, now_.seconds());
  if (!machine_.enforced()) return;
  // Cheap bound first: the metadata is never more resident than mapped (metadataResident).
  const Bytes stacks(kRuntimeStackBytes + goroutines_ * stackSize_.v);
  const Bytes bound = os_.resident() + stacks + metadataSys() + cfg_.baselineRss;
  if (!machine_.couldPress(bound)) return;
  const Bytes rss = processRss();
  if (!machine_.couldPress(rss)) return;
  Bytes reclaimed{0};
  const std::vector<OomKill> kills = machine_.enforce(os_, rss, reclaimed);
  lazyReclaimed_ += reclaimed;
  for (const OomKill& k : kills) {
    if (k.cgroup) trace_.push_back(oomCgroupUsageLine(k, now_.seconds()));
    const Bytes totalVm = toBytes(pages_.mapped()) + stacks + metadataSys() + cfg_.baselineRss;
    trace_.push_back(oomKillLine(k, now_.seconds(), totalVm, cfg_.baselineRss));
    if (k.victim == kProcessName) oom_ = k;
  }
  if (oom_) throw ProcessKilled(*oom_, now_.seconds());
}

void Runtime::setOtherProcess(const std::string& name, Bytes rss) {
  machine_.setOtherRss(name, rss);
  checkMemory();
}

// --- GC cycle ---

double Runtime::markCpus(double mutatorCpus) const {
  // gcBackgroundUtilization of GOMAXPROCS (dedicated + fractional workers), plus idle mark
  // workers on Ps the program leaves idle (Go 1.19 mgc.go gcBgMarkWorker, idle mode), for
  // kIdleMarkShare of the time: the real-Go driver's steady-service and GOGC sweep (GOMAXPROCS=2)
  // mark with 1.66-1.71 CPUs on average (gctrace: mark CPU over mark clock, cycles 6 on).
  const double procs = static_cast<double>(cfg_.gomaxprocs);
  const double bg = kGcBackgroundUtilization * procs;
  const double idle = std::max(0.0, procs - bg - mutatorCpus) * kIdleMarkShare;
  return bg + idle;
}

void Runtime::startCycle(bool forced) {
  // gcStart -> sweep termination: finish the previous cycle's sweeping.
  heap_->finishSweep();
  if (sweepDonePending_) {
    sweepDonePending_ = false;
    emitScavTrace(std::nullopt);
    readyScavenger();
  }
  mark_ = Mark{};
  mark_.active = true;
  mark_.forced = forced;
  mark_.start = now_;
  mark_.markTick = tickOf(now_);
  mark_.reachableAtStart = ledger_.reachableAt(mark_.markTick);
  mark_.allocatedAtStart = ledger_.totalAllocated();
  mark_.heap0 = heap_->heapLive();
  mark_.goal = pacer_->heapGoal(limitInputs());
  const HeapAmount& r = mark_.reachableAtStart;
  const double stackScan = static_cast<double>(kRuntimeStackBytes + goroutines_ * stackSize_.v);
  // Held objects (live sets, forever) are reached in allocation order, timed ones scattered.
  const HeapAmount& held = ledger_.held();
  const int64_t inOrder = std::min(r.objects, held.objects);
  // The spans those objects fill, each reached once in order (its mspan and mark bits).
  const double heldSpans = held.objects > 0 ? static_cast<double>(held.spanShares) / kSpanShareUnit *
                                                  static_cast<double>(inOrder) / static_cast<double>(held.objects)
                                            : 0.0;
  mark_.workTotalNs = static_cast<double>(inOrder) * markCost_.nsInOrder + heldSpans * markCost_.nsPerHeldSpan +
                      static_cast<double>(r.objects - inOrder) * markCost_.nsScattered +
                      (static_cast<double>(r.scanBytes - r.typedScanBytes + r.objects * kRefBytesPerObject) + stackScan) *
                          markCost_.scanNsPerByte +
                      static_cast<double>(r.typedScanBytes) * markCost_.typedScanNsPerByte;
  mark_.workLeftNs = mark_.workTotalNs;
  mark_.lastHeapLiveSeen = heap_->heapLive().v;
  mutatorStallNs_ += static_cast<double>(kStwNs / 2);  // sweep termination stops the world
  cpu_.pause(static_cast<double>(kStwNs / 2));
  // mgc.go gcStart: the limiter's GC transition around sweep termination's STW.
  if (limiter_) limiter_->transition(true, now_.ns, kStwNs / 2, numGc_);
}

double Runtime::progressMark(Duration dt, double mutatorCpus) {
  if (!mark_.active || dt.v <= 0) return 0;
  const double secs = static_cast<double>(dt.v);
  const double procs = static_cast<double>(cfg_.gomaxprocs);
  // A user-forced GC (gcForceBlockMode) runs with the program blocked: every P marks.
  const double cpus = mark_.forced ? procs : markCpus(mutatorCpus);
  const double bgShare = mark_.forced ? procs : kGcBackgroundUtilization * procs;
  const double work = cpus * secs;
  // The allocation since the last step owes assistWorkPerByte (mgcpacer.go revise: remaining
  // work over remaining heap distance), priced before this step's background work.
  const int64_t allocated = heap_->heapLive().v - mark_.lastHeapLiveSeen;
  mark_.lastHeapLiveSeen = heap_->heapLive().v;
  // Go 1.19-1.27 mgcpacer.go revise: past the goal, the assists pace to 1.1 x the goal
  // (maxOvershoot), so a heap held at its goal (the memory limit) is not assisted to a stop.
  const double live = static_cast<double>(heap_->heapLive().v);
  const double goal = static_cast<double>(mark_.goal.v);
  const double heapRemaining = std::max(1.0, (live > goal ? goal * kMaxOvershoot : goal) - live);
  const double debt = allocated > 0 && !mark_.forced ? static_cast<double>(allocated) * mark_.workLeftNs / heapRemaining : 0;
  // Background and idle workers scan first; their work is credit that allocating goroutines
  // steal before assisting (Go 1.19 mgcmark.go: gcFlushBgCredit, gcAssistAlloc's bgScanCredit).
  const double done = std::min(work, mark_.workLeftNs);
  mark_.workLeftNs -= done;
  mark_.bgScanCredit += done;
  const double bgPart = done * std::min(1.0, bgShare / cpus);
  mark_.bgCpuNs += bgPart;
  mark_.idleCpuNs += done - bgPart;
  // Go 1.19 mgcmark.go gcAssistAlloc: while the GC CPU limiter is on, an allocating goroutine
  // neither steals credit nor assists; its debt stays for when the limiter turns off.
  if (limiter_ && limiter_->limiting()) {
    mark_.unpaidDebt += debt;
    return 0;
  }
  const double owed = debt + mark_.unpaidDebt;
  const double stolen = std::min(owed, mark_.bgScanCredit);
  mark_.bgScanCredit -= stolen;
  // Assists run on the allocating goroutines' Ps: no more CPU than the workers leave in this
  // step; what is left is owed at the next allocation (gp.gcAssistBytes stays negative).
  const double cap = std::max(0.0, (procs - cpus) * secs);
  const double assist = std::min({mark_.workLeftNs, owed - stolen, cap});
  mark_.unpaidDebt = owed - stolen - assist;
  mark_.assistCpuNs += assist;
  mark_.workLeftNs -= assist;
  return assist;
}

void Runtime::markTermination() {
  mark_.active = false;
  mutatorStallNs_ += static_cast<double>(kStwNs / 2);  // and so does mark termination
  cpu_.pause(static_cast<double>(kStwNs / 2));
  // Go 1.20+ mgc.go gcMarkTermination: work.cpuStats.accumulate(now, true) adds this cycle's
  // mark times (gcController assistTime, dedicated + fractional, idleMarkTime) and publishes.
  cpu_.markWork(mark_.assistCpuNs, mark_.bgCpuNs, mark_.idleCpuNs);
  cpu_.publish();
  ++numGc_;
  if (mark_.forced) ++numForcedGc_;      // Go 1.19/1.26 mgc.go gcMarkTermination: if work.userForced
  if (mark_.periodic) ++numPeriodicGc_;  // gcTriggerTime: in NumGC only
  // heapMarked: reachable at mark start, plus everything allocated black since.
  const HeapAmount alloc = ledger_.totalAllocated();
  HeapAmount marked = mark_.reachableAtStart;
  marked.bytes += alloc.bytes - mark_.allocatedAtStart.bytes;
  marked.objects += alloc.objects - mark_.allocatedAtStart.objects;
  marked.scanBytes += alloc.scanBytes - mark_.allocatedAtStart.scanBytes;
  const Bytes heap1 = heap_->heapLive();
  // The heap profile: frees found by this mark (before sweeping reuses their slots).
  profile_.markTermination(numGc_, mark_.markTick, [&](ObjectRef r) { return heap_->deathOf(r); });
  heapMarkedHistory_.push_back(marked.bytes);
  explicitFlushCycle_ = -1;
  // Pacer: end of cycle estimate, then the new goal.
  const double markWall = static_cast<double>((now_ - mark_.start).v);
  const double u = markWall > 0 ? (mark_.bgCpuNs + mark_.assistCpuNs) / (markWall * static_cast<double>(cfg_.gomaxprocs)) : kGcBackgroundUtilization;
  const double uIdle = markWall > 0 ? mark_.idleCpuNs / (markWall * static_cast<double>(cfg_.gomaxprocs)) : 0;
  const int64_t stackScan = kRuntimeStackBytes + goroutines_ * stackSize_.v;
  if (!mark_.forced)
    pacer_->endCycle(PacerEndCycle{heap1, mark_.heap0,
                                   static_cast<double>(marked.scanBytes + marked.objects * kRefBytesPerObject + stackScan),
                                   std::clamp(u, 0.01, 0.99), uIdle});
  const Bytes lastInUse = toBytes(pages_.inUse());
  pages_.nextScavengeGen();  // Go 1.21 gcMarkTermination: scav.index.nextGen before sweeping
  heap_->startSweepCycle(mark_.markTick, Bytes(marked.bytes));
  pacer_->commit(PacerCycleInputs{Bytes(marked.bytes), Bytes(marked.scanBytes + marked.objects * kRefBytesPerObject),
                                  Bytes(stackScan), Bytes(0), heap_->isSweepDone(), heap_->heapLive()});
  const PacerLimitInputs lim = limitInputs();
  const Bytes goal = pacer_->heapGoal(lim);
  heap_->paceSweeper(pacer_->trigger(lim));
  scavenger_->paced(ScavengerPacing{goal, lastHeapGoal_, lastInUse, pacer_->memoryLimit(),
                                    scavengerView().heapRetained, lim.mappedReady});
  lastHeapGoal_ = goal;
  // Go 1.21+ mgc.go gcMarkTermination: metadata huge pages once the goal passes 1 GiB, for good.
  if (go_.metadataHugePages && goal.v > kMinHeapForMetadataHugePages) metadataHugePages_ = true;
  lastHeapInUse_ = lastInUse;
  // mgc.go gcMarkTermination: cycleCpu = sweepTermCpu + markCpu + markTermCpu, where the STW
  // parts are stwprocs x their duration (kStwNs / 2 each) and markCpu = assist + dedicated +
  // fractional time (idle marking is "free" and left out). GCCPUFraction = work.totaltime / (the
  // time since the runtime started x GOMAXPROCS), set here only. In Go that time includes the
  // pauses; the simulated clock does not stop for them, so they are added to it here.
  gcCpuTotalNs_ += mark_.bgCpuNs + mark_.assistCpuNs + kStwNs * static_cast<double>(cfg_.gomaxprocs);
  const double elapsed = static_cast<double>(now_.ns + numGc_ * kStwNs) * static_cast<double>(cfg_.gomaxprocs);
  gcCpuFraction_ = gcCpuTotalNs_ / elapsed;
  if (limiter_) limiter_->transition(false, now_.ns, kStwNs / 2, numGc_);
  lastMarkedBytes_ = marked.bytes;
  lastHeap1_ = heap1;
  emitGcTrace();
  lastGcEnd_ = now_;
  anyGcDone_ = true;
  profile_.compact(numGc_);
}

Runtime::ProfilePublication Runtime::profilePublication() const {
  // Go 1.19 mprof.go: after mark termination n the profile shows cycle n-1 (mProf_Flush at the
  // next mark termination); runtime.GC flushes cycle n itself after sweeping (mProf_PostSweep).
  const int64_t n = numGc_;
  const bool explicitNow = explicitFlushCycle_ == n && n > 0;
  const int64_t publishedCycle = explicitNow ? n : n - 1;  // heapMarked of this mark is shown
  return ProfilePublication{publishedCycle - 1, publishedCycle, publishedCycle < 1};
}

std::map<HeapProfile::Site, HeapProfile::SiteCounts> Runtime::publishedProfile() const {
  const ProfilePublication pub = profilePublication();
  return profile_.publishedSites(pub.allocUpTo, pub.freeUpTo, pub.fallback);
}

std::array<int64_t, 4> Runtime::publishedProfileKey() const {
  const ProfilePublication pub = profilePublication();
  // Without a published cycle every sample shows, so each new one changes the profile.
  return {pub.allocUpTo, pub.freeUpTo, pub.fallback ? 1 : 0, pub.fallback ? profile_.samples() : 0};
}

void Runtime::emitGcTrace() {
  // Go 1.19 mgc.go gcMarkTermination, GODEBUG=gctrace=1.
  const int util = static_cast<int>(gcCpuFraction_ * 100);  // util := int(memstats.gc_cpu_fraction * 100)
  const int64_t markClock = (now_ - mark_.start).v;
  const int64_t procs = cfg_.gomaxprocs;
  char buf[512];
  const auto mb = [](int64_t b) { return static_cast<long long>(b >> 20); };
  const std::string stackMb = std::to_string((kRuntimeStackBytes + goroutines_ * stackSize_.v) >> 20);
  // Go 1.18+ adds the stacks and globals the pacer counts (GoRelease::gctrace); before, "# P".
  const std::string pacerRoots =
      go_.gctrace == GcTraceFormat::Go118 ? std::string(" ") + stackMb + " MB stacks, 0 MB globals," : std::string();
  std::snprintf(buf, sizeof buf,
                "gc %lld @%lld.%03llds %d%%: %s+%s+%s ms clock, %s+%s/%s/%s+%s ms cpu, %lld->%lld->%lld MB, %lld MB goal,%s %lld P%s",
                static_cast<long long>(numGc_), static_cast<long long>(mark_.start.ns / 1000000000),
                static_cast<long long>((mark_.start.ns / 1000000) % 1000), util,
                fmtNsAsMs(kStwNs / 2).c_str(), fmtNsAsMs(markClock).c_str(), fmtNsAsMs(kStwNs / 2).c_str(),
                fmtNsAsMs(kStwNs / 2 * procs).c_str(), fmtNsAsMs(static_cast<int64_t>(mark_.assistCpuNs)).c_str(),
                fmtNsAsMs(static_cast<int64_t>(mark_.bgCpuNs)).c_str(), fmtNsAsMs(static_cast<int64_t>(mark_.idleCpuNs)).c_str(),
                fmtNsAsMs(kStwNs / 2 * procs).c_str(), mb(mark_.heap0.v), mb(lastHeap1_.v), mb(lastMarkedBytes_),
                mb(mark_.goal.v), pacerRoots.c_str(), static_cast<long long>(procs), mark_.forced ? " (forced)" : "");
  trace_.emplace_back(buf);
}

void Runtime::emitScavTrace(std::optional<Bytes> forced) {
  // mgcscavenge.go printScavTrace, by release (GoRelease::scavtrace): the last sweeper prints
  // what was released since the last line, debug.FreeOSMemory what scavengeAll released.
  const int64_t inUse = toBytes(pages_.inUse()).v;
  const int64_t retained = inUse + toBytes(pages_.freeRetained()).v;
  const int util = retained > 0 ? static_cast<int>(inUse * 100 / retained) : 100;
  const long long total = static_cast<long long>(toBytes(pages_.released()).v >> 10);
  const char* tail = forced ? " (forced)" : "";
  char buf[200];
  switch (go_.scavtrace) {
    case ScavTraceFormat::None:  // Go <= 1.13: no GODEBUG=scavtrace
      break;
    case ScavTraceFormat::Go114:  // Go 1.14, 1.19-1.20: background work (scav.released)
      std::snprintf(buf, sizeof buf, "scav %lld KiB work, %lld KiB total, %d%% util%s",
                    static_cast<long long>((forced ? *forced : bgSinceTrace_).v >> 10), total, util, tail);
      trace_.emplace_back(buf);
      break;
    case ScavTraceFormat::Go115:  // Go 1.15-1.18: printScavTrace(gen, released, forced)
      std::snprintf(buf, sizeof buf, "scav %lld %lld KiB work, %lld KiB total, %d%% util%s",
                    static_cast<long long>(numGc_), static_cast<long long>((forced ? *forced : bgSinceTrace_).v >> 10),
                    total, util, tail);
      trace_.emplace_back(buf);
      break;
    case ScavTraceFormat::Go121:  // Go 1.21+: releasedBg, releasedEager; forced: (0, released)
      std::snprintf(buf, sizeof buf, "scav %lld KiB work (bg), %lld KiB work (eager), %lld KiB now, %d%% util%s",
                    static_cast<long long>(forced ? 0 : bgSinceTrace_.v >> 10),
                    static_cast<long long>((forced ? *forced : eagerSinceTrace_).v >> 10), total, util, tail);
      trace_.emplace_back(buf);
      break;
  }
  if (!forced) bgSinceTrace_ = eagerSinceTrace_ = Bytes(0);
}

// --- time ---

SimTime Runtime::nextEvent() const {
  int64_t next = kNever;
  if (mark_.active) {
    const double cpus = mark_.forced ? static_cast<double>(cfg_.gomaxprocs) : markCpus(0);
    next = std::min(next, now_.ns + 1 + static_cast<int64_t>(mark_.workLeftNs / cpus));
  }
  if (const auto w = scavenger_->nextWake()) next = std::min(next, std::max(w->ns, now_.ns));
  if (sysmonPoll_) next = std::min(next, std::max(sysmonPoll_->ns, now_.ns));
  if (anyGcDone_ && pacer_->gcPercent() >= 0 && !mark_.active)
    next = std::min(next, lastGcEnd_.ns + kForceGcPeriodNs + 1);
  if (!heap_->isSweepDone()) next = std::min(next, now_.ns + 1000000);  // bgsweep progresses
  if (gcStartAt_) next = std::min(next, std::max(gcStartAt_->ns, now_.ns));
  return SimTime(next);
}

void Runtime::readyScavenger() {
  // Go 1.19 mgcsweep.go: the last sweeper calls scavenger.ready(), a flag sysmon reads on its
  // next loop (proc.go sysmon: scavenger.sysmonWake -> scavenger.wake).
  if (!sysmonPoll_) sysmonPoll_ = now_ + Duration(kSysmonPollNs);
}

double Runtime::absorbMutatorSweep() {
  const int64_t ns = heap_->takeMutatorSweepNs();
  if (ns <= 0) return 0;
  // Go 1.19 mgcsweep.go: while the allocating goroutine sweeps (deductSweepCredit, gcStart's
  // sweepone loop), bgsweep sweeps beside it on every idle P (readied at mark termination,
  // gcSweep); together they clear the spans the simulator swept at once, in ns / (1 + idle).
  const double procs = static_cast<double>(cfg_.gomaxprocs);
  const double idlePs = std::max(0.0, procs - std::max(1.0, mutatorCpus_));
  const double wall = static_cast<double>(ns) / (1 + idlePs);
  mutatorStallNs_ += wall;
  cpu_.fromIdle(static_cast<double>(ns) - wall);  // bgsweep's share, on Ps that were idle
  return wall;
}

Duration Runtime::takeMutatorStall() {
  absorbMutatorSweep();
  const auto ns = static_cast<int64_t>(mutatorStallNs_);
  mutatorStallNs_ -= static_cast<double>(ns);
  return Duration(ns);
}

void Runtime::advanceTo(SimTime t, double mutatorCpus) {
  checkMemory();
  mutatorCpus_ = mutatorCpus;
  absorbMutatorSweep();
  while (now_ < t) {
    const SimTime step = std::min(t, std::max(nextEvent(), SimTime(now_.ns + 1)));
    const Duration dt = step - now_;
    // Background sweeper on idle Ps.
    int64_t bgSweepNs = 0;
    if (!heap_->isSweepDone()) {
      const double idle = std::max(0.1, static_cast<double>(cfg_.gomaxprocs) - mutatorCpus);
      bgSweepNs = heap_->sweepFor(static_cast<int64_t>(static_cast<double>(dt.v) * idle));
    }
    const double markWorkersBefore = mark_.bgCpuNs + mark_.idleCpuNs;
    const double assistNs = progressMark(dt, mutatorCpus);
    cpu_.step(static_cast<double>(dt.v),
              std::max(mutatorCpus * static_cast<double>(dt.v), assistNs) + static_cast<double>(bgSweepNs),
              mark_.bgCpuNs + mark_.idleCpuNs - markWorkersBefore);
    // Mark assists hold up the goroutine that allocated (spread over the program's busy CPUs).
    if (mutatorCpus > 0) mutatorStallNs_ += assistNs / std::max(1.0, mutatorCpus);
    if (limiter_) {
      // mgclimit.go updateLocked over this step: assists (and allocation-time scavenging) are
      // GC time; Ps on the idle list and idle mark workers are idle time. Outside the mark the
      // program's Ps are busy, the rest idle; in it the dedicated/fractional workers take 25 %.
      const double procs = static_cast<double>(cfg_.gomaxprocs);
      const double busy = std::min(procs, (mark_.active ? kGcBackgroundUtilization * procs : 0) + mutatorCpus);
      if (limiter_->limiting()) {
        limiterOnNs_ += dt.v;
        if (mutatorCpus <= 0) limiterOnIdleNs_ += dt.v;
      }
      limiter_->addAssistTime(static_cast<int64_t>(assistNs) + pendingScavAssistNs_);
      pendingScavAssistNs_ = 0;
      // Not modelled: a P running bgsweep is not idle in Go (only Ps on the idle list are), but
      // counts as idle here. Counting it right keeps the limiter off in death-spiral, where
      // gomemsim's marks are shorter than the real ones (tests/fidelity/README.md, 12).
      limiter_->addIdleTime(static_cast<int64_t>((procs - busy) * static_cast<double>(dt.v)));
      limiter_->update(step.ns, numGc_);
    }
    now_ = step;
    if (gcStartAt_ && now_ >= *gcStartAt_) {
      gcStartAt_.reset();
      heapLiveGrew();  // the trigger still holds unless the limit or GOGC moved
    }
    if (mark_.active && mark_.workLeftNs <= 0.5) markTermination();
    if (sweepDonePending_) {
      sweepDonePending_ = false;
      emitScavTrace(std::nullopt);
      readyScavenger();
    }
    if (sysmonPoll_ && now_ >= *sysmonPoll_) {
      // sysmon looks: a running program keeps it polling, so it wakes the worker now; if every
      // P is idle it first sleeps until the program's next timer.
      sysmonPoll_.reset();
      scavenger_->sweepDone(now_, Duration(mutatorCpus_ > 0 ? 0 : kSysmonIdleWakeNs));
    }
    runScavenger(now_);
    // sysmon: forced periodic GC (proc.go: forcegcperiod), not with GOGC=off.
    if (!mark_.active && anyGcDone_ && pacer_->gcPercent() >= 0 && now_.ns > lastGcEnd_.ns + kForceGcPeriodNs) {
      trace_.emplace_back("GC forced");  // proc.go forcegchelper: println("GC forced") (gctrace > 0)
      startCycle(false);
      mark_.periodic = true;
    }
  }
}

void Runtime::runScavenger(SimTime t) {
  for (int guard = 0; guard < 1000; ++guard) {
    const auto w = scavenger_->nextWake();
    if (!w || *w > t) return;
    const ScavengeRequest want = scavenger_->runBatch(*w, scavengerView());
    if (want.bytes.v == 0) return;
    const Released got = want.quantum.v > 0 ? releaseInQuanta(want) : releasePages(want);
    relBg_ += got.bytes;
    bgSinceTrace_ += got.bytes;
    // mgcscavenge.go scavenger.run: the worker's time is scavenge.backgroundTime; it runs on a
    // P the program leaves idle (1 % of GOMAXPROCS).
    cpu_.scavengeBackground(static_cast<double>(got.cost.v));
    cpu_.fromIdle(static_cast<double>(got.cost.v));
    scavenger_->worked(*w + got.cost, got.bytes, got.cost, scavengerView());
  }
}

// --- program actions ---

void Runtime::gc() {
  // runtime.GC: wait for the current cycle, then a full cycle, then all sweeping.
  checkMemory();
  gcStartAt_.reset();  // a triggered cycle not yet started is this one
  while (mark_.active) advanceTo(SimTime(std::min(nextEvent().ns, now_.ns + 1000000000)), 0);
  // The mark starts after what the program did just before the call (a drop at this instant
  // has death tick tickOf(now)+1): start at the next tick boundary, ~65 us, about what the
  // sweep-termination stop-the-world takes.
  advanceTo(SimTime(((now_.ns >> kDeathTickShift) + 1) << kDeathTickShift), 0);
  gcStartAt_.reset();
  startCycle(true);
  while (mark_.active) advanceTo(nextEvent(), 0);
  heap_->finishSweep();
  if (sweepDonePending_) {
    sweepDonePending_ = false;
    emitScavTrace(std::nullopt);
    readyScavenger();
  }
  explicitFlushCycle_ = numGc_;  // mProf_PostSweep
}

void Runtime::freeOSMemory() {
  gc();
  // mheap.go scavengeAll: release every free page, on the calling goroutine.
  const Released got = releasePages(ScavengeRequest{toBytes(pages_.freeRetained()) + Bytes(kPageSize), ScavengeSelect{}});
  relForced_ += got.bytes;
  emitScavTrace(got.bytes);
  advanceTo(now_ + got.cost, 1);
}

void Runtime::setGcPercent(int64_t percent) {
  pacer_->setGcPercent(percent);
  heapLiveGrew();  // the trigger may have moved below heapLive
}

void Runtime::setMemoryLimit(std::optional<Bytes> limit) {
  pacer_->setMemoryLimit(limit);
  heapLiveGrew();
}

void Runtime::setGoroutines(int64_t count, Bytes stack) {
  goroutines_ = count;
  stackSize_ = stack;
  checkMemory();
}

// --- observation ---

Bytes Runtime::metadataSys() const {
  return Bytes(pages_.arenas() * arenaMeta_.structBytes() + heap_->spanStructsEver() * go_.mspanBytes +
               (pages_.mapped().v / kChunkPages) * kChunkMetaBytes + kRuntimeOtherBytes);
}

int64_t Runtime::arenaIndexResident() const {
  // malloc.go sysAlloc: the arena index's L2 map ([1<<22]*heapArena, 32 MiB, sysAllocOS: in no
  // MemStats figure) is touched 8 B per arena: one 4 KiB page, or a 2 MiB huge page when THP
  // backs it - with THP=always unless advised otherwise, and with THP=madvise or always once
  // Go 1.21+ has advised it MADV_HUGEPAGE (mgc.go gcMarkTermination: enableMetadataHugePages
  // when the heap goal passes minHeapForMetadataHugePages; MADV_NOHUGEPAGE until then).
  const ThpMode thp = os_.thp();
  const bool huge = go_.metadataHugePages ? (metadataHugePages_ && thp != ThpMode::Never) : thp == ThpMode::Always;
  return huge ? kHugePageSize : kOsPageSize;
}

Bytes Runtime::metadataResident() const {
  // The heap bitmap and spans array are written for every page ever handed out (initSpan);
  // zeroedBase is that high-water mark per arena.
  int64_t bytes = 0;
  for (int64_t a = 0; a < pages_.arenas(); ++a) bytes += arenaMeta_.resident(pages_.zeroedBase(a));
  bytes += heap_->spanStructsEver() * go_.mspanBytes;
  bytes += arenaIndexResident();
  bytes += (pages_.mapped().v / kChunkPages) * kChunkMetaBytes;
  bytes += kRuntimeOtherBytes;
  return Bytes(bytes);
}

std::vector<std::string> Runtime::audit(const MemSnapshot& s) const {
  std::vector<std::string> bad;
  const auto expect = [&bad](bool ok, const std::string& what, int64_t got, int64_t want) {
    if (!ok) bad.push_back(what + ": " + std::to_string(got) + " against " + std::to_string(want));
  };
  const PageAllocator::Recount pages = pages_.recount();
  expect(pages.inUse == pages_.inUse().v, "pages in use, counted vs recounted", pages_.inUse().v, pages.inUse);
  expect(pages.released == pages_.released().v, "pages released, counted vs recounted", pages_.released().v, pages.released);
  expect(pages.freeRetained == pages_.freeRetained().v, "free pages retained, counted vs recounted",
         pages_.freeRetained().v, pages.freeRetained);
  expect(pages.chunksMiscounted == 0, "chunks whose free-unscavenged count is wrong", pages.chunksMiscounted, 0);
  const OsMemory::Recount os = os_.recount();
  expect(os.residentPages * kOsPageSize == os_.resident().v, "resident bytes, counted vs recounted", os_.resident().v,
         os.residentPages * kOsPageSize);
  expect(os.lazyFreePages * kOsPageSize == os_.lazyFree().v, "LazyFree bytes, counted vs recounted", os_.lazyFree().v,
         os.lazyFreePages * kOsPageSize);
  expect(os.hugeRegions * kHugePageSize == os_.anonHugePages().v, "AnonHugePages, counted vs recounted",
         os_.anonHugePages().v, os.hugeRegions * kHugePageSize);
  expect(os.lazyNotResident == 0, "LazyFree pages not resident", os.lazyNotResident, 0);
  expect(os.hugeNotResident == 0, "OS pages of huge pages not resident", os.hugeNotResident, 0);
  if (os_.thp() != ThpMode::Always) {
    const int64_t releasedResident = os_.residentInPages(pages.releasedPages).v;
    expect(releasedResident == 0, "released heap bytes resident", releasedResident, 0);
  }
  const MHeap::Recount heap = heap_->recount();
  expect(heap.spanPages == pages.inUse, "pages of the spans in use vs pages in use", heap.spanPages, pages.inUse);
  expect(heap.spans == heap_->spansInUse(), "spans in use, counted vs recounted", heap_->spansInUse(), heap.spans);
  expect(heap.slotBytes == s.heapAlloc.v, "heap_alloc vs the bytes of occupied slots", s.heapAlloc.v, heap.slotBytes);
  expect(heap.objects == s.heapObjects, "heap objects vs occupied slots", s.heapObjects, heap.objects);
  // The snapshot, against the recounts.
  expect(s.heapInuse.v == toBytes(Pages(pages.inUse)).v, "heap_inuse vs pages in use", s.heapInuse.v, toBytes(Pages(pages.inUse)).v);
  expect(s.heapReleased.v == toBytes(Pages(pages.released)).v, "heap_released vs pages released", s.heapReleased.v,
         toBytes(Pages(pages.released)).v);
  expect(s.heapSys.v == toBytes(pages_.mapped()).v, "heap_sys vs pages mapped", s.heapSys.v, toBytes(pages_.mapped()).v);
  expect(s.heapAlloc <= s.heapInuse, "heap_alloc above heap_inuse", s.heapAlloc.v, s.heapInuse.v);
  const int64_t heapRss = s.rss.v - s.stackInuse.v - s.runtimeOverhead.v - s.baseline.v;
  expect(heapRss == os.residentPages * kOsPageSize, "RSS of the heap vs the OS model's resident pages", heapRss,
         os.residentPages * kOsPageSize);
  expect(s.lazyFree.v == os.lazyFreePages * kOsPageSize, "lazy_free vs LazyFree pages", s.lazyFree.v, os.lazyFreePages * kOsPageSize);
  for (const auto& [name, part] : {std::pair{"reachable", s.reachable}, {"unswept_garbage", s.unsweptGarbage},
                                   {"span_free", s.spanFree}, {"retained_free", s.retainedFree}})
    expect(part.v >= 0, std::string(name) + " negative", part.v, 0);
  return bad;
}

MemSnapshot Runtime::snapshot() {
  MemSnapshot s;
  s.timeS = now_.seconds();
  s.heapAlloc = heap_->heapAlloc();
  s.heapInuse = toBytes(pages_.inUse());
  s.heapReleased = toBytes(pages_.released());
  s.heapIdle = toBytes(pages_.freeRetained()) + s.heapReleased;
  s.heapSys = s.heapInuse + s.heapIdle;
  const PacerLimitInputs lim = limitInputs();
  s.heapGoal = pacer_->heapGoal(lim);
  s.trigger = pacer_->trigger(lim);
  if (s.heapGoal.v == std::numeric_limits<int64_t>::max()) s.heapGoal = Bytes(0);
  if (s.trigger.v == std::numeric_limits<int64_t>::max()) s.trigger = Bytes(0);
  s.stackInuse = Bytes(kRuntimeStackBytes + goroutines_ * stackSize_.v);
  s.gcSys = metadataSys();
  s.sys = s.heapSys + s.stackInuse + s.gcSys;
  s.numGc = numGc_;
  s.numForcedGc = numForcedGc_;
  s.numPeriodicGc = numPeriodicGc_;
  s.gcCpuFraction = gcCpuFraction_;
  s.heapLive = heap_->heapLive();
  s.heapMarked = pacer_->heapMarked();
  s.heapObjects = heap_->heapObjects();
  s.totalAlloc = heap_->totalAlloc();
  s.totalFree = heap_->totalFree();
  s.mallocs = heap_->mallocs();
  s.frees = heap_->frees();
  s.tinyAllocs = heap_->tinyAllocs();
  s.mspanInuse = Bytes(heap_->spansInUse() * go_.mspanBytes);
  s.mspanSys = Bytes(heap_->spanStructsEver() * go_.mspanBytes);
  s.pauseTotalNs = numGc_ * kStwNs;
  s.cpu = cpu_.published();
  s.gcPercent = pacer_->gcPercent();
  if (const std::optional<Bytes> limit = pacer_->memoryLimit()) s.memoryLimit = *limit;
  s.gomaxprocs = cfg_.gomaxprocs;
  s.inMark = mark_.active;
  // pprof: which cycle is published (see heap_profile.h).
  const ProfilePublication pub = profilePublication();
  s.pprofInuse = pub.fallback ? s.heapAlloc : Bytes(heapMarkedHistory_[static_cast<size_t>(pub.freeUpTo - 1)]);
  s.pprofInuseSampled = profile_.published(pub.allocUpTo, pub.freeUpTo, pub.fallback);
  // RES breakdown: resident bytes only.
  const HeapAmount reach = ledger_.reachableAt(tickOf(now_));
  s.lazyFree = os_.lazyFree();
  // Free pages still resident (LazyFree pages are counted in lazy_free, wherever they are).
  s.retainedFree = os_.residentInFreePages(pages_.allocBitmap());
  const int64_t inuseResident = std::max<int64_t>(0, os_.resident().v - s.lazyFree.v - s.retainedFree.v);
  s.reachable = Bytes(std::min(inuseResident, reach.bytes));
  s.unsweptGarbage = Bytes(std::min(inuseResident - s.reachable.v, std::max<int64_t>(0, s.heapAlloc.v - reach.bytes)));
  s.spanFree = Bytes(inuseResident - s.reachable.v - s.unsweptGarbage.v);
  s.runtimeOverhead = metadataResident();
  s.outsideSys = Bytes(arenaIndexResident());
  s.baseline = cfg_.baselineRss;
  s.rss = Bytes(os_.resident().v) + s.stackInuse + s.runtimeOverhead + s.baseline;
  s.releasedBackground = relBg_;
  s.releasedEager = relEager_;
  s.releasedForced = relForced_;
  s.anonHugePages = os_.anonHugePages();
  s.lazyFreeReclaimed = lazyReclaimed_;
  s.otherRss = machine_.otherRss();
  s.oomKilled = oom_.has_value();
  if (oom_) {
    s.oomCgroup = oom_->cgroup;
    s.oomLimit = oom_->limit;
  }
  if (limiter_) {
    s.gcLimiterFill = static_cast<double>(limiter_->fill()) / static_cast<double>(limiter_->capacity());
    s.gcLimiterEnabledS = static_cast<double>(limiterOnNs_) * 1e-9;
    s.gcLimiterEnabledIdleS = static_cast<double>(limiterOnIdleNs_) * 1e-9;
    s.gcLimiterLastEnabledCycle = limiter_->lastEnabledCycle();
  }
  return s;
}

std::vector<std::string> Runtime::takeTrace() {
  std::vector<std::string> out;
  out.swap(trace_);
  return out;
}

}  // namespace gomemsim
