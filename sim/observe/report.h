// report: report.html, the page a Go service owner reads to see why `top`'s RES exceeds what a
// pprof heap profile shows: the knobs, a summary, RES and the MemStats curves over time with the
// scenario's steps and GC cycles marked, RES stacked by what holds it, the breakdown at the peak
// and at the end explained in words, GC CPU over time, the steps table and the gctrace lines.
// Each step is its own mark and table row (split by TraceRow::stepIndex, so two `run` steps in a
// row are two), shown by its name when the scenario gives one.
//
// The page is self-contained: inline CSS and inline SVG rendered here, no script, font or
// network access, so it opens offline in any browser. Output is a pure function of the input
// (no timestamps, no random ids), so identical runs give byte-identical files. Every piece of
// text that comes from the scenario or a caller is HTML-escaped.
//
// The chart code is generic (named series of x/y points, markers, ticks, optional fixed axes)
// so that `compare` can overlay the same metric from several configurations in one chart or
// draw one small chart per configuration on shared axes; compareReportHtml is that page. Series with more than ChartSpec::maxPoints points are downsampled deterministically,
// keeping the minimum and maximum of every bucket so that spikes survive.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "engine/simulation.h"
#include "scenario/scenario.h"

namespace gomemsim {

// How a chart axis labels its values.
enum class AxisKind {
  Bytes,     // values in bytes; ticks in B/KiB/MiB/GiB/TiB
  Fraction,  // values in 0..1; ticks in %
  Seconds,   // values in seconds; ticks in s, min or h
  Number,    // plain numbers
};

enum class LineDash { Solid, Dashed, Dotted };

struct ChartSeries {
  std::string name;           // legend text
  std::vector<double> x, y;   // same length
  std::string color;          // CSS colour; empty = the chart's palette by position
  LineDash dash = LineDash::Solid;
  double width = 1.5;         // stroke width of a line
  std::string endMark;        // non-empty: a red cross on the last point, with this tooltip (an OOM kill)
};

// A vertical dashed line with a label (a step boundary, an OOM kill).
struct ChartMarker {
  double x = 0;
  std::string label;
  std::string color;  // CSS colour of the line; empty = grey
};

struct ChartSpec {
  std::string title;
  AxisKind xKind = AxisKind::Seconds;
  AxisKind yKind = AxisKind::Bytes;
  // svgLineChart: every series is a line. svgStackedAreaChart: `series` are stacked areas, first
  // at the bottom, sharing series[0].x; `overlay` series are drawn as lines on top.
  std::vector<ChartSeries> series;
  std::vector<ChartSeries> overlay;
  std::vector<ChartMarker> markers;  // vertical dashed lines; markers a few pixels apart are merged
  std::vector<double> ticks;         // small ticks under the x axis (e.g. GC cycles)
  std::string ticksLabel;            // legend entry for the ticks; empty = no entry
  int width = 960;
  int height = 320;                  // plot and axes; the legend adds rows below
  size_t maxPoints = 2000;           // downsample above this many points per series (0 = never)
  // Fixed axes (small multiples share theirs). yTop > 0: the y axis ends there (rounded up to a
  // whole tick) however high the data go; lines are clipped at the top of the plot, and every
  // line that goes above it is named, with its peak, in a note over the plot and marked by a
  // triangle where it leaves, so nothing is hidden silently. xTo > xFrom: the x axis spans
  // [xFrom, xTo] instead of the data's range.
  double yTop = 0;
  double xFrom = 0, xTo = 0;
};

// Renders one chart as an <svg> element (no surrounding HTML).
std::string svgLineChart(const ChartSpec& spec);
std::string svgStackedAreaChart(const ChartSpec& spec);

// Indices of the points to keep when a series of key.size() points is drawn with at most about
// maxPoints points: the first and last point and, in each of maxPoints/2 equal buckets, the
// points with the smallest and the largest key, in index order. All indices when
// key.size() <= maxPoints or maxPoints == 0.
std::vector<size_t> downsampleMinMax(const std::vector<double>& key, size_t maxPoints);

std::string htmlEscape(const std::string& text);
// "1.5 GiB", "320.0 MiB", "12.0 KiB", "512 B".
std::string formatBytes(double bytes);

// The report.html of one run.
std::string reportHtml(const Scenario& s, const SimResult& r);

// A y axis top that keeps one runaway line from squashing the others, or 0 when none is needed.
// peaks holds each line's (or each configuration's) highest value. Sorted from the highest, the
// first k lines are runaway when the k-th is more than twice the (k+1)-th and k is at most half
// the lines (the smallest such k); the top is then 1.1 times the highest of the others (their
// robust maximum), and the runaway lines go above it.
double runawayCap(std::vector<double> peaks);

// Configurations up to this many share one chart per metric, one colour each (a palette that
// stays distinguishable, also to colour-blind readers); beyond it, each configuration gets its
// own small chart (small multiples), all on the same axes.
inline constexpr size_t kMaxOverlaidConfigs = 6;

// The compare page: the scenario, a banner naming every OOM-killed configuration, one summary
// row per configuration (the OOM-killed ones marked; `settle` gives the settle column's text
// per configuration, as compare's table prints it, or is empty for no such column), rss,
// pprof_inuse, heap_released and GC CPU over time (overlaid up to kMaxOverlaidConfigs, small
// multiples beyond; step boundaries of every configuration, deduplicated, an OOM kill in red; a
// runaway line capped by runawayCap and named), and the RES breakdown at each configuration's
// peak and end. Tables sit in horizontally scrolling containers, so wide ones never widen the
// page. Labels are e.g. "scavenger=none,gogc=100".
std::string compareReportHtml(const std::vector<std::pair<std::string, SimResult>>& runs, const Scenario& s,
                              const std::vector<std::string>& settle = {});

}  // namespace gomemsim
