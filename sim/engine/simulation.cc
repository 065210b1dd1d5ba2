#include "engine/simulation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "common/godebug.h"
#include "engine/budget.h"
#include "engine/draws.h"
#include "workload/workload.h"

namespace gomemsim {
namespace {
constexpr int64_t kQuantumNs = 1000000;  // 1 ms allocation quantum
// Reference chunks' heap profile buckets are numbered apart from the streams' buckets, whose
// number also picks the P they allocate on: adding a set's chunks moves no stream to another P.
constexpr int kRefsBucketBase = 1 << 20;
}  // namespace

RuntimeConfig runtimeConfigFor(const Scenario& s) {
  RuntimeConfig c;
  // The Go release's row, resolved once here: "auto" policies below follow it (goversion.h).
  c.release = &goReleaseOf(s.runtime);
  c.gogc = s.runtime.gogc;
  c.memoryLimit = s.runtime.memory_limit;
  c.gomaxprocs = gomaxprocsOf(s);  // resolved once (scenario.h)
  c.scavenger = s.runtime.scavenger;
  c.scavengerParams = s.runtime.scavenger_params;
  c.pacer = s.runtime.pacer;
  c.madvise = resolveMadvise(s.runtime.madvise, *c.release, s.runtime.godebug);
  c.greenTea = greenTeaFor(*c.release, s.runtime.goexperiment);
  c.disableThp = c.release->disableThpSetting && godebugValue(s.runtime.godebug, "disablethp").value_or(0) != 0;
  c.thp = parseThpMode(s.machine.thp);
  c.cpuSpeed = s.machine.cpu_speed;
  c.machine.memory = s.machine.memory;
  c.machine.cgroupLimit = s.machine.cgroup_limit;
  c.baselineRss = s.machine.baseline_rss.v > 0 ? s.machine.baseline_rss : Bytes(c.release->baselineRssKiB << 10);
  c.seed = s.seed;
  return c;
}

Simulation::Simulation(const Scenario& s)
    : sc_(s), rt_(runtimeConfigFor(s)), rng_(s.seed * 0x9E3779B97F4A7C15ULL + 1),
      growslice_(growsliceFor(goReleaseOf(s.runtime))) {
  result_.scavenger = rt_.scavengerName();
  result_.pacer = rt_.pacerName();
  result_.madvise = madviseName(rt_.config().madvise);
  result_.goVersion = goVersionText(s.runtime);
  result_.release = rt_.config().release;
  result_.goVersionGiven = !s.runtime.go_version.empty();
  result_.plannedSeconds = estimateRun(s).simulatedSeconds;
  result_.memProfileRate = rt_.config().memProfileRate;
}

SimResult Simulation::run() {
  currentStep_ = currentKind_ = "start";
  currentIndex_ = -1;
  sample();
  nextSample_ = SimTime(0) + sc_.sample_every;
  try {
    for (const Step& step : sc_.steps) {
      currentStep_ = step.shown();
      currentKind_ = step.label;
      ++currentIndex_;
      rt_.setProfileSite(currentIndex_);  // the heap profile's caller of what it allocates
      runStep(step);
      if (rt_.now().ns > kMaxSimulatedNs) throw std::runtime_error("scenario longer than the simulator's 52-day limit");
      sample();
      result_.profileAfterStep.push_back(captureProfile());
    }
  } catch (const ProcessKilled&) {
    // The kernel OOM-killed the program (os/machine.h): the run ends with a last sample.
    currentStep_ = currentKind_ = "oom_kill";
    currentIndex_ = static_cast<int>(sc_.steps.size());
    sample();
  } catch (const Stopped& stop) {
    // The user stopped the run (run_control.h): it ends, as an OOM kill does, with a last sample.
    currentStep_ = currentKind_ = "interrupted";
    currentIndex_ = static_cast<int>(sc_.steps.size());
    result_.interruptedBy = stop.sig;
    sample();
  }
  result_.profileAtEnd = captureProfile();
  auto lines = rt_.takeTrace();
  result_.gctrace.insert(result_.gctrace.end(), lines.begin(), lines.end());
  return std::move(result_);
}

void Simulation::sample() {
  auto lines = rt_.takeTrace();
  result_.gctrace.insert(result_.gctrace.end(), lines.begin(), lines.end());
  result_.rows.push_back(TraceRow{currentStep_, rt_.snapshot(), currentKind_, currentIndex_});
  const MemSnapshot& m = result_.rows.back().mem;
  if (m.rss > peakRss_) {
    // A new peak: the profile is read again only if its publication changed since the last one.
    peakRss_ = m.rss;
    const auto key = rt_.publishedProfileKey();
    if (!result_.profileAtPeak || key != peakProfileKey_) {
      result_.profileAtPeak = captureProfile();
      peakProfileKey_ = key;
    } else {
      result_.profileAtPeak->time = rt_.now();
      result_.profileAtPeak->step = currentStep_;
    }
  }
  if (monitor_) monitor_->sampled(result_.rows.back());
}

HeapProfileCapture Simulation::captureProfile() const {
  HeapProfileCapture c;
  c.time = rt_.now();
  c.step = currentStep_;
  for (const auto& [site, counts] : rt_.publishedProfile())
    c.sites.push_back(HeapProfileSite{bucketName(site.first), site.second, counts});
  return c;
}

std::string Simulation::bucketName(int bucket) const {
  // The names the user wrote: a stream's, "live_set NAME", "append NAME", and the pointers a
  // live set holds its objects by, "live_set NAME refs".
  const auto spaced = [](std::string n) {
    std::replace(n.begin(), n.end(), ':', ' ');
    return n;
  };
  for (const auto& [name, refs] : refs_)
    if (refs.bucket == bucket) return "live_set " + name + " refs";
  for (const auto& [name, b] : buckets_) {
    if (b != bucket) continue;
    if (name.starts_with("live_set:") || name.starts_with("append:")) return spaced(name);
    return name;
  }
  return "bucket" + std::to_string(bucket);
}

void Simulation::advance(SimTime t, double mutatorCpus) {
  checkStop();
  while (nextSample_ <= t) {
    rt_.advanceTo(nextSample_, mutatorCpus);
    sample();
    nextSample_ = nextSample_ + sc_.sample_every;
    checkStop();
  }
  rt_.advanceTo(t, mutatorCpus);
}

void Simulation::checkStop() const {
  if (!monitor_) return;
  if (const int sig = monitor_->stopRequested()) throw Stopped{sig};
}

void Simulation::runStep(const Step& step) {
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, RunStep>) runAlloc(body);
        else if constexpr (std::is_same_v<T, LiveSetStep>) growLiveSet(body);
        else if constexpr (std::is_same_v<T, AppendStep>) append(body);
        else if constexpr (std::is_same_v<T, DropStep>) drop(body);
        else if constexpr (std::is_same_v<T, IdleStep>) idle(body.duration);
        else if constexpr (std::is_same_v<T, GcStep>) rt_.gc();
        else if constexpr (std::is_same_v<T, FreeOsMemoryStep>) rt_.freeOSMemory();
        else if constexpr (std::is_same_v<T, SetGcPercentStep>) rt_.setGcPercent(body.percent);
        else if constexpr (std::is_same_v<T, SetMemoryLimitStep>) rt_.setMemoryLimit(body.limit);
        else if constexpr (std::is_same_v<T, GoroutinesStep>) rt_.setGoroutines(body.count, body.stack);
        else if constexpr (std::is_same_v<T, OtherProcessStep>) rt_.setOtherProcess(body.name, body.rss);
        else static_assert(sizeof(T) == 0, "a step kind the engine does not run");
      },
      step.body);
  // A blocking runtime action may have moved the clock past sample points.
  while (nextSample_ <= rt_.now()) nextSample_ = nextSample_ + sc_.sample_every;
}

DeathTick Simulation::tagFor(const std::string& set) {
  auto it = sets_.find(set);
  if (it != sets_.end()) return it->second;
  const DeathTick tag = nextTag_++;
  sets_[set] = tag;
  return tag;
}

Simulation::SetRefs& Simulation::refsFor(const std::string& set) {
  auto [it, inserted] = refs_.try_emplace(set);
  if (inserted) {
    it->second.tag = nextTag_++;
    // The heap profile's "live_set:<name>:refs": an allocation site of its own (the driver's
    // pool.add), so the profile scales its 8192 B samples apart from the objects'.
    it->second.bucket = kRefsBucketBase + static_cast<int>(refs_.size()) - 1;
  }
  return it->second;
}

int64_t Simulation::holdRefs(SetRefs& r, int p, int64_t n) {
  if (n <= r.room) {  // the last chunk has room for them: a counter, no allocation
    r.room -= n;
    return 0;
  }
  const int64_t chunks = (n - r.room + kRefChunkLen - 1) / kRefChunkLen;
  r.room += chunks * kRefChunkLen - n;
  // The driver's chunk holds pointers, but it is allocated noscan here: the runtime already
  // charges kRefBytesPerObject of scan work to every marked object for the pointer that holds
  // it (runtime.cc startCycle, markTermination), which is the scan work and heapScan Go counts
  // for these chunks (Go 1.19 malloc.go mallocgc: scanAlloc += the type's ptrdata); scanning
  // the chunks as well would count it twice. Every pointer slot ends up written: touched whole.
  for (int64_t i = 0; i < chunks; ++i)
    rt_.malloc(p, Bytes(kRefChunkBytes), false, r.tag, Bytes(kRefChunkBytes), r.bucket);
  return chunks;
}

void Simulation::dropRefs(SetRefs& r, DeathTick now) {
  rt_.retag(r.tag, now, 1.0);
  r.room = 0;  // the driver starts an empty pool: the next object gets a new chunk
}

namespace {
// The program's page faults since a mark (mutator cost model, workload.h).
struct FaultMark {
  int64_t pages, huge;
  explicit FaultMark(const Runtime& rt) : pages(rt.pageFaults()), huge(rt.hugePageFaults()) {}
  double costNsSince(const Runtime& rt) const {
    return (static_cast<double>(rt.pageFaults() - pages) * kPageFaultNs +
            static_cast<double>(rt.hugePageFaults() - huge) * kHugePageFaultNs) /
           rt.config().cpuSpeed;
  }
};

// Bytes of an object of `size` the program writes (touch = fraction written).
Bytes touched(Bytes size, double touch) {
  if (touch >= 1.0) return size;
  return Bytes(static_cast<int64_t>(std::ceil(static_cast<double>(size.v) * touch)));
}
}  // namespace

void Simulation::allocateDraws(const AllocStream& s, const SizeSampler& sizes, int bucket,
                               const StreamDraws& d, SetRefs* refs) {
  // With a few distinct sizes the quantum's objects are allocated size by size in batches
  // (all at the same instant, so the model cannot tell the order apart); other
  // distributions go object by object, in the order drawn.
  int64_t n = 0;
  if (sizes.discrete()) {
    for (size_t i = 0; i < d.deaths.size(); ++i) {
      if (d.deaths[i].empty()) continue;
      const Bytes size = sizes.sizeAt(i);
      rt_.mallocBatch(bucket, size, touched(size, s.touch), d.deaths[i].data(),
                      static_cast<int>(d.deaths[i].size()), s.pointers, bucket);
      n += static_cast<int64_t>(d.deaths[i].size());
    }
  } else {
    for (size_t j = 0; j < d.sizes.size(); ++j)
      rt_.malloc(bucket, d.sizes[j], s.pointers, d.objectDeaths[j], touched(d.sizes[j], s.touch), bucket);
    n = static_cast<int64_t>(d.sizes.size());
  }
  // A live set's stream: the quantum's objects join the set, their pointers its chunks.
  if (refs != nullptr) holdRefs(*refs, bucket, n);
}

void Simulation::runAlloc(const RunStep& r) {
  std::vector<SizeSampler> sizes;
  std::vector<LifetimeSampler> lifetimes;
  std::vector<int> buckets;
  std::vector<SetRefs*> refs;  // the live set each stream adds to, or nullptr
  sizes.reserve(r.alloc.size());
  lifetimes.reserve(r.alloc.size());
  std::vector<StreamSpec> specs;
  for (const auto& a : r.alloc) {
    auto [it, inserted] = buckets_.try_emplace(a.name, nextBucket_);
    if (inserted) ++nextBucket_;
    buckets.push_back(it->second);
    refs.push_back(a.set.empty() ? nullptr : &refsFor(a.set));
    sizes.emplace_back(a.size);
    lifetimes.emplace_back(a.lifetime);
    const int64_t total = a.total ? a.total->v : std::numeric_limits<int64_t>::max();
    specs.push_back(StreamSpec{&sizes.back(), &lifetimes.back(), a.set.empty() ? DeathTick{0} : tagFor(a.set),
                               a.bytes_per_second, total});
  }
  double objectsPerSec = 0;
  for (const auto& a : r.alloc) objectsPerSec += a.bytes_per_second / meanSize(a.size);
  // The program's CPU while its streams run: allocating and writing what it allocates.
  double writesPerSec = 0;
  for (const auto& a : r.alloc) writesPerSec += a.bytes_per_second * std::min(1.0, a.touch);
  const double mutatorCpus = std::min<double>(static_cast<double>(gomaxprocsOf(sc_)),
                                              programNs(objectsPerSec * kAllocNs + writesPerSec * kMemclrNsPerByte) * 1e-9);
  const SimTime start = rt_.now();
  const SimTime end = start + r.duration;
  // The streams' draws depend only on the seed: a second thread makes them ahead (draws.h).
  DrawPipeline draws(specs, start, end, Duration(kQuantumNs), rng_);
  // The program allocates each quantum when it is due, or as soon as the runtime lets it: the
  // sweeping, assists and pauses the runtime charges to the allocating goroutine
  // (Runtime::takeMutatorStall) make it late, and then it allocates what it owes at once, as
  // the real-Go driver's paced loop does (sim/validate/driver/steps.go runStreams). Objects
  // live their lifetimes from when they were really allocated. A step that falls behind ends
  // late; at a heap held at its memory limit, that is most of the program's time.
  (void)rt_.takeMutatorStall();  // what came before this step does not delay it
  SimTime free = start;          // when the allocating goroutine is next free
  for (int64_t q = 0; const auto* quantum = draws.next(); ++q) {
    const SimTime due(start.ns + q * kQuantumNs);
    waitUntilFree(due, free, mutatorCpus);
    const DeathTick late = tickOf(rt_.now()) - tickOf(due);
    const FaultMark faults(rt_);
    for (size_t i = 0; i < r.alloc.size(); ++i)
      allocateDraws(r.alloc[i], sizes[i], buckets[i], late > 0 ? shifted((*quantum)[i], late) : (*quantum)[i], refs[i]);
    // Its own work on the quantum (on at most one CPU's worth of wall time per CPU it uses),
    // the page faults it took, and what the runtime charged it.
    const double ownNs = static_cast<double>(kQuantumNs) * std::min(1.0, mutatorCpus) + faults.costNsSince(rt_);
    free = rt_.now() + Duration(static_cast<int64_t>(ownNs)) + rt_.takeMutatorStall();
  }
  waitUntilFree(end, free, mutatorCpus);
  rng_ = draws.finalRng();
}

void Simulation::waitUntilFree(SimTime due, SimTime& free, double mutatorCpus) {
  for (;;) {
    const SimTime at = std::max(due, free);
    // A program behind its schedule keeps a CPU busy (catching up, or held up in the runtime's
    // sweeping and assists): that P runs no idle mark worker and no bgsweep.
    const double busy = free > due ? std::max(mutatorCpus, 1.0) : mutatorCpus;
    if (rt_.now() < at) advance(at, busy);
    const Duration stall = rt_.takeMutatorStall();  // assists charged while it waited
    if (stall.v == 0) return;
    free = rt_.now() + stall;
  }
}

const StreamDraws& Simulation::shifted(const StreamDraws& d, DeathTick late) {
  // Timed deaths move with the allocation; held ones (tags) stay.
  shifted_ = d;
  const auto shift = [late](DeathTick& t) {
    if (isTimed(t)) t = static_cast<DeathTick>(std::min<int64_t>(int64_t{t} + late, int64_t{kTagBase} - 1));
  };
  for (auto& v : shifted_.deaths) std::for_each(v.begin(), v.end(), shift);
  std::for_each(shifted_.objectDeaths.begin(), shifted_.objectDeaths.end(), shift);
  return shifted_;
}

void Simulation::growLiveSet(const LiveSetStep& l) {
  const DeathTick tag = tagFor(l.name);
  auto [it, inserted] = buckets_.try_emplace("live_set:" + l.name, nextBucket_);
  if (inserted) ++nextBucket_;
  const int bucket = it->second;
  if (l.over.v > 0) {
    RunStep r;
    r.duration = l.over;
    AllocStream s;
    s.name = "live_set:" + l.name;
    s.bytes_per_second = static_cast<double>(l.grow_to.v) / toSeconds(l.over);
    s.size = l.size;
    s.set = l.name;
    s.touch = l.touch;
    s.pointers = l.pointers;
    s.total = l.grow_to;
    r.alloc.push_back(s);
    runAlloc(r);
    return;
  }
  // As fast as possible: the clock advances by the mutator's own cost, in ~1 ms batches, and
  // by what the runtime holds it up (sweeping, assists, pauses).
  (void)rt_.takeMutatorStall();
  SetRefs& refs = refsFor(l.name);
  const SizeSampler sizes(l.size);
  int64_t done = 0;
  while (done < l.grow_to.v) {
    double costNs = 0;
    const FaultMark faults(rt_);
    while (done < l.grow_to.v && costNs < kQuantumNs) {
      const Bytes size = sizes.draw(rng_);
      const Bytes touch = touched(size, l.touch);
      rt_.malloc(bucket, size, l.pointers, tag, touch, bucket);
      // The pointer that holds it; a new chunk after every kRefChunkLen (the driver's pool.add).
      if (holdRefs(refs, bucket, 1) > 0) costNs += programNs(kAllocNs + static_cast<double>(kRefChunkBytes) * kMemclrNsPerByte);
      done += size.v;
      costNs += programNs(kAllocNs + static_cast<double>(touch.v) * kMemclrNsPerByte);
    }
    costNs += faults.costNsSince(rt_);
    advance(rt_.now() + Duration(static_cast<int64_t>(costNs)) + rt_.takeMutatorStall(), 1);
  }
}

void Simulation::append(const AppendStep& a) {
  const DeathTick tag = tagFor(a.slice);
  auto [bit, inserted] = buckets_.try_emplace("append:" + a.slice, nextBucket_);
  if (inserted) ++nextBucket_;
  Slice& sl = slices_[a.slice];
  sl.tag = tag;
  const int64_t add = a.add.v / a.elem.v;
  (void)rt_.takeMutatorStall();
  for (int64_t i = 0; i < a.times; ++i) {
    const int64_t newLen = sl.len + add;
    double costNs = 0;
    if (newLen > sl.cap) {
      // s = append(s, make([]T, add)...): growslice, copy the old elements, clear the rest.
      const int64_t newCap = roundedCap(growslice_(sl.cap, newLen), a.elem, rt_.layout(), a.pointers);
      const Bytes capmem(newCap * a.elem.v);
      const FaultMark faults(rt_);
      const ObjectRef fresh = rt_.malloc(0, capmem, a.pointers, tag, capmem, bit->second);
      costNs += programNs(static_cast<double>(sl.len * a.elem.v) * kMemmoveNsPerByte +
                          static_cast<double>((newCap - sl.len) * a.elem.v) * kMemclrNsPerByte) +
                faults.costNsSince(rt_);
      if (sl.hasObject) rt_.setDeath(sl.ref, deathTickFor(rt_.now(), Duration(0)));  // old array is garbage
      sl.ref = fresh;
      sl.hasObject = true;
      sl.cap = newCap;
    } else {
      costNs += programNs(static_cast<double>(add * a.elem.v) * kMemclrNsPerByte);
    }
    sl.len = newLen;
    advance(rt_.now() + Duration(static_cast<int64_t>(costNs)) + rt_.takeMutatorStall(), 1);
  }
}

void Simulation::drop(const DropStep& d) {
  const DeathTick now = deathTickFor(rt_.now(), Duration(0));
  if (d.all) {
    for (const auto& [name, tag] : sets_) rt_.retag(tag, now, 1.0);
    for (auto& [name, refs] : refs_) dropRefs(refs, now);
    for (auto& [name, sl] : slices_) sl = Slice{};
    return;
  }
  rt_.retag(tagFor(d.set), now, d.fraction);
  // A fraction of a set: the driver nils those pointers and keeps its chunks (dropFraction).
  // The whole set: the pool goes, chunks and all (dropAll).
  if (auto it = refs_.find(d.set); it != refs_.end() && d.fraction >= 1.0) dropRefs(it->second, now);
  if (auto it = slices_.find(d.set); it != slices_.end()) it->second = Slice{};
}

void Simulation::idle(Duration d) { advance(rt_.now() + d, 0); }

}  // namespace gomemsim
