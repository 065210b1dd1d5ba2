// draws: the workload's random draws for an allocation run, made ahead of the heap.
//
// What a `run` step's streams allocate in each 1 ms quantum (how many objects of which size,
// and when each dies) depends only on the scenario and the seed, never on the state of the
// heap. DrawPipeline therefore makes those draws on a second thread, a chunk of quanta ahead,
// while the simulation thread allocates earlier ones. The draws are exactly the ones a
// single thread makes, in the same order from the same generator, so outputs do not depend on
// thread timing (tested). Not modelled here: anything about the runtime; this is the program.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "common/rng.h"
#include "gc/ledger.h"
#include "units/units.h"
#include "workload/workload.h"

namespace gomemsim {

// One stream's allocation pace and distributions.
struct StreamSpec {
  const SizeSampler* size = nullptr;
  const LifetimeSampler* lifetime = nullptr;
  DeathTick tag = 0;             // the live set's tag, or 0 for timed lifetimes
  double bytesPerSecond = 0;
  int64_t total = 0;             // stop after this many bytes
};

// One stream's objects in one quantum. Fixed and choice distributions are kept per distinct
// size (deaths[i]: the deaths of the objects of size i); other distributions object by object
// (sizes, objectDeaths).
struct StreamDraws {
  std::vector<std::vector<DeathTick>> deaths;
  std::vector<Bytes> sizes;
  std::vector<DeathTick> objectDeaths;
};

// The quanta of one run: [start, end) in steps of `quantum` (the last one may be shorter).
int64_t numQuanta(SimTime start, SimTime end, Duration quantum);

// Draws one quantum of one stream that starts at `now` and lasts `secs`: the pace's debt
// (owed, in bytes) and total so far (done) carry from quantum to quantum.
void drawQuantum(const StreamSpec& s, SimTime now, double secs, double& owed, int64_t& done,
                 Rng& rng, StreamDraws& out);

class DrawPipeline {
 public:
  DrawPipeline(std::vector<StreamSpec> streams, SimTime start, SimTime end, Duration quantum, Rng rng);
  ~DrawPipeline();
  DrawPipeline(const DrawPipeline&) = delete;
  DrawPipeline& operator=(const DrawPipeline&) = delete;

  // The next quantum's draws, one StreamDraws per stream, or nullptr after the last quantum.
  // Valid until the next call.
  const std::vector<StreamDraws>* next();
  // The generator as it is after every quantum's draws (call once next() returned nullptr).
  Rng finalRng();

 private:
  static constexpr int64_t kChunkQuanta = 128;  // 128 ms of draws per hand-over
  struct Chunk {
    std::vector<std::vector<StreamDraws>> quanta;  // [quantum in chunk][stream]
    int64_t size = 0;
    bool ready = false;
  };
  void produce();

  std::vector<StreamSpec> streams_;
  SimTime start_, end_;
  Duration quantum_;
  int64_t total_ = 0;     // quanta in the run
  Rng rng_;               // the producer's (handed back by finalRng)
  static constexpr int64_t kChunks = 4;  // the producer may run up to three chunks ahead
  Chunk chunks_[kChunks];
  int64_t taken_ = 0;     // quanta handed to the consumer
  int64_t chunkPos_ = 0;  // position in the consumer's current chunk
  bool holding_ = false;  // the consumer holds chunks_[current]
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread producer_;
};

}  // namespace gomemsim
