#include "engine/draws.h"

#include <algorithm>

namespace gomemsim {

int64_t numQuanta(SimTime start, SimTime end, Duration quantum) {
  if (end.ns <= start.ns) return 0;
  return (end.ns - start.ns + quantum.v - 1) / quantum.v;
}

void drawQuantum(const StreamSpec& s, SimTime now, double secs, double& owed, int64_t& done,
                 Rng& rng, StreamDraws& out) {
  owed += s.bytesPerSecond * secs;
  auto deathOf = [&](Rng& g) {
    if (s.tag != 0) return s.tag;
    const Duration life = s.lifetime->draw(g);
    return life.v < 0 ? kForever : deathTickFor(now, life);
  };
  Rng local = rng;  // a local copy stays in registers across the loop
  double o = owed;
  int64_t d = done;
  const SizeSampler& sizes = *s.size;
  if (sizes.discrete()) {
    out.deaths.resize(sizes.numSizes());
    for (auto& v : out.deaths) v.clear();
    while (o > 0 && d < s.total) {
      const size_t i = sizes.drawIndex(local);
      const int64_t size = sizes.sizeAt(i).v;
      out.deaths[i].push_back(deathOf(local));
      o -= static_cast<double>(size);
      d += size;
    }
  } else {
    out.sizes.clear();
    out.objectDeaths.clear();
    while (o > 0 && d < s.total) {
      const Bytes size = sizes.draw(local);
      out.sizes.push_back(size);
      out.objectDeaths.push_back(deathOf(local));
      o -= static_cast<double>(size.v);
      d += size.v;
    }
  }
  rng = local;
  owed = o;
  done = d;
}

DrawPipeline::DrawPipeline(std::vector<StreamSpec> streams, SimTime start, SimTime end, Duration quantum, Rng rng)
    : streams_(std::move(streams)), start_(start), end_(end), quantum_(quantum),
      total_(numQuanta(start, end, quantum)), rng_(rng) {
  if (total_ > 0) producer_ = std::thread([this] { produce(); });
}

DrawPipeline::~DrawPipeline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (producer_.joinable()) producer_.join();
}

void DrawPipeline::produce() {
  std::vector<double> owed(streams_.size(), 0.0);
  std::vector<int64_t> done(streams_.size(), 0);
  Rng rng = rng_;
  for (int64_t c = 0, q = 0; q < total_; ++c) {
    Chunk& chunk = chunks_[c % kChunks];
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !chunk.ready || stop_; });
      if (stop_) return;
    }
    // The consumer does not touch a chunk that is not ready: fill it unlocked.
    const int64_t n = std::min(kChunkQuanta, total_ - q);
    if (static_cast<int64_t>(chunk.quanta.size()) < n) chunk.quanta.resize(static_cast<size_t>(n));
    for (int64_t k = 0; k < n; ++k) {
      const SimTime now(start_.ns + (q + k) * quantum_.v);
      const SimTime qEnd(std::min(end_.ns, now.ns + quantum_.v));
      auto& streams = chunk.quanta[static_cast<size_t>(k)];
      streams.resize(streams_.size());
      for (size_t i = 0; i < streams_.size(); ++i)
        drawQuantum(streams_[i], now, toSeconds(qEnd - now), owed[i], done[i], rng, streams[i]);
    }
    chunk.size = n;
    q += n;
    {
      std::lock_guard<std::mutex> lock(mu_);
      chunk.ready = true;
      if (q == total_) rng_ = rng;
    }
    cv_.notify_all();
  }
}

const std::vector<StreamDraws>* DrawPipeline::next() {
  Chunk& current = chunks_[(std::max<int64_t>(taken_ - 1, 0) / kChunkQuanta) % kChunks];
  if (holding_ && chunkPos_ == current.size) {  // the caller is done with the last quantum of it
    {
      std::lock_guard<std::mutex> lock(mu_);
      current.ready = false;
    }
    cv_.notify_all();
    holding_ = false;
  }
  if (taken_ >= total_) return nullptr;
  Chunk& chunk = chunks_[(taken_ / kChunkQuanta) % kChunks];
  if (!holding_) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return chunk.ready; });
    holding_ = true;
    chunkPos_ = 0;
  }
  ++taken_;
  return &chunk.quanta[static_cast<size_t>(chunkPos_++)];
}

Rng DrawPipeline::finalRng() {
  if (producer_.joinable()) producer_.join();
  return rng_;
}

}  // namespace gomemsim
