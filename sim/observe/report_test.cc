// report.html: one chart per section, every series and step named, scenario text escaped,
// deterministic, spikes kept by the downsampling, the breakdown table equal to the snapshot, and
// the compare page overlaying every configuration.
#include "observe/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/simulation.h"
#include "observe/outputs.h"
#include "scenario/scenario.h"

namespace gomemsim {
namespace {

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

struct Parts {
  int64_t reachable = 0, garbage = 0, spanFree = 0, retained = 0, lazy = 0, stack = 256 << 10,
          overhead = 2 << 20, baseline = 4 << 20;
};

TraceRow makeRow(double t, const std::string& step, const Parts& p, int64_t pprof, int64_t numGc, double gcCpu,
                 int64_t released = 0) {
  TraceRow row;
  row.step = step;
  MemSnapshot& m = row.mem;
  m.timeS = t;
  m.reachable = Bytes(p.reachable);
  m.unsweptGarbage = Bytes(p.garbage);
  m.spanFree = Bytes(p.spanFree);
  m.retainedFree = Bytes(p.retained);
  m.lazyFree = Bytes(p.lazy);
  m.stackInuse = Bytes(p.stack);
  m.runtimeOverhead = Bytes(p.overhead);
  m.baseline = Bytes(p.baseline);
  m.rss = m.reachable + m.unsweptGarbage + m.spanFree + m.retainedFree + m.lazyFree + m.stackInuse +
          m.runtimeOverhead + m.baseline;
  m.heapAlloc = m.reachable + m.unsweptGarbage;
  m.heapInuse = m.heapAlloc + m.spanFree;
  m.heapReleased = Bytes(released);
  m.heapIdle = m.retainedFree + m.heapReleased;
  m.heapSys = m.heapInuse + m.heapIdle;
  m.heapGoal = m.heapAlloc * 2;
  m.pprofInuse = Bytes(pprof);
  m.numGc = numGc;
  m.gcCpuFraction = gcCpu;
  return row;
}

// A seed-like run: idle, append growth, drop, gc, free_os_memory, idle.
SimResult handResult() {
  SimResult r;
  r.goVersion = "1.19";
  r.scavenger = "background-1.19";
  r.pacer = "go1.19";
  r.madvise = "dontneed";
  r.rows.push_back(makeRow(0, "start", {}, 0, 0, 0));
  r.rows.push_back(makeRow(0.5, "idle", {}, 0, 0, 0));
  for (int i = 1; i <= 20; ++i) {
    Parts p;
    p.reachable = int64_t{i} * 50 << 20;
    p.garbage = int64_t{i} * 20 << 20;
    p.retained = int64_t{i} * 100 << 20;
    p.spanFree = 1 << 20;
    r.rows.push_back(makeRow(0.5 + 0.25 * i, "append:s", p, int64_t{i} * 40 << 20, i / 3, 0.001 * i));
  }
  // The peak is the last append sample: reachable 1000 MiB, garbage 400, retained 2000, span 1.
  const TraceRow& peak = r.rows.back();
  r.rows.push_back(makeRow(5.5, "drop:s", [] { Parts p; p.garbage = 1000LL << 20; p.retained = 2000LL << 20; return p; }(),
                           800LL << 20, 6, 0.02));
  r.rows.push_back(makeRow(5.5, "gc", [] { Parts p; p.retained = 3000LL << 20; return p; }(), 0, 7, 0.02));
  Parts end;
  end.reachable = (300LL << 20) + (512 << 10);  // 300.5 MiB
  end.retained = 10LL << 20;
  end.lazy = 5LL << 20;
  r.rows.push_back(makeRow(6.0, "free_os_memory", end, 0, 8, 0.015, 3000LL << 20));
  for (int i = 1; i <= 10; ++i) r.rows.push_back(makeRow(6.0 + i, "idle", end, 300LL << 20, 8, 0.01, 3000LL << 20));
  (void)peak;
  r.gctrace = {"gc 1 @0.750s 0%: 0.010+1.2+0.003 ms clock, 4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
               "scvg: 3000 MB released <forced> & done"};
  return r;
}

Scenario handScenario() {
  Scenario s;
  s.name = "demo <script>alert(1)</script>";
  s.about = "Fish & chips \"quoted\" <b>bold</b>";
  s.runtime.gogc = 100;
  s.runtime.memory_limit = GiB(1);
  s.runtime.gomaxprocs = 2;
  s.seed = 42;
  return s;
}

// The (x, y) pixel pairs of the polyline drawn for a series (first occurrence after `from`).
std::vector<std::pair<double, double>> polyline(const std::string& svg, const std::string& series,
                                                size_t from = 0) {
  const std::string key = "data-series=\"" + series + "\" points=\"";
  const size_t p = svg.find(key, from);
  if (p == std::string::npos) return {};
  const size_t b = p + key.size(), e = svg.find('"', b);
  std::istringstream in(svg.substr(b, e - b));
  std::vector<std::pair<double, double>> out;
  std::string pair;
  while (in >> pair) {
    double x = 0, y = 0;
    if (std::sscanf(pair.c_str(), "%lf,%lf", &x, &y) == 2) out.emplace_back(x, y);
  }
  return out;
}

// The text of the cells of the row with data-key=key in the table with the given id.
std::vector<std::string> tableRow(const std::string& html, const std::string& tableId, const std::string& key) {
  const size_t t = html.find("<table id=\"" + tableId + "\">");
  if (t == std::string::npos) return {};
  const size_t end = html.find("</table>", t);
  const size_t r = html.find("data-key=\"" + key + "\"", t);
  if (r == std::string::npos || r > end) return {};
  const size_t rowEnd = html.find("</tr>", r);
  std::vector<std::string> cells;
  for (size_t p = html.find("<td class=\"num\">", r); p != std::string::npos && p < rowEnd;
       p = html.find("<td class=\"num\">", p + 1)) {
    const size_t b = p + 16;
    cells.push_back(html.substr(b, html.find("</td>", b) - b));
  }
  return cells;
}

std::string fmt1(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

TEST(Report, OneSvgPerChart) {
  const std::string html = reportHtml(handScenario(), handResult());
  EXPECT_EQ(count(html, "<svg "), 3u);
  EXPECT_EQ(count(html, "</svg>"), 3u);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>\n"), std::string::npos);
  // Self-contained: nothing is loaded from anywhere.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(Report, NamesEverySeries) {
  const std::string html = reportHtml(handScenario(), handResult());
  for (const char* line : {"rss", "heap_inuse", "heap_alloc", "heap_goal", "pprof_inuse", "reachable", "heap_released",
                           "gc_cpu_fraction"})
    EXPECT_NE(html.find(std::string("data-series=\"") + line + "\""), std::string::npos) << line;
  // The stacked layers are titled paths, and the legend explains each.
  for (const char* part : {"reachable", "unswept_garbage", "span_free", "retained_free", "lazy_free", "stack_inuse",
                           "runtime_overhead", "baseline"}) {
    EXPECT_NE(html.find(std::string("<title>") + part + "</title></path>"), std::string::npos) << part;
    EXPECT_NE(html.find(std::string("<li><span class=\"sw\"")), std::string::npos);
    EXPECT_NE(html.find(std::string("<code>") + part + "</code>: "), std::string::npos) << part;
  }
  EXPECT_NE(html.find("GC cycle ends"), std::string::npos);
}

TEST(Report, HeaderShowsTheKnobs) {
  const std::string html = reportHtml(handScenario(), handResult());
  EXPECT_NE(html.find("<tr><td>GOGC</td><td>100</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>GOMEMLIMIT</td><td>1GiB</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>GOMAXPROCS</td><td>2</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>scavenger policy</td><td>background-1.19</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>madvise mode</td><td>dontneed</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>seed</td><td>42</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>Go version</td><td>1.19</td></tr>"), std::string::npos);
  Scenario off = handScenario();
  off.runtime.gogc = -1;
  off.runtime.memory_limit.reset();
  const std::string h2 = reportHtml(off, handResult());
  EXPECT_NE(h2.find("<tr><td>GOGC</td><td>off</td></tr>"), std::string::npos);
  EXPECT_NE(h2.find("<tr><td>GOMEMLIMIT</td><td>off</td></tr>"), std::string::npos);
}

TEST(Report, MarksStepsAndGcCycles) {
  const std::string html = reportHtml(handScenario(), handResult());
  // Every step is a marker in each of the three charts; the instantaneous drop, gc and
  // free_os_memory share an instant and so one merged marker.
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>idle (0.00 s)"), 3u);
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>idle (6.00 s)"), 3u);
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>append:s ("), 3u);
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>drop:s, gc, free_os_memory ("), 3u);
  EXPECT_EQ(html.find("<g class=\"marker\"><title>start"), std::string::npos);
  // The steps table lists each step once.
  for (const char* step : {"start", "idle", "append:s", "drop:s", "gc", "free_os_memory"})
    EXPECT_NE(html.find(std::string("<tr><td><code>") + step + "</code></td>"), std::string::npos) << step;
  // GC ticks: a path of short vertical strokes, one per cycle end (8 cycles here, all distinct in x).
  const size_t ticks = html.find("<title>GC cycle ends</title></path>");
  ASSERT_NE(ticks, std::string::npos);
  const size_t d = html.rfind("<path d=\"", ticks);
  EXPECT_EQ(count(html.substr(d, ticks - d), "M"), 8u);
}

TEST(Report, EscapesScenarioText) {
  const std::string html = reportHtml(handScenario(), handResult());
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold"), std::string::npos);
  EXPECT_NE(html.find("<h1>gomemsim report: demo &lt;script&gt;alert(1)&lt;/script&gt;</h1>"), std::string::npos);
  EXPECT_NE(html.find("<title>gomemsim: demo &lt;script&gt;alert(1)&lt;/script&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("Fish &amp; chips &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  // gctrace lines are escaped inside a collapsible block.
  EXPECT_NE(html.find("<details>"), std::string::npos);
  EXPECT_NE(html.find("scvg: 3000 MB released &lt;forced&gt; &amp; done\n"), std::string::npos);
  EXPECT_NE(html.find("4-&gt;4-&gt;2 MB"), std::string::npos);
  // Step labels with markup are escaped in the charts and the steps table too.
  SimResult r = handResult();
  for (auto& row : r.rows)
    if (row.step == "gc") row.step = "<img onerror=x>";
  const std::string h2 = reportHtml(handScenario(), r);
  EXPECT_EQ(h2.find("<img"), std::string::npos);
  EXPECT_NE(h2.find("&lt;img onerror=x&gt;"), std::string::npos);
}

TEST(Report, HtmlEscape) {
  EXPECT_EQ(htmlEscape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
  EXPECT_EQ(htmlEscape(std::string("x\x01y")), "x y");
  EXPECT_EQ(htmlEscape("plain"), "plain");
}

TEST(Report, BreakdownTableMatchesSnapshot) {
  const SimResult r = handResult();
  const std::string html = reportHtml(handScenario(), r);
  const Summary sum = summarize(r);
  // Peak: the last append sample (reachable 1000 MiB of 3407.25 MiB); end: reachable 300.5 MiB.
  ASSERT_EQ(sum.peak.reachable, MiB(1000));
  const double peakRss = toMiB(sum.peak.rss), endRss = toMiB(sum.end.rss);
  const std::vector<std::string> reach = tableRow(html, "breakdown", "reachable");
  ASSERT_EQ(reach.size(), 4u);
  EXPECT_EQ(reach[0], "1000.0");
  EXPECT_EQ(reach[1], fmt1(1000.0 / peakRss * 100) + " %");
  EXPECT_EQ(reach[2], "300.5");
  EXPECT_EQ(reach[3], fmt1(300.5 / endRss * 100) + " %");
  struct Check { const char* key; Bytes MemSnapshot::*field; };
  for (const Check c : {Check{"unswept_garbage", &MemSnapshot::unsweptGarbage}, Check{"span_free", &MemSnapshot::spanFree},
                        Check{"retained_free", &MemSnapshot::retainedFree}, Check{"lazy_free", &MemSnapshot::lazyFree},
                        Check{"stack_inuse", &MemSnapshot::stackInuse},
                        Check{"runtime_overhead", &MemSnapshot::runtimeOverhead}, Check{"baseline", &MemSnapshot::baseline},
                        Check{"rss", &MemSnapshot::rss}, Check{"pprof_inuse", &MemSnapshot::pprofInuse}}) {
    const std::vector<std::string> cells = tableRow(html, "breakdown", c.key);
    ASSERT_EQ(cells.size(), 4u) << c.key;
    EXPECT_EQ(cells[0], fmt1(toMiB(sum.peak.*c.field))) << c.key;
    EXPECT_EQ(cells[2], fmt1(toMiB(sum.end.*c.field))) << c.key;
  }
  EXPECT_EQ(tableRow(html, "breakdown", "rss")[1], "100.0 %");
}

TEST(Report, ExplainsTheBiggestContributors) {
  const std::string html = reportHtml(handScenario(), handResult());
  // At the peak retained_free (2000 MiB) is the biggest part and reachable (1000 MiB) the next.
  EXPECT_NE(html.find("At the peak (t = 5.50 s, step append:s), RES is 3.33 GiB; pprof counts only the 800.0 MiB"),
            std::string::npos);
  EXPECT_NE(html.find("The biggest part of RES is free pages the runtime retains after GC (1.95 GiB, 58.7 %), "
                      "followed by objects the program still references (1000.0 MiB, 29.3 %)."),
            std::string::npos);
  EXPECT_NE(html.find("The scavenger policy here is background-1.19."), std::string::npos);
  EXPECT_NE(html.find("At the end (t = 16.0 s), RES is "), std::string::npos);
}

TEST(Report, SummaryTable) {
  const std::string html = reportHtml(handScenario(), handResult());
  EXPECT_NE(html.find("<tr><td>peak RES</td><td>3.33 GiB at 5.50 s (step append:s)</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>peak pprof heap</td><td>800.0 MiB at 5.50 s</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>GC cycles</td><td>8 GCs (0 periodic, 0 by runtime.GC())</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>GC CPU fraction at end</td><td>1.0 %</td></tr>"), std::string::npos);
}

TEST(Report, WhatPprofDoesNotShowIsAShareOfRes) {
  // The first "why" sentence: RES less the pprof heap, and that as a share of RES (the reader's
  // question is how much of what top shows a heap profile misses). At the peak: RES 3407.25
  // MiB, pprof 800 MiB, so 2607.25 MiB (2.55 GiB) = 76.5 % of RES are not in the profile.
  const std::string html = reportHtml(handScenario(), handResult());
  EXPECT_NE(html.find("pprof counts only the 800.0 MiB of objects alive at the last completed GC, so 2.55 GiB "
                      "(76.5 % of RES) is memory a heap profile does not show."),
            std::string::npos);
}

TEST(Report, SummaryGivesTheBytesReleasedByEachPath) {
  // The summary's "released to the OS" row: what the background scavenger, allocation-time
  // (eager) scavenging and debug.FreeOSMemory (forced) returned by the end, in that order, each
  // from its own MemSnapshot field.
  SimResult r = handResult();
  MemSnapshot& end = r.rows.back().mem;
  end.releasedBackground = MiB(100);
  end.releasedEager = MiB(20);
  end.releasedForced = MiB(3000);
  const std::string html = reportHtml(handScenario(), r);
  EXPECT_NE(html.find("<tr><td>released to the OS (background / eager / forced)</td><td>100.0 MiB / 20.0 MiB / "
                      "2.93 GiB</td></tr>"),
            std::string::npos);
}

TEST(Downsample, KeepsEverythingBelowTheLimit) {
  const std::vector<double> y = {3, 1, 4, 1, 5};
  EXPECT_EQ(downsampleMinMax(y, 2000), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(downsampleMinMax(std::vector<double>(5000, 1.0), 0).size(), 5000u);
  EXPECT_TRUE(downsampleMinMax({}, 10).empty());
}

TEST(Downsample, KeepsSpikesFirstAndLast) {
  std::vector<double> y(100000);
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<double>(i % 97);
  y[54321] = 1e9;   // a one-sample spike
  y[77777] = -1e9;  // and a dip
  const std::vector<size_t> idx = downsampleMinMax(y, 2000);
  EXPECT_LE(idx.size(), 2000u);
  EXPECT_GE(idx.size(), 1000u);
  EXPECT_EQ(idx.front(), 0u);
  EXPECT_EQ(idx.back(), y.size() - 1);
  EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end()));
  EXPECT_EQ(std::adjacent_find(idx.begin(), idx.end()), idx.end());
  EXPECT_NE(std::find(idx.begin(), idx.end(), 54321u), idx.end());
  EXPECT_NE(std::find(idx.begin(), idx.end(), 77777u), idx.end());
  EXPECT_EQ(idx, downsampleMinMax(y, 2000));
}

TEST(Report, DownsamplingKeepsTheRssPeak) {
  SimResult r;
  r.goVersion = "1.19";
  Parts p;
  p.reachable = 100 << 20;
  for (int i = 0; i < 10000; ++i) {
    Parts q = p;
    q.retained = int64_t{(i * 7919) % 50} << 20;
    if (i == 6007) q.retained = (893LL << 20) + (768 << 10);  // the peak, one sample: RES 1000 MiB
    r.rows.push_back(makeRow(i * 0.1, "run", q, 100 << 20, i / 100, 0.01));
  }
  const std::string html = reportHtml(handScenario(), r);
  const auto pts = polyline(html, "rss");
  ASSERT_FALSE(pts.empty());
  EXPECT_LE(pts.size(), 2000u);
  // The same chart without downsampling reaches the same highest point (smallest pixel y).
  ChartSpec full;
  full.title = "RES and the Go runtime's view of the heap";
  ChartSeries rss;
  rss.name = "rss";
  for (const auto& row : r.rows) {
    rss.x.push_back(row.mem.timeS);
    rss.y.push_back(static_cast<double>(row.mem.rss.v));
  }
  full.series = {rss};
  ChartSpec sampled = full;
  full.maxPoints = 0;
  const auto all = polyline(svgLineChart(full), "rss"), some = polyline(svgLineChart(sampled), "rss");
  ASSERT_EQ(all.size(), 10000u);
  EXPECT_LE(some.size(), 2000u);
  auto top = [](const std::vector<std::pair<double, double>>& v) {
    return std::min_element(v.begin(), v.end(), [](auto& a, auto& b) { return a.second < b.second; })->second;
  };
  EXPECT_EQ(top(all), top(some));
  EXPECT_EQ(top(pts), top(some));
  // And the summary reports the exact peak.
  EXPECT_NE(html.find("<td>peak RES</td><td>1000.0 MiB at 10 min 1 s (step run)</td>"), std::string::npos);
}

TEST(Chart, ReadableAxisUnits) {
  ChartSpec c;
  c.title = "units";
  ChartSeries s;
  s.name = "s";
  s.x = {0, 600};
  s.y = {0, 3.0 * (1 << 30)};
  c.series = {s};
  const std::string svg = svgLineChart(c);
  EXPECT_NE(svg.find(" GiB</text>"), std::string::npos);
  EXPECT_NE(svg.find("10 min</text>"), std::string::npos);
  c.series[0].x = {0, 30};
  c.series[0].y = {0, 300.0 * (1 << 20)};
  const std::string svg2 = svgLineChart(c);
  EXPECT_NE(svg2.find("100 MiB</text>"), std::string::npos);
  EXPECT_NE(svg2.find("10 s</text>"), std::string::npos);
  c.yKind = AxisKind::Fraction;
  c.series[0].y = {0, 0.25};
  EXPECT_NE(svgLineChart(c).find("10 %</text>"), std::string::npos);
}

// The filled layers of a stacked area chart, each as its outline's points (top edge left to
// right, then bottom edge right to left), in drawing order.
std::vector<std::vector<std::pair<double, double>>> areaLayers(const std::string& svg) {
  std::vector<std::vector<std::pair<double, double>>> layers;
  for (size_t p = svg.find("<path d=\"M"); p != std::string::npos; p = svg.find("<path d=\"M", p + 1)) {
    const size_t tagEnd = svg.find('>', p);
    if (svg.substr(p, tagEnd - p).find("fill-opacity=\"0.85\"") == std::string::npos) continue;
    const size_t b = p + 9, e = svg.find('"', b);
    std::string d = svg.substr(b, e - b);
    for (char& ch : d)
      if (ch == 'M' || ch == 'L' || ch == 'Z') ch = ' ';
    std::istringstream in(d);
    std::vector<std::pair<double, double>> pts;
    for (double x, y; in >> x >> y;) pts.emplace_back(x, y);
    layers.push_back(pts);
  }
  return layers;
}

// What a reader sees: each layer sits on the one below it, and with equal values the layers are
// equally thick and the top reaches the axis label of their sum.
TEST(Chart, StackedAreasAreCumulative) {
  ChartSpec c;
  c.title = "stack";
  c.yKind = AxisKind::Number;
  ChartSeries a, b;
  a.name = "a";
  b.name = "b";
  a.x = b.x = {0, 1, 2};
  a.y = {1, 1, 1};
  b.y = {1, 1, 1};
  c.series = {a, b};
  const std::string svg = svgStackedAreaChart(c);
  const auto layers = areaLayers(svg);
  ASSERT_EQ(layers.size(), 2u);
  for (const auto& l : layers) ASSERT_EQ(l.size(), 6u);  // three samples: top and bottom edges
  const auto top = [](const std::vector<std::pair<double, double>>& l, int i) { return l[static_cast<size_t>(i)].second; };
  const auto bottom = [](const std::vector<std::pair<double, double>>& l, int i) { return l[static_cast<size_t>(5 - i)].second; };
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(bottom(layers[1], i), top(layers[0], i)) << "b is drawn on top of a";
    EXPECT_LT(top(layers[0], i), bottom(layers[0], i)) << "a has thickness (SVG y grows downwards)";
    EXPECT_NEAR(bottom(layers[0], i) - top(layers[0], i), bottom(layers[1], i) - top(layers[1], i), 0.1)
        << "equal values, equal thickness";
  }
  // The top of the stack is at the y of the axis label "2.0", the sum.
  const size_t label = svg.find(">2.0</text>");
  ASSERT_NE(label, std::string::npos);
  const size_t y = svg.rfind(" y=\"", label);
  const double labelY = std::stod(svg.substr(y + 4));
  EXPECT_NEAR(top(layers[1], 0), labelY, 6) << "the label sits on its grid line (baseline a few px below)";
}

TEST(Chart, NoSamples) {
  const std::string html = reportHtml(handScenario(), SimResult{});
  EXPECT_EQ(count(html, "<svg "), 3u);
  EXPECT_NE(html.find("no samples"), std::string::npos);
}

using Runs = std::vector<std::pair<std::string, SimResult>>;

// The cells (inner HTML) of the summary row of a configuration.
std::vector<std::string> summaryRow(const std::string& html, const std::string& label) {
  const size_t r = html.find("<tr data-config=\"" + label + "\"");
  if (r == std::string::npos) return {};
  const size_t rowEnd = html.find("</tr>", r);
  std::vector<std::string> cells;
  for (size_t p = html.find("<td", r); p != std::string::npos && p < rowEnd; p = html.find("<td", p + 1)) {
    const size_t b = html.find('>', p) + 1;
    cells.push_back(html.substr(b, html.find("</td>", b) - b));
  }
  return cells;
}

// Every <svg ...>...</svg> of the page, in order.
std::vector<std::string> svgs(const std::string& html) {
  std::vector<std::string> out;
  for (size_t p = html.find("<svg "); p != std::string::npos; p = html.find("<svg ", p + 1))
    out.push_back(html.substr(p, html.find("</svg>", p) + 6 - p));
  return out;
}

// The stroke colour of a series' polyline.
std::string strokeOf(const std::string& html, const std::string& series) {
  const size_t p = html.find("data-series=\"" + series + "\"");
  if (p == std::string::npos) return "";
  const size_t c = html.find("stroke=\"", p) + 8;
  return html.substr(c, html.find('"', c) - c);
}

TEST(CompareReport, OverlaysEveryConfiguration) {
  SimResult a = handResult(), b = handResult();
  for (auto& row : b.rows) row.mem.rss = row.mem.rss * 2;
  const Runs runs = {{"scavenger=none,gogc=100", a}, {"scavenger=<x>,gogc=50", b}};
  const std::string html = compareReportHtml(runs, handScenario(), {"never", "12.0 s"});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<x>"), std::string::npos);
  for (const std::string& label : {std::string("scavenger=none,gogc=100"), std::string("scavenger=&lt;x&gt;,gogc=50")}) {
    for (const char* metric : {" rss", " pprof_inuse", " heap_released", " gc_cpu_fraction"})
      EXPECT_EQ(count(html, "data-series=\"" + label + metric + "\""), 1u) << label << metric;
    // The swatch and the label's first part unbroken, then the rest, which may wrap after its commas.
    const size_t comma = label.find(',');
    EXPECT_NE(html.find("</span>" + label.substr(0, comma + 1) + "</span><wbr>" + label.substr(comma + 1) +
                        "<span class=\"sub\">"),
              std::string::npos)
        << label;
  }
  // One colour per configuration, the same colour for all of a configuration's curves.
  EXPECT_NE(strokeOf(html, "scavenger=none,gogc=100 rss"), strokeOf(html, "scavenger=&lt;x&gt;,gogc=50 rss"));
  EXPECT_EQ(strokeOf(html, "scavenger=none,gogc=100 rss"), strokeOf(html, "scavenger=none,gogc=100 pprof_inuse"));
  EXPECT_EQ(strokeOf(html, "scavenger=none,gogc=100 rss"), strokeOf(html, "scavenger=none,gogc=100 heap_released"));
  EXPECT_EQ(count(html, "<svg "), 3u);
  // Side by side, one row per configuration: the second has twice the RES; settle as given.
  const Summary sa = summarize(a), sb = summarize(b);
  const auto ra = summaryRow(html, "scavenger=none,gogc=100"), rb = summaryRow(html, "scavenger=&lt;x&gt;,gogc=50");
  ASSERT_EQ(ra.size(), 12u);
  ASSERT_EQ(rb.size(), 12u);
  EXPECT_NE(ra[0].find("gogc=100<span class=\"sub\">1.19 / background-1.19 / dontneed</span>"), std::string::npos)
      << ra[0];
  EXPECT_EQ(ra[1], formatBytes(static_cast<double>(sa.peak.rss.v)));
  EXPECT_EQ(rb[1], formatBytes(static_cast<double>(sb.peak.rss.v)));
  EXPECT_EQ(ra[4], "-");  // not OOM-killed
  EXPECT_EQ(ra[5], "never");
  EXPECT_EQ(rb[5], "12.0 s");
  EXPECT_EQ(html.find("id=\"oom\""), std::string::npos);
  // The breakdown, one row per configuration: the parts in MiB, each with its share of RES.
  const size_t peakTable = html.find("<table id=\"breakdown-peak\" class=\"by-config\">");
  ASSERT_NE(peakTable, std::string::npos);
  const auto second = summaryRow(html.substr(peakTable), "scavenger=&lt;x&gt;,gogc=50");
  ASSERT_EQ(second.size(), 12u);  // label, 8 parts, RES, pprof, HeapReleased
  EXPECT_EQ(second[1], "1000.0<span class=\"pct\">" + fmt1(100.0 * 1000 / toMiB(sb.peak.rss)) + " %</span>");
  EXPECT_EQ(second[9], fmt1(toMiB(sb.peak.rss)));
  EXPECT_EQ(second[10].substr(0, second[10].find('<')), fmt1(toMiB(sb.peak.pprofInuse)));
}

TEST(CompareReport, AnOomKilledConfigurationIsMarkedInTheBannerTheTableAndTheCharts) {
  SimResult a = handResult(), b = handResult();
  b.rows.resize(10);
  b.rows.back().step = "oom_kill";
  b.rows.back().mem.oomKilled = true;
  b.rows.back().mem.oomCgroup = true;
  b.rows.back().mem.oomLimit = GiB(2);
  const double killedAt = b.rows.back().mem.timeS;
  const Runs runs = {{"lives", a}, {"dies", b}};
  const std::string html = compareReportHtml(runs, handScenario(), {"1.0 s", "killed"});
  const size_t banner = html.find("<div class=\"oom\" id=\"oom\">");
  ASSERT_NE(banner, std::string::npos);
  const std::string bannerText = html.substr(banner, html.find("</div>", banner) - banner);
  EXPECT_NE(bannerText.find("<code>dies</code> at "), std::string::npos) << bannerText;
  EXPECT_NE(bannerText.find("memory cgroup&#39;s OOM killer (memory.max 2.00 GiB)"), std::string::npos) << bannerText;
  EXPECT_EQ(bannerText.find("lives"), std::string::npos) << bannerText;
  EXPECT_NE(html.find("<tr data-config=\"dies\" class=\"oom\">"), std::string::npos);
  EXPECT_NE(html.find("<tr data-config=\"lives\">"), std::string::npos);
  const auto dies = summaryRow(html, "dies");
  ASSERT_EQ(dies.size(), 12u);
  char when[64];
  std::snprintf(when, sizeof when, "<b>%.2f s</b>", killedAt);
  EXPECT_EQ(dies[4], when);
  EXPECT_EQ(summaryRow(html, "lives")[4], "-");
  // The kill is a red step boundary naming its configuration (the other has no kill).
  const size_t mark = html.find("<g class=\"marker\"><title>oom_kill (dies)");
  ASSERT_NE(mark, std::string::npos);
  EXPECT_NE(html.substr(mark, 400).find("stroke=\"#c62828\""), std::string::npos);
  // A red cross where the killed configuration's RES line ends, none on the other.
  EXPECT_EQ(count(html, "<g class=\"end-mark\">"), 1u);
  EXPECT_NE(html.find("<g class=\"end-mark\"><title>dies OOM-killed at "), std::string::npos);
}

TEST(CompareReport, StepBoundariesOfEveryConfigurationOnceEach) {
  SimResult a = handResult(), b = handResult();
  for (auto& row : b.rows)
    if (row.step == "free_os_memory") row.step = "free_os_memory_late";
  const Runs runs = {{"first", a}, {"second", b}};
  const std::string html = compareReportHtml(runs, handScenario());
  const std::string c1 = svgs(html).at(0);
  // The markers' tooltips (markers a few pixels apart share one).
  const std::string key = "<g class=\"marker\"><title>";
  std::string titles;
  for (size_t p = c1.find(key); p != std::string::npos; p = c1.find(key, p + 1))
    titles += c1.substr(p + key.size(), c1.find("</title>", p) - p - key.size()) + "\n";
  // Shared boundaries once, without names; the others name their configuration.
  EXPECT_EQ(count(titles, "append:s ("), 1u) << titles;
  EXPECT_EQ(count(titles, "drop:s"), 1u) << titles;
  EXPECT_EQ(count(titles, "free_os_memory (first)"), 1u) << titles;
  EXPECT_EQ(count(titles, "free_os_memory_late (second)"), 1u) << titles;
}

TEST(CompareReport, RunawayCapIsTheRobustMaximumOfTheOthers) {
  EXPECT_DOUBLE_EQ(runawayCap({100, 10, 9}), 11);
  EXPECT_DOUBLE_EQ(runawayCap({10, 9, 100}), 11);       // order does not matter
  EXPECT_DOUBLE_EQ(runawayCap({100, 90, 10, 9}), 11);   // two of four above
  EXPECT_DOUBLE_EQ(runawayCap({100, 60}), 0);           // not twice: no cap
  EXPECT_DOUBLE_EQ(runawayCap({100, 90, 80, 10}), 0);   // most lines are high: they own the axis
  EXPECT_DOUBLE_EQ(runawayCap({100, 0}), 0);
  EXPECT_DOUBLE_EQ(runawayCap({100}), 0);
  EXPECT_DOUBLE_EQ(runawayCap({}), 0);
}

TEST(CompareReport, ARunawayLineDoesNotSquashTheOthersAndIsNamed) {
  SimResult a = handResult(), b = handResult(), c = handResult();
  for (auto& row : c.rows) row.mem.rss = row.mem.rss * 20;
  const Runs runs = {{"a", a}, {"b", b}, {"runaway", c}};
  const std::string html = compareReportHtml(runs, handScenario());
  const std::string c1 = svgs(html).at(0);
  const Summary sa = summarize(a), sc = summarize(c);
  // The note names the line above the top with its true peak.
  EXPECT_NE(c1.find("runaway rss peak " + formatBytes(static_cast<double>(sc.peak.rss.v))), std::string::npos) << c1;
  EXPECT_EQ(c1.find("a rss peak"), std::string::npos);
  EXPECT_NE(c1.find("clip-path=\"url(#clip-"), std::string::npos);
  // a's peak is drawn in the upper half of the plot, not squashed to the bottom twentieth.
  const auto pa = polyline(c1, "a rss");
  ASSERT_FALSE(pa.empty());
  double topY = 1e9;
  for (const auto& [x, y] : pa) topY = std::min(topY, y);
  const double bottom = 320 - 34, top = 46;
  EXPECT_LT(topY, (top + bottom) / 2) << "a's peak " << toMiB(sa.peak.rss) << " MiB at y=" << topY;
  // Without a runaway there is no cap and no note.
  const std::string plain = compareReportHtml({{"a", a}, {"b", b}}, handScenario());
  EXPECT_EQ(plain.find("above the top"), std::string::npos);
  EXPECT_EQ(plain.find("clip-path"), std::string::npos);
}

TEST(CompareReport, DistinctColoursUpToSixThenSmallMultiplesOnSharedAxes) {
  const SimResult base = handResult();
  auto grid = [&](size_t n) {
    Runs runs;
    for (size_t i = 0; i < n; ++i) {
      SimResult r = base;
      for (auto& row : r.rows) row.mem.rss = row.mem.rss + MiB(static_cast<int64_t>(100 * i));
      runs.emplace_back("config-" + std::to_string(i), r);
    }
    return runs;
  };
  const std::string six = compareReportHtml(grid(6), handScenario());
  std::vector<std::string> colours;
  for (size_t i = 0; i < 6; ++i) {
    const std::string c = strokeOf(six, "config-" + std::to_string(i) + " rss");
    EXPECT_EQ(std::count(colours.begin(), colours.end(), c), 0) << c;
    colours.push_back(c);
  }
  EXPECT_EQ(count(six, "<svg "), 3u);
  EXPECT_EQ(six.find("class=\"multiples\""), std::string::npos);

  const std::string seven = compareReportHtml(grid(7), handScenario());
  EXPECT_NE(seven.find("<div class=\"multiples\" id=\"memory-multiples\">"), std::string::npos);
  const auto charts = svgs(seven);
  ASSERT_EQ(charts.size(), 14u);  // memory and GC CPU, one of each per configuration
  // The same axes in every memory chart: the same y tick labels and x tick labels.
  auto tickLabels = [](const std::string& svg) {
    std::string out;
    for (size_t p = svg.find("text-anchor=\""); p != std::string::npos; p = svg.find("text-anchor=\"", p + 1))
      out += svg.substr(svg.find('>', p) + 1, svg.find('<', p) - svg.find('>', p) - 1) + "|";
    return out;
  };
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_NE(charts[i].find("<title>config-" + std::to_string(i) + "</title>"), std::string::npos) << i;
    EXPECT_EQ(tickLabels(charts[i]), tickLabels(charts[0])) << i;
    EXPECT_EQ(count(charts[i], "data-series=\"rss\""), 1u) << i;
  }
  EXPECT_NE(tickLabels(charts[0]).find("GiB"), std::string::npos) << tickLabels(charts[0]);
}

TEST(CompareReport, EveryTableScrollsInsideItsOwnContainer) {
  const std::string html = compareReportHtml({{"a", handResult()}, {"b", handResult()}}, handScenario());
  const size_t tables = count(html, "<table");
  EXPECT_EQ(tables, 4u);  // knobs, summary, breakdown at the peak and at the end
  EXPECT_EQ(count(html, "<div class=\"scroll\"><table"), tables);
  EXPECT_NE(html.find(".scroll{overflow-x:auto"), std::string::npos);
}

TEST(Report, FromARealRunAndWrittenByWriteOutputs) {
  const Scenario s = parseScenario(R"(name: tiny <run>
about: A small live set, dropped & collected.
runtime: {go: "1.19", gogc: 100, gomaxprocs: 2}
sample_every: 100ms
steps:
  - live_set: {name: cache, grow_to: 8MB, size: 1KiB, over: 1s}
  - drop: {set: cache}
  - gc
  - idle: 1s
)",
                                   "tiny.yaml");
  Simulation sim(s);
  const SimResult r = sim.run();
  const std::string html = reportHtml(s, r);
  EXPECT_EQ(count(html, "<svg "), 3u);
  for (const char* step : {"live_set:cache", "drop:cache", "gc", "idle"})
    EXPECT_NE(html.find(std::string("<tr><td><code>") + step + "</code></td>"), std::string::npos) << step;
  EXPECT_NE(html.find("tiny &lt;run&gt;"), std::string::npos);
  EXPECT_NE(html.find("dropped &amp; collected"), std::string::npos);
  const Summary sum = summarize(r);
  EXPECT_EQ(tableRow(html, "breakdown", "rss")[0], fmt1(toMiB(sum.peak.rss)));
  EXPECT_EQ(tableRow(html, "breakdown", "reachable")[2], fmt1(toMiB(sum.end.reachable)));

  const std::string dir = ::testing::TempDir() + "/gomemsim_report_test";
  std::filesystem::remove_all(dir);
  writeOutputs(dir, s, r);
  std::ifstream f(dir + "/report.html", std::ios::binary);
  std::stringstream written;
  written << f.rdbuf();
  EXPECT_EQ(written.str(), html);
  for (const auto& e : std::filesystem::directory_iterator(dir))
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  std::filesystem::remove_all(dir);
}

// Steps are split by their index, not their label: two `run` steps in a row are two rows of the
// step table and two marks on each chart; a step's name replaces its label everywhere it is shown.
TEST(Report, ConsecutiveStepsOfOneKindAndNamedSteps) {
  const Scenario s = parseScenario(R"(about: two runs in a row, then named steps
runtime: {go: "1.22"}
sample_every: 1s
steps:
  - run: {for: 20s, alloc: [{rate: 1MB/s, size: 1KiB, lifetime: 1s}]}
  - run: {for: 20s, alloc: [{rate: 2MB/s, size: 1KiB, lifetime: 1s}]}
  - name: burst
    run: {for: 20s, alloc: [{rate: 4MB/s, size: 1KiB, lifetime: 1s}]}
  - name: rest
    idle: 20s
)",
                                   "steps.yaml");
  Simulation sim(s);
  const SimResult r = sim.run();
  const std::string html = reportHtml(s, r);
  EXPECT_EQ(count(html, "<tr><td><code>run</code></td>"), 2u) << "one row per run step";
  EXPECT_EQ(count(html, "<tr><td><code>burst</code></td>"), 1u);
  EXPECT_EQ(count(html, "<tr><td><code>rest</code></td>"), 1u);
  // Marks: the first run starts at 0 s, the second at 20 s, burst at 40 s, rest at 60 s; on each
  // of the three charts.
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>run (0.00 s)"), 3u);
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>run (20.0"), 3u);
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>burst (40.0"), 3u);
  EXPECT_EQ(count(html, "<g class=\"marker\"><title>rest (60.0"), 3u);
  // trace.csv's step column shows the names, and the rows keep the kind and index apart.
  const std::string csv = traceCsv(r);
  EXPECT_NE(csv.find(",burst,"), std::string::npos);
  EXPECT_NE(csv.find(",rest,"), std::string::npos);
  int lastIndex = -2;
  for (const TraceRow& row : r.rows) {
    EXPECT_GE(row.stepIndex, lastIndex);
    lastIndex = row.stepIndex;
    if (row.step == "burst") {
      EXPECT_EQ(row.kind, "run");
      EXPECT_EQ(row.stepIndex, 2);
    }
    if (row.step == "rest") {
      EXPECT_EQ(row.kind, "idle");
    }
  }
  EXPECT_EQ(lastIndex, 3);
}

}  // namespace
}  // namespace gomemsim
