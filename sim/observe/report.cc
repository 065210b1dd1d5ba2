#include "observe/report.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <sstream>

#include "observe/outputs.h"

namespace gomemsim {
namespace {

constexpr double kKiB = 1024.0;
constexpr double kMiB = kKiB * 1024.0;
constexpr double kGiB = kMiB * 1024.0;
constexpr double kTiB = kGiB * 1024.0;

// printf into a std::string (the "C" locale: the program never calls setlocale).
__attribute__((format(printf, 1, 2))) std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

double finite(double v) { return std::isfinite(v) ? v : 0.0; }
double d(Bytes b) { return static_cast<double>(b.v); }

// Characters (not bytes) of a UTF-8 string, for estimating text widths.
size_t utf8Length(const std::string& s) {
  size_t n = 0;
  for (const char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

// Cuts a UTF-8 string to at most n characters, adding an ellipsis when it was cut.
std::string utf8Truncate(const std::string& s, size_t n) {
  if (utf8Length(s) <= n || n == 0) return s;
  size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == n - 1) break;
      ++chars;
    }
  }
  return s.substr(0, i) + "\u2026";
}

std::string formatTime(double s) {
  if (s < 10) return fmt("%.2f s", s);
  if (s < 120) return fmt("%.1f s", s);
  const long long total = std::llround(s);
  if (total < 7200) return fmt("%lld min %lld s", total / 60, total % 60);
  return fmt("%lld h %lld min", total / 3600, (total % 3600) / 60);
}

std::string formatPercent(double fraction) { return fmt("%.1f %%", finite(fraction) * 100.0); }
std::string formatMiB(Bytes b) { return fmt("%.1f", toMiB(b)); }
std::string share(Bytes part, Bytes whole) { return whole.v > 0 ? formatPercent(d(part) / d(whole)) : "-"; }

// Go's syntax for a byte count, as GOMEMLIMIT takes it.
std::string goBytes(Bytes b) {
  const int64_t v = b.v;
  if (v != 0 && v % (int64_t{1} << 40) == 0) return std::to_string(v >> 40) + "TiB";
  if (v != 0 && v % (int64_t{1} << 30) == 0) return std::to_string(v >> 30) + "GiB";
  if (v != 0 && v % (int64_t{1} << 20) == 0) return std::to_string(v >> 20) + "MiB";
  if (v != 0 && v % (int64_t{1} << 10) == 0) return std::to_string(v >> 10) + "KiB";
  return std::to_string(v);
}

// A short interval such as the sample interval: "50 ms", "1 s", "2.5 s".
std::string formatInterval(double s) {
  if (s < 1) return fmt("%g ms", s * 1000);
  if (s < 120) return fmt("%g s", s);
  return formatTime(s);
}

std::string gogcText(int64_t gogc) { return gogc < 0 ? std::string("off") : std::to_string(gogc); }

// ---------------------------------------------------------------------------------------------
// Axes

struct AxisTicks {
  double lo = 0, hi = 1;          // the axis range in data units
  std::vector<double> values;     // tick positions in data units
  std::vector<std::string> labels;
};

// 1, 2 or 5 times a power of ten, about range/target.
double niceStep(double range, int target) {
  const double raw = range / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double k = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return k * mag;
}

// Ticks for [lo, hi]. extend: round hi up to a whole step (y axes); otherwise the range stays
// the data's and ticks fall inside it (x axes).
AxisTicks makeTicks(AxisKind kind, double lo, double hi, int target, bool extend) {
  if (!(hi > lo)) {
    const double pad = kind == AxisKind::Bytes ? kMiB : kind == AxisKind::Fraction ? 0.01 : 1.0;
    hi = lo + pad;
  }
  double div = 1;
  std::string unit;
  switch (kind) {
    case AxisKind::Bytes: {
      const double m = std::max(std::fabs(lo), std::fabs(hi));
      if (m >= kTiB) { div = kTiB; unit = " TiB"; }
      else if (m >= kGiB) { div = kGiB; unit = " GiB"; }
      else if (m >= kMiB) { div = kMiB; unit = " MiB"; }
      else if (m >= kKiB) { div = kKiB; unit = " KiB"; }
      else { unit = " B"; }
      break;
    }
    case AxisKind::Fraction: div = 0.01; unit = " %"; break;
    case AxisKind::Seconds: {
      const double range = hi - lo;
      if (range > 3 * 3600) { div = 3600; unit = " h"; }
      else if (range > 300) { div = 60; unit = " min"; }
      else { unit = " s"; }
      break;
    }
    case AxisKind::Number: break;
  }
  const double ulo = lo / div, uhi = hi / div;
  const double step = niceStep(uhi - ulo, target);
  const int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  AxisTicks t;
  const long long first = static_cast<long long>(std::ceil(ulo / step - 1e-9));
  long long last = static_cast<long long>(std::floor(uhi / step + 1e-9));
  if (extend) {
    last = static_cast<long long>(std::ceil(uhi / step - 1e-9));
    t.lo = std::min(lo, static_cast<double>(first) * step * div);
    t.hi = static_cast<double>(last) * step * div;
    if (!(t.hi > t.lo)) t.hi = t.lo + step * div;
  } else {
    t.lo = lo;
    t.hi = hi;
  }
  for (long long k = first; k <= last && t.values.size() < 50; ++k) {
    const double u = static_cast<double>(k) * step;
    t.values.push_back(u * div);
    t.labels.push_back(k == 0 ? std::string("0") : fmt("%.*f", decimals, u) + unit);
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// Charts

const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr size_t kPaletteSize = sizeof kPalette / sizeof kPalette[0];

std::string colorOf(const ChartSeries& s, size_t i) {
  return s.color.empty() ? std::string(kPalette[i % kPaletteSize]) : s.color;
}

std::string dashAttr(LineDash d) {
  switch (d) {
    case LineDash::Dashed: return " stroke-dasharray=\"7 4\"";
    case LineDash::Dotted: return " stroke-dasharray=\"2 3\"";
    case LineDash::Solid: break;
  }
  return "";
}

struct Frame {
  double left, right, top, bottom;  // pixels
  double xlo, xhi, ylo, yhi;        // data
  double px(double x) const { return left + (finite(x) - xlo) / (xhi - xlo) * (right - left); }
  double py(double y) const { return bottom - (finite(y) - ylo) / (yhi - ylo) * (bottom - top); }
};

struct LegendItem {
  enum class Kind { Line, Area, Tick, Marker } kind;
  std::string label, color;
  LineDash dash = LineDash::Solid;
  double width = 1.5;
};

double peakOf(const ChartSeries& s) {
  double m = 0;
  for (const double y : s.y) m = std::max(m, finite(y));
  return m;
}

// FNV-1a of the title and series names: a deterministic id for the chart's clip path.
uint32_t chartHash(const ChartSpec& spec) {
  uint32_t h = 2166136261u;
  auto mix = [&](const std::string& text) {
    for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
  };
  mix(spec.title);
  for (const auto& s : spec.series) mix(s.name);
  for (const auto& s : spec.overlay) mix(s.name);
  return h;
}

std::string formatValue(AxisKind kind, double v) {
  switch (kind) {
    case AxisKind::Bytes: return formatBytes(v);
    case AxisKind::Fraction: return formatPercent(v);
    case AxisKind::Seconds: return formatTime(v);
    case AxisKind::Number: break;
  }
  return fmt("%g", v);
}

// The note over the plot naming each line above the top, and a triangle at the top edge where
// each first leaves the plot.
void aboveTheTop(std::ostringstream& o, const ChartSpec& spec, const std::vector<ChartSeries>& lines,
                 const std::vector<size_t>& above, const Frame& f, size_t colorOffset) {
  std::string note = "\u25B2 above the top (" + formatValue(spec.yKind, f.yhi) + "): ";
  for (size_t k = 0; k < above.size(); ++k) {
    const ChartSeries& s = lines[above[k]];
    note += (k ? "; " : "") + s.name + " peak " + formatValue(spec.yKind, peakOf(s));
  }
  // Cut to the chart's width (about 6 px a character); the whole note is the tooltip.
  const size_t maxChars = static_cast<size_t>(std::max(10.0, (f.right + 10) / 6.0));
  o << "<g class=\"above-top\"><title>" << htmlEscape(note) << "</title><text x=\"10\" y=\"38\" font-size=\"11\" "
       "fill=\"#b71c1c\">" << htmlEscape(utf8Truncate(note, maxChars)) << "</text>\n";
  for (const size_t i : above) {
    const ChartSeries& s = lines[i];
    const size_t m = std::min(s.x.size(), s.y.size());
    for (size_t k = 0; k < m; ++k) {
      if (finite(s.y[k]) <= f.yhi) continue;
      const double x = f.px(s.x[k]);
      o << fmt("<path d=\"M%.1f %.1fl-5 8h10z\"", x, f.top - 8) << " fill=\"" << htmlEscape(colorOf(s, i + colorOffset))
        << "\"><title>" << htmlEscape(s.name) << " goes above the top here</title></path>\n";
      break;
    }
  }
  o << "</g>\n";
}

std::string renderChart(const ChartSpec& spec, bool stacked) {
  const double W = std::max(200, spec.width), H = std::max(120, spec.height);
  const std::vector<ChartSeries>& lines = stacked ? spec.overlay : spec.series;

  // Stacked layers share series[0].x; a layer shorter than that truncates the chart.
  size_t n = 0;
  std::vector<double> totals;
  if (stacked && !spec.series.empty()) {
    n = spec.series[0].x.size();
    for (const auto& s : spec.series) n = std::min(n, s.y.size());
    totals.assign(n, 0.0);
    for (const auto& s : spec.series)
      for (size_t i = 0; i < n; ++i) totals[i] += std::max(0.0, finite(s.y[i]));
  }

  // Data ranges.
  bool any = false;
  double xlo = 0, xhi = 0, ymin = 0, ymax = 0;
  auto seeX = [&](double x) {
    x = finite(x);
    if (!any) { xlo = xhi = x; any = true; }
    xlo = std::min(xlo, x);
    xhi = std::max(xhi, x);
  };
  for (size_t i = 0; i < n; ++i) {
    seeX(spec.series[0].x[i]);
    ymax = std::max(ymax, totals[i]);
  }
  for (const auto& s : lines) {
    const size_t m = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < m; ++i) {
      seeX(s.x[i]);
      ymax = std::max(ymax, finite(s.y[i]));
      ymin = std::min(ymin, finite(s.y[i]));
    }
  }
  if (!any) xhi = xlo + 1;
  if (spec.xTo > spec.xFrom) {
    xlo = spec.xFrom;
    xhi = spec.xTo;
  }
  const double dataYmax = ymax;
  if (spec.yTop > 0) ymax = spec.yTop;

  const AxisTicks xt = makeTicks(spec.xKind, xlo, xhi, 8, false);
  const AxisTicks yt = makeTicks(spec.yKind, ymin, ymax, 5, true);
  // Lines above a fixed top: named in a note over the plot, which moves the plot down a line.
  std::vector<size_t> above;
  if (spec.yTop > 0 && dataYmax > yt.hi)
    for (size_t i = 0; i < lines.size(); ++i)
      if (peakOf(lines[i]) > yt.hi) above.push_back(i);
  const Frame f{78, W - 20, above.empty() ? 30.0 : 46.0, H - 34, xt.lo, xt.hi, yt.lo, yt.hi};

  // Legend layout: rows under the x-axis labels.
  std::vector<LegendItem> legend;
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const auto& s = spec.series[i];
    legend.push_back({stacked ? LegendItem::Kind::Area : LegendItem::Kind::Line, s.name, colorOf(s, i), s.dash, s.width});
  }
  if (stacked)
    for (size_t i = 0; i < spec.overlay.size(); ++i) {
      const auto& s = spec.overlay[i];
      legend.push_back({LegendItem::Kind::Line, s.name, colorOf(s, i + spec.series.size()), s.dash, s.width});
    }
  if (!spec.markers.empty()) legend.push_back({LegendItem::Kind::Marker, "step boundary", "#888"});
  if (!spec.ticks.empty() && !spec.ticksLabel.empty())
    legend.push_back({LegendItem::Kind::Tick, spec.ticksLabel, "#d35400"});
  struct Placed { double x, y; const LegendItem* item; };
  std::vector<Placed> placed;
  double lx = f.left, ly = H + 4;
  for (const auto& item : legend) {
    const double w = 34 + 6.6 * static_cast<double>(utf8Length(item.label));
    if (lx + w > W - 10 && lx > f.left) { lx = f.left; ly += 18; }
    placed.push_back({lx, ly, &item});
    lx += w + 10;
  }
  const double totalH = legend.empty() ? H : ly + 18;

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " << W << ' ' << totalH
    << "\" width=\"" << W << "\" height=\"" << totalH << "\" role=\"img\" aria-label=\"" << htmlEscape(spec.title)
    << "\" font-family=\"system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif\" font-size=\"11\">\n";
  o << "<title>" << htmlEscape(spec.title) << "</title>\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << W << "\" height=\"" << totalH << "\" fill=\"#fff\"/>\n";
  // Over the plot in a wide chart; from the left edge in a small one, which needs the room. Cut to
  // the width (~8 px a bold character); the whole title is the tooltip.
  const double titleX = W < 600 ? 10 : f.left;
  const size_t titleChars = static_cast<size_t>(std::max(10.0, (W - titleX - 10) / 8.2));
  o << "<text x=\"" << titleX << "\" y=\"18\" font-size=\"13\" font-weight=\"600\" fill=\"#222\">"
    << htmlEscape(utf8Truncate(spec.title, titleChars)) << "</text>\n";

  // Grid and axis labels.
  std::string grid;
  for (size_t i = 0; i < yt.values.size(); ++i) {
    const double y = f.py(yt.values[i]);
    grid += fmt("M%.1f %.1fH%.1f", f.left, y, f.right);
    o << fmt("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">", f.left - 6, y + 4)
      << htmlEscape(yt.labels[i]) << "</text>\n";
  }
  for (size_t i = 0; i < xt.values.size(); ++i) {
    const double x = f.px(xt.values[i]);
    grid += fmt("M%.1f %.1fV%.1f", x, f.top, f.bottom);
    o << fmt("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">", x, f.bottom + 16)
      << htmlEscape(xt.labels[i]) << "</text>\n";
  }
  o << "<path d=\"" << grid << "\" stroke=\"#e6e6e6\" stroke-width=\"1\" fill=\"none\"/>\n";

  if (!any) {
    o << fmt("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#888\">no samples</text>\n",
             (f.left + f.right) / 2, (f.top + f.bottom) / 2);
  }

  // Stacked areas, first series at the bottom.
  if (stacked && n > 0) {
    const std::vector<size_t> idx = downsampleMinMax(totals, spec.maxPoints);
    std::vector<double> lower(idx.size(), 0.0), upper(idx.size(), 0.0);
    const auto& xs = spec.series[0].x;
    for (size_t s = 0; s < spec.series.size(); ++s) {
      bool nonzero = false;
      for (size_t k = 0; k < idx.size(); ++k) {
        const double v = std::max(0.0, finite(spec.series[s].y[idx[k]]));
        upper[k] = lower[k] + v;
        nonzero = nonzero || v > 0;
      }
      if (nonzero) {
        std::string path;
        for (size_t k = 0; k < idx.size(); ++k)
          path += fmt("%s%.1f %.1f", k == 0 ? "M" : "L", f.px(xs[idx[k]]), f.py(upper[k]));
        for (size_t k = idx.size(); k-- > 0;) path += fmt("L%.1f %.1f", f.px(xs[idx[k]]), f.py(lower[k]));
        o << "<path d=\"" << path << "Z\" fill=\"" << htmlEscape(colorOf(spec.series[s], s))
          << "\" fill-opacity=\"0.85\" stroke=\"none\"><title>" << htmlEscape(spec.series[s].name)
          << "</title></path>\n";
      }
      lower.swap(upper);  // upper is fully rewritten by the next layer
    }
  }

  // Lines, clipped to the plot when the axis has a fixed top.
  const std::string clipId = fmt("clip-%08x", static_cast<unsigned>(chartHash(spec)));
  if (spec.yTop > 0)
    o << "<clipPath id=\"" << clipId << "\">"
      << fmt("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", f.left, f.top - 1, f.right - f.left,
             f.bottom - f.top + 1)
      << "</clipPath>\n<g clip-path=\"url(#" << clipId << ")\">\n";
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& s = lines[i];
    const size_t m = std::min(s.x.size(), s.y.size());
    if (m == 0) continue;
    const std::vector<double> ys(s.y.begin(), s.y.begin() + static_cast<std::ptrdiff_t>(m));
    std::string pts;
    for (const size_t k : downsampleMinMax(ys, spec.maxPoints)) {
      if (!pts.empty()) pts += ' ';
      pts += fmt("%.1f,%.1f", f.px(s.x[k]), f.py(s.y[k]));
    }
    const size_t colorIndex = stacked ? i + spec.series.size() : i;
    o << "<polyline data-series=\"" << htmlEscape(s.name) << "\" points=\"" << pts << "\" fill=\"none\" stroke=\""
      << htmlEscape(colorOf(s, colorIndex)) << "\" stroke-width=\"" << fmt("%.1f", s.width)
      << "\" stroke-linejoin=\"round\"" << dashAttr(s.dash) << "><title>" << htmlEscape(s.name)
      << "</title></polyline>\n";
  }
  if (spec.yTop > 0) o << "</g>\n";
  for (const auto& s : lines) {
    const size_t m = std::min(s.x.size(), s.y.size());
    if (s.endMark.empty() || m == 0) continue;
    const double x = f.px(s.x[m - 1]), y = std::max(f.top, f.py(s.y[m - 1]));
    o << "<g class=\"end-mark\"><title>" << htmlEscape(s.endMark) << "</title>"
      << fmt("<path d=\"M%.1f %.1fl10 10m0 -10l-10 10\" stroke=\"#fff\" stroke-width=\"5\"/>", x - 5, y - 5)
      << fmt("<path d=\"M%.1f %.1fl10 10m0 -10l-10 10\" stroke=\"#c62828\" stroke-width=\"2.5\"/>", x - 5, y - 5)
      << "</g>\n";
  }
  if (!above.empty()) aboveTheTop(o, spec, lines, above, f, stacked ? spec.series.size() : 0);

  // Ticks under the plot (GC cycles), one per pixel at most.
  if (!spec.ticks.empty()) {
    std::vector<double> xs;
    for (const double t : spec.ticks) xs.push_back(f.px(t));
    std::sort(xs.begin(), xs.end());
    std::string path;
    double lastX = -1e9;
    for (const double x : xs) {
      if (x < f.left - 0.5 || x > f.right + 0.5 || x - lastX < 1.0) continue;
      path += fmt("M%.1f %.1fV%.1f", x, f.bottom - 7, f.bottom);
      lastX = x;
    }
    if (!path.empty())
      o << "<path d=\"" << path << "\" stroke=\"#d35400\" stroke-width=\"1\" fill=\"none\"><title>"
        << htmlEscape(spec.ticksLabel.empty() ? std::string("tick") : spec.ticksLabel) << "</title></path>\n";
  }

  // Axes.
  o << fmt("<path d=\"M%.1f %.1fV%.1fH%.1f\" stroke=\"#333\" stroke-width=\"1\" fill=\"none\"/>\n", f.left, f.top,
           f.bottom, f.right);

  // Markers, merged when closer than 12 px; labels run down the line.
  if (!spec.markers.empty()) {
    std::vector<ChartMarker> ms = spec.markers;
    std::stable_sort(ms.begin(), ms.end(), [](const ChartMarker& a, const ChartMarker& b) { return a.x < b.x; });
    const size_t maxChars = static_cast<size_t>(std::max(4.0, (f.bottom - f.top - 12) / 6.2));
    for (size_t i = 0; i < ms.size();) {
      const double x = f.px(ms[i].x);
      std::string label = ms[i].label;
      size_t j = i + 1;
      for (; j < ms.size() && f.px(ms[j].x) - x < 12; ++j) label += ", " + ms[j].label;
      o << "<g class=\"marker\"><title>" << htmlEscape(label) << " (" << htmlEscape(formatTime(ms[i].x))
        << ")</title>"
        << fmt("<path d=\"M%.1f %.1fV%.1f\" stroke=\"%s\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>", x, f.top,
               f.bottom, htmlEscape(ms[i].color.empty() ? std::string("#888") : ms[i].color).c_str())
        << fmt("<text transform=\"translate(%.1f,%.1f) rotate(90)\" font-size=\"10\" fill=\"#333\" stroke=\"#fff\" "
                 "stroke-width=\"3\" stroke-opacity=\"0.85\" paint-order=\"stroke\">", x + 3, f.top + 4)
        << htmlEscape(utf8Truncate(label, maxChars)) << "</text></g>\n";
      i = j;
    }
  }

  // Legend.
  for (const auto& p : placed) {
    const LegendItem& it = *p.item;
    const std::string c = htmlEscape(it.color);
    switch (it.kind) {
      case LegendItem::Kind::Line:
        o << fmt("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"", p.x, p.y + 8, p.x + 24, p.y + 8)
          << " stroke=\"" << c << "\" stroke-width=\"" << fmt("%.1f", std::max(1.5, it.width)) << "\""
          << dashAttr(it.dash) << "/>";
        break;
      case LegendItem::Kind::Area:
        o << fmt("<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"10\"", p.x, p.y + 3) << " fill=\"" << c
          << "\" fill-opacity=\"0.85\"/>";
        break;
      case LegendItem::Kind::Tick:
        o << fmt("<path d=\"M%.1f %.1fV%.1fM%.1f %.1fV%.1f\"", p.x + 8, p.y + 2, p.y + 14, p.x + 16, p.y + 2, p.y + 14)
          << " stroke=\"" << c << "\" stroke-width=\"1\"/>";
        break;
      case LegendItem::Kind::Marker:
        o << fmt("<path d=\"M%.1f %.1fV%.1f\"", p.x + 12, p.y, p.y + 16) << " stroke=\"" << c
          << "\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>";
        break;
    }
    o << fmt("<text x=\"%.1f\" y=\"%.1f\" fill=\"#222\">", p.x + 30, p.y + 12) << htmlEscape(it.label) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

// ---------------------------------------------------------------------------------------------
// The RES breakdown

struct Part {
  const char* key;
  const char* label;
  const char* color;
  const char* meaning;  // one plain sentence for the legend
  const char* phrase;   // "... contributors are <phrase> (x, y %)"
  const char* hint;     // what would change it
  Bytes MemSnapshot::*field;
};

const Part kParts[] = {
    {"reachable", "reachable", "#2e7d32",
     "Objects the program still references right now (a heap profile shows objects alive at the last GC instead).",
     "objects the program still references", nullptr, &MemSnapshot::reachable},
    {"unswept_garbage", "unswept_garbage", "#a1887f",
     "Dead objects the GC has found but the sweeper has not freed yet; HeapAlloc still counts them.",
     "dead objects not yet swept",
     "Unswept garbage is freed as the sweeper reaches it; it is gone soon after each GC cycle.",
     &MemSnapshot::unsweptGarbage},
    {"span_free", "span_free", "#ffb300",
     "Free space inside spans that still hold live objects: fragmentation and size-class rounding.",
     "free space inside partly used spans (fragmentation)",
     "A span goes back to the heap only when every object in it is dead, so a few survivors per span pin the "
     "whole span.",
     &MemSnapshot::spanFree},
    {"retained_free", "retained_free", "#e53935",
     "Free pages the runtime keeps for reuse and has not returned to the OS (HeapIdle - HeapReleased, resident part).",
     "free pages the runtime retains after GC",
     "These pages leave RES only when the scavenger returns them to the OS or the program calls "
     "debug.FreeOSMemory(); a GOMEMLIMIT makes the scavenger return them sooner.",
     &MemSnapshot::retainedFree},
    {"lazy_free", "lazy_free", "#f48fb1",
     "Pages already released with MADV_FREE that the kernel has not reclaimed yet; they leave RES only under "
     "memory pressure.",
     "pages released with MADV_FREE but not yet reclaimed by the kernel",
     "The runtime has already returned them (HeapReleased counts them), but with MADV_FREE the kernel takes them "
     "back only under memory pressure; GODEBUG=madvdontneed=1 drops them from RES at once.",
     &MemSnapshot::lazyFree},
    {"stack_inuse", "stack_inuse", "#5e35b1", "Goroutine stacks (StackInuse); a heap profile never includes them.",
     "goroutine stacks", "Stacks grow with the number of goroutines and are not in any heap profile.",
     &MemSnapshot::stackInuse},
    {"runtime_overhead", "runtime_overhead", "#546e7a",
     "Runtime metadata: the heap bitmap, span structures and other bookkeeping that grows with the heap.",
     "runtime metadata",
     "Runtime metadata grows with the heap's address space and is never freed or shown by pprof.",
     &MemSnapshot::runtimeOverhead},
    {"baseline", "baseline", "#bdbdbd",
     "The binary's code and data and the runtime's fixed memory, resident in every Go process.",
     "the binary and the runtime's fixed memory", "Every Go process pays this baseline.", &MemSnapshot::baseline},
};

// ---------------------------------------------------------------------------------------------
// Steps as they appear in the trace

struct StepSpan {
  std::string label;
  double from = 0, to = 0;  // from = end of the previous step (its last sample)
  size_t first = 0, last = 0;
};

std::vector<StepSpan> stepSpans(const SimResult& r) {
  std::vector<StepSpan> out;
  for (size_t i = 0; i < r.rows.size(); ++i) {
    // A new span at every step: by index, so two consecutive steps of one kind (two `run`s) are
    // two rows and two marks; by label too, for rows that carry no index.
    const bool newStep = i == 0 || r.rows[i].stepIndex != r.rows[i - 1].stepIndex || out.back().label != r.rows[i].step;
    if (newStep) {
      StepSpan s;
      s.label = r.rows[i].step;
      s.from = out.empty() ? r.rows[i].mem.timeS : r.rows[out.back().last].mem.timeS;
      s.first = i;
      out.push_back(s);
    }
    out.back().last = i;
    out.back().to = r.rows[i].mem.timeS;
  }
  return out;
}

std::vector<ChartMarker> stepMarkers(const SimResult& r) {
  std::vector<ChartMarker> out;
  const std::vector<StepSpan> spans = stepSpans(r);
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i == 0 && spans[i].label == "start") continue;
    out.push_back({spans[i].from, spans[i].label, spans[i].label == "oom_kill" ? "#c62828" : ""});
  }
  return out;
}

std::vector<double> gcTicks(const SimResult& r) {
  std::vector<double> out;
  int64_t last = 0;
  for (const auto& row : r.rows) {
    if (row.mem.numGc > last) out.push_back(row.mem.timeS);
    last = std::max(last, row.mem.numGc);
  }
  return out;
}

std::vector<double> times(const SimResult& r) {
  std::vector<double> x;
  x.reserve(r.rows.size());
  for (const auto& row : r.rows) x.push_back(row.mem.timeS);
  return x;
}

ChartSeries bytesSeries(const SimResult& r, const std::string& name, Bytes MemSnapshot::*field,
                        const std::string& color, LineDash dash = LineDash::Solid, double width = 1.5) {
  ChartSeries s;
  s.name = name;
  s.x = times(r);
  s.y.reserve(r.rows.size());
  for (const auto& row : r.rows) s.y.push_back(d(row.mem.*field));
  s.color = color;
  s.dash = dash;
  s.width = width;
  return s;
}

ChartSeries gcCpuSeries(const SimResult& r, const std::string& name, const std::string& color) {
  ChartSeries s;
  s.name = name;
  s.x = times(r);
  for (const auto& row : r.rows) s.y.push_back(row.mem.gcCpuFraction);
  s.color = color;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Page pieces

const char* kCss = R"(body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1040px;margin:0 auto;padding:16px 24px 48px;line-height:1.45}
h1{font-size:1.5em;margin:.4em 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1.05em;margin:1.2em 0 .3em}p.about{color:#444;margin:.2em 0 .8em}p.partial{background:#fde8e8;border-left:4px solid #c62828;padding:.4em .7em;font-weight:bold}p.note{color:#555;font-size:.92em}
table{border-collapse:collapse;margin:.4em 0 .8em}th,td{padding:3px 10px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
th{background:#f6f6f6;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600;border-top:2px solid #bbb}tr.ref td{color:#555}
table.knobs td:first-child{color:#555}
svg.chart{width:100%;height:auto;max-width:1000px;display:block;margin:.4em 0}
.scroll{overflow-x:auto;max-width:100%;margin:.4em 0 .8em}.scroll table{margin:0}
.scroll td:first-child,.scroll th:first-child{position:sticky;left:0;background:#fff}.scroll th:first-child{background:#f6f6f6}
div.oom{background:#fde8e8;border-left:4px solid #c62828;padding:.4em .7em;margin:.8em 0}div.oom ul{margin:.2em 0}
.scroll tr.oom td{background:#fde8e8;color:#8e0000}
body.compare{max-width:1360px}#compare-summary td{white-space:nowrap}#compare-summary th{white-space:normal}
#compare-summary td:first-child{white-space:normal;min-width:12em}span.nw{white-space:nowrap}span.sub{display:block;font-size:.78em;color:#777;font-weight:normal}
table.by-config td:first-child{white-space:nowrap}table.by-config th.part{text-align:right;font-size:.85em}
table.by-config th.ref,table.by-config tr td:nth-last-child(-n+2){color:#666}span.pct{display:block;font-size:.78em;color:#777}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:4px 12px}.multiples svg.chart{margin:0}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
ul.legend{list-style:none;padding:0;margin:.3em 0}ul.legend li{margin:.15em 0}ul.legend code{font-weight:600}
p.why{margin:.35em 0}details{margin:.5em 0}summary{cursor:pointer;color:#1565c0}
pre{background:#f7f7f7;border:1px solid #e4e4e4;padding:8px;overflow-x:auto;font-size:12px;line-height:1.35}
footer{margin-top:3em;color:#888;font-size:.85em})";

void pageStart(std::ostringstream& o, const std::string& title, const std::string& bodyClass = "") {
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
    << htmlEscape(title) << "</title>\n<style>\n" << kCss << "\n</style>\n</head>\n<body"
    << (bodyClass.empty() ? "" : " class=\"" + bodyClass + "\"") << ">\n";
}

void pageEnd(std::ostringstream& o) {
  o << "<footer>Generated by gomemsim, a discrete-event simulator of the Go runtime's memory manager. "
       "Self-contained: no scripts, fonts or network access.</footer>\n</body>\n</html>\n";
}

void row(std::ostringstream& o, const std::string& name, const std::string& value) {
  o << "<tr><td>" << htmlEscape(name) << "</td><td>" << htmlEscape(value) << "</td></tr>\n";
}

std::string memLimitText(const Scenario& s) {
  return s.runtime.memory_limit ? goBytes(*s.runtime.memory_limit) : std::string("off");
}

void header(std::ostringstream& o, const Scenario& s, const SimResult& r) {
  o << "<header>\n<h1>gomemsim report: " << htmlEscape(s.name) << "</h1>\n";
  if (!s.about.empty()) o << "<p class=\"about\">" << htmlEscape(s.about) << "</p>\n";
  if (r.interruptedBy) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "Partial run: stopped by %s at %.1f s of the %.1f s planned. Every figure below covers only that part.",
                  signalName(r.interruptedBy).c_str(), r.rows.empty() ? 0.0 : r.rows.back().mem.timeS, r.plannedSeconds);
    o << "<p class=\"partial\" id=\"partial\">" << htmlEscape(buf) << "</p>\n";
  }
  o << "<table class=\"knobs\" id=\"knobs\">\n";
  row(o, "Go version", r.goVersion.empty() ? goVersionText(s.runtime)
                                           : r.goVersion + (r.goVersionGiven ? "" : " (the newest release modelled: the scenario gives no go:)"));
  row(o, "GOGC", gogcText(s.runtime.gogc));
  row(o, "GOMEMLIMIT", memLimitText(s));
  row(o, "GOMAXPROCS", std::to_string(gomaxprocsOf(s)));
  row(o, "scavenger policy", r.scavenger.empty() ? s.runtime.scavenger : r.scavenger);
  row(o, "madvise mode", r.madvise.empty() ? s.runtime.madvise : r.madvise);
  row(o, "transparent huge pages", s.machine.thp);
  if (s.machine.cgroup_limit) row(o, "cgroup memory.max", goBytes(*s.machine.cgroup_limit));
  if (!r.pacer.empty()) row(o, "pacer", r.pacer);
  if (!s.runtime.godebug.empty()) row(o, "GODEBUG", s.runtime.godebug);
  row(o, "seed", std::to_string(s.seed));
  row(o, "sample interval", formatInterval(toSeconds(s.sample_every)));
  o << "</table>\n</header>\n";
}

// The breakdown sentence for one instant ("At the peak (t = ...)").
std::string whySentences(const std::string& when, const MemSnapshot& m, const std::string& scavenger) {
  std::string out;
  const double rss = d(m.rss), pprof = d(m.pprofInuse);
  if (m.rss.v <= 0) return "<p class=\"why\">" + htmlEscape(when) + ", nothing is resident.</p>\n";
  std::string s1 = when + ", RES is " + formatBytes(rss) + "; pprof counts only the " + formatBytes(pprof) +
                   " of objects alive at the last completed GC";
  if (m.pprofInuse.v <= 0)
    s1 = when + ", RES is " + formatBytes(rss) +
         " while a heap profile shows no objects alive at the last completed GC: all of RES is memory pprof "
         "does not show.";
  else if (pprof < rss)
    s1 += ", so " + formatBytes(rss - pprof) + " (" + formatPercent((rss - pprof) / rss) +
          " of RES) is memory a heap profile does not show.";
  else
    s1 += ", about all of RES.";
  out += "<p class=\"why\">" + htmlEscape(s1) + "</p>\n";

  // The two biggest parts.
  std::vector<const Part*> parts;
  for (const Part& p : kParts) parts.push_back(&p);
  std::stable_sort(parts.begin(), parts.end(),
                   [&](const Part* a, const Part* b) { return (m.*(a->field)).v > (m.*(b->field)).v; });
  auto describe = [&](const Part* p) {
    const double v = d(m.*(p->field));
    return std::string(p->phrase) + " (" + formatBytes(v) + ", " + formatPercent(v / rss) + ")";
  };
  std::string s2 = "The biggest part of RES is " + describe(parts[0]);
  if ((m.*(parts[1]->field)).v > 0) s2 += ", followed by " + describe(parts[1]);
  s2 += ".";
  out += "<p class=\"why\">" + htmlEscape(s2) + "</p>\n";

  // What would change the biggest part pprof does not show.
  for (const Part* p : parts) {
    if (p->hint == nullptr) continue;
    if (d(m.*(p->field)) >= 0.05 * rss) {
      std::string hint = p->hint;
      if (std::string(p->key) == "retained_free" && !scavenger.empty())
        hint += " The scavenger policy here is " + scavenger + ".";
      out += "<p class=\"why\">" + htmlEscape(hint) + "</p>\n";
    }
    break;
  }
  return out;
}

void breakdownTable(std::ostringstream& o, const std::string& id, const std::vector<std::string>& heads,
                    const std::vector<MemSnapshot>& snaps) {
  o << "<table id=\"" << htmlEscape(id) << "\">\n<tr><th>part of RES</th>";
  for (const auto& h : heads) o << "<th class=\"num\">" << htmlEscape(h) << " (MiB)</th><th class=\"num\">% of RES</th>";
  o << "</tr>\n";
  for (const Part& p : kParts) {
    o << "<tr data-key=\"" << p.key << "\"><td><span class=\"sw\" style=\"background:" << p.color << "\"></span><code>"
      << p.label << "</code></td>";
    for (const auto& m : snaps)
      o << "<td class=\"num\">" << formatMiB(m.*(p.field)) << "</td><td class=\"num\">" << share(m.*(p.field), m.rss)
        << "</td>";
    o << "</tr>\n";
  }
  o << "<tr class=\"total\" data-key=\"rss\"><td>RES (rss, the sum)</td>";
  for (const auto& m : snaps) o << "<td class=\"num\">" << formatMiB(m.rss) << "</td><td class=\"num\">" << share(m.rss, m.rss) << "</td>";
  o << "</tr>\n";
  // For comparison; HeapReleased is memory returned to the OS, so no share of RES.
  struct Ref { const char* key; const char* label; Bytes MemSnapshot::*field; bool share; };
  const Ref refs[] = {{"pprof_inuse", "pprof heap (inuse_space)", &MemSnapshot::pprofInuse, true},
                      {"heap_alloc", "HeapAlloc", &MemSnapshot::heapAlloc, true},
                      {"heap_inuse", "HeapInuse", &MemSnapshot::heapInuse, true},
                      {"heap_released", "HeapReleased (returned to the OS)", &MemSnapshot::heapReleased, false}};
  for (const Ref& ref : refs) {
    o << "<tr class=\"ref\" data-key=\"" << ref.key << "\"><td>for comparison: " << ref.label << "</td>";
    for (const auto& m : snaps)
      o << "<td class=\"num\">" << formatMiB(m.*(ref.field)) << "</td><td class=\"num\">"
        << (ref.share ? share(m.*(ref.field), m.rss) : std::string("-")) << "</td>";
    o << "</tr>\n";
  }
  o << "</table>\n";
}

void partsLegend(std::ostringstream& o) {
  o << "<ul class=\"legend\">\n";
  for (const Part& p : kParts)
    o << "<li><span class=\"sw\" style=\"background:" << p.color << "\"></span><code>" << p.label << "</code>: "
      << htmlEscape(p.meaning) << "</li>\n";
  o << "</ul>\n";
}

std::string peakWhen(const Summary& sum) {
  return "At the peak (t = " + formatTime(sum.peak.timeS) + ", step " + sum.peakStep + ")";
}

// ---------------------------------------------------------------------------------------------
// The compare page

// Okabe & Ito's colour-blind-safe palette (blue, orange, bluish green, vermillion, reddish
// purple, black): kMaxOverlaidConfigs colours that stay apart on white.
const char* const kConfigPalette[kMaxOverlaidConfigs] = {"#0072b2", "#e69f00", "#009e73",
                                                         "#d55e00", "#cc79a7", "#000000"};

std::string configColor(size_t i) { return kConfigPalette[i % kMaxOverlaidConfigs]; }

std::string oomKillText(const Summary& m) {
  return "at " + formatTime(m.end.timeS) + " by the " +
         (m.end.oomCgroup ? "memory cgroup's OOM killer (memory.max " : "kernel's OOM killer (RAM ") +
         formatBytes(d(m.end.oomLimit)) + ")";
}

void oomBanner(std::ostringstream& o, const std::vector<std::pair<std::string, SimResult>>& runs,
               const std::vector<Summary>& sums) {
  std::vector<size_t> killed;
  for (size_t i = 0; i < runs.size(); ++i)
    if (sums[i].oomKilled) killed.push_back(i);
  if (killed.empty()) return;
  o << "<div class=\"oom\" id=\"oom\"><b>OOM-killed:</b> " << killed.size() << " of " << runs.size()
    << " configurations did not survive; their figures end at the kill.<ul>\n";
  for (const size_t i : killed)
    o << "<li><code>" << htmlEscape(runs[i].first) << "</code> " << htmlEscape(oomKillText(sums[i]))
      << ", RES " << htmlEscape(formatBytes(d(sums[i].end.rss))) << "</li>\n";
  o << "</ul></div>\n";
}

// "gogc=50,<wbr>scavenger=none": a label that may wrap after its commas when the table is tight.
std::string wrapAfterCommas(const std::string& escaped) {
  std::string out;
  for (const char c : escaped) out += c == ',' ? std::string(",<wbr>") : std::string(1, c);
  return out;
}

// One row per configuration; an OOM-killed one is marked (class oom) and says when.
void compareSummaryTable(std::ostringstream& o, const std::vector<std::pair<std::string, SimResult>>& runs,
                         const std::vector<Summary>& sums, const std::vector<std::string>& settle, bool swatches) {
  const bool withSettle = settle.size() == runs.size();
  o << "<section id=\"summary\">\n<h2>Summary</h2>\n";
  if (withSettle)
    o << "<p class=\"note\"><b>settle</b>: time from the last drop (or, without one, the last free_os_memory) "
         "until RES stays within 10 % of its final value; <b>never</b>: RES at the end is not at least 10 % below "
         "RES before that step, or not within 10 % before the last sample; <b>killed</b>: OOM-killed; -: no such "
         "step.</p>\n";
  o << "<div class=\"scroll\"><table id=\"compare-summary\">\n<tr><th>configuration<span class=\"sub\">Go / "
       "scavenger / madvise</span></th><th class=\"num\">peak RES</th><th class=\"num\">peak RES at</th><th class=\"num\">RES at "
       "end</th><th class=\"num\">OOM kill</th>"
    << (withSettle ? "<th class=\"num\">settle</th>" : "")
    << "<th class=\"num\">peak pprof heap</th><th class=\"num\">pprof heap at end</th><th "
       "class=\"num\">HeapReleased at end</th><th class=\"num\">GC cycles</th><th class=\"num\">GC CPU "
       "at end</th><th class=\"num\">simulated time</th></tr>\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const SimResult& r = runs[i].second;
    const Summary& m = sums[i];
    auto num = [&](const std::string& text) { o << "<td class=\"num\">" << htmlEscape(text) << "</td>"; };
    o << "<tr data-config=\"" << htmlEscape(runs[i].first) << "\"" << (m.oomKilled ? " class=\"oom\"" : "") << "><td>";
    // The swatch stays on the line of the label's first part.
    const std::string label = wrapAfterCommas(htmlEscape(runs[i].first));
    const size_t firstBreak = std::min(label.find("<wbr>"), label.size());
    o << "<span class=\"nw\">";
    if (swatches) o << "<span class=\"sw\" style=\"background:" << configColor(i) << "\"></span>";
    o << label.substr(0, firstBreak) << "</span>" << label.substr(firstBreak) << "<span class=\"sub\">"
      << htmlEscape(r.goVersion + " / " + r.scavenger + " / " + r.madvise) << "</span></td>";
    num(formatBytes(d(m.peak.rss)));
    o << "<td class=\"num\">" << htmlEscape(formatTime(m.peak.timeS)) << "<span class=\"sub\">"
      << htmlEscape(m.peakStep) << "</span></td>";
    num(formatBytes(d(m.end.rss)));
    o << "<td class=\"num\" title=\"" << htmlEscape(m.oomKilled ? oomKillText(m) : "not killed") << "\">"
      << (m.oomKilled ? "<b>" + htmlEscape(formatTime(m.end.timeS)) + "</b>" : std::string("-")) << "</td>";
    if (withSettle) num(settle[i]);
    num(formatBytes(d(m.peakPprof)));
    num(formatBytes(d(m.end.pprofInuse)));
    num(formatBytes(d(m.end.heapReleased)));
    o << "<td class=\"num\">" << m.end.numGc << "<span class=\"sub\">" << m.end.numPeriodicGc << " periodic<br>"
      << m.end.numForcedGc << " runtime.GC()</span></td>";
    num(formatPercent(m.end.gcCpuFraction));
    num(formatTime(m.simulatedSeconds));
    o << "</tr>\n";
  }
  o << "</table></div>\n</section>\n";
}

// The step boundaries of every configuration, one marker per distinct (time, step); one that
// not every configuration has names those that do; an OOM kill is red.
std::vector<ChartMarker> everyConfigsMarkers(const std::vector<std::pair<std::string, SimResult>>& runs) {
  struct Seen {
    ChartMarker m;
    std::vector<std::string> configs;
  };
  std::vector<Seen> seen;
  for (const auto& [label, r] : runs)
    for (const ChartMarker& m : stepMarkers(r)) {
      auto it = std::find_if(seen.begin(), seen.end(),
                             [&](const Seen& x) { return x.m.x == m.x && x.m.label == m.label; });
      if (it == seen.end()) it = seen.insert(seen.end(), Seen{m, {}});
      it->configs.push_back(label);
    }
  std::vector<ChartMarker> out;
  for (Seen& x : seen) {
    if (x.configs.size() < runs.size()) {
      std::string who;
      for (const auto& c : x.configs) who += (who.empty() ? "" : "; ") + c;
      x.m.label += " (" + who + ")";
    }
    out.push_back(x.m);
  }
  return out;
}

// "runtime_<wbr>overhead": a column header that may wrap after its underscores, nowhere else.
std::string wrapAtUnderscores(const std::string& name) {
  std::string out;
  for (const char c : name) out += c == '_' ? std::string("_<wbr>") : std::string(1, c);
  return out;
}

// The RES breakdown of many configurations: one row per configuration (so the table grows down,
// not across), a column per part of RES, then RES and, for comparison, the pprof heap and
// HeapReleased; each cell in MiB with its share of RES under it.
void breakdownByConfig(std::ostringstream& o, const std::string& id, const std::vector<std::string>& labels,
                       const std::vector<MemSnapshot>& snaps, const std::vector<bool>& killed) {
  o << "<div class=\"scroll\"><table id=\"" << htmlEscape(id) << "\" class=\"by-config\">\n<tr><th>configuration</th>";
  for (const Part& p : kParts)
    o << "<th class=\"part\" data-key=\"" << p.key << "\"><span class=\"sw\" style=\"background:" << p.color
      << "\"></span>" << wrapAtUnderscores(p.label) << "</th>";
  o << "<th class=\"part\" data-key=\"rss\">RES (MiB)</th><th class=\"part ref\" data-key=\"pprof_inuse\">pprof heap</th>"
       "<th class=\"part ref\" data-key=\"heap_released\">HeapReleased</th></tr>\n";
  for (size_t i = 0; i < snaps.size(); ++i) {
    const MemSnapshot& m = snaps[i];
    auto cell = [&](Bytes b, bool withShare) {
      o << "<td class=\"num\">" << formatMiB(b);
      if (withShare) o << "<span class=\"pct\">" << share(b, m.rss) << "</span>";
      o << "</td>";
    };
    o << "<tr data-config=\"" << htmlEscape(labels[i]) << "\"" << (killed[i] ? " class=\"oom\"" : "") << "><td>"
      << htmlEscape(labels[i]) << "</td>";
    for (const Part& p : kParts) cell(m.*(p.field), true);
    cell(m.rss, false);
    cell(m.pprofInuse, true);
    cell(m.heapReleased, false);
    o << "</tr>\n";
  }
  o << "</table></div>\n";
}

// A small chart of one configuration on the axes every configuration's chart shares.
ChartSpec smallMultiple(const std::string& label, const SimResult& r, const Summary& m, double xTo, double yTop) {
  ChartSpec c;
  c.title = label + (m.oomKilled ? " (OOM-killed)" : "");
  c.width = 480;
  c.height = 220;
  c.maxPoints = 600;
  c.xFrom = 0;
  c.xTo = xTo;
  c.yTop = yTop;
  c.markers = stepMarkers(r);
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::vector<size_t> downsampleMinMax(const std::vector<double>& key, size_t maxPoints) {
  const size_t n = key.size();
  std::vector<size_t> out;
  if (maxPoints == 0 || n <= std::max<size_t>(maxPoints, 4)) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) out[i] = i;
    return out;
  }
  const size_t buckets = std::max<size_t>(1, (maxPoints - 2) / 2);
  out.push_back(0);
  // Buckets cover [1, n-1) evenly (integer arithmetic, so the split is the same everywhere).
  const size_t inner = n - 2;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t lo = 1 + b * inner / buckets, hi = 1 + (b + 1) * inner / buckets;
    if (lo >= hi) continue;
    size_t mn = lo, mx = lo;
    for (size_t i = lo; i < hi; ++i) {
      if (finite(key[i]) < finite(key[mn])) mn = i;
      if (finite(key[i]) > finite(key[mx])) mx = i;
    }
    out.push_back(std::min(mn, mx));
    if (mn != mx) out.push_back(std::max(mn, mx));
  }
  out.push_back(n - 1);
  return out;
}

std::string htmlEscape(const std::string& text) {
  std::string o;
  o.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default:
        // Control characters other than tab and newline cannot appear in HTML text.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') o += ' ';
        else o += c;
    }
  }
  return o;
}

std::string formatBytes(double b) {
  b = finite(b);
  const double a = std::fabs(b);
  if (a >= kTiB) return fmt("%.2f TiB", b / kTiB);
  if (a >= kGiB) return fmt("%.2f GiB", b / kGiB);
  if (a >= kMiB) return fmt("%.1f MiB", b / kMiB);
  if (a >= kKiB) return fmt("%.1f KiB", b / kKiB);
  return fmt("%.0f B", b);
}

std::string svgLineChart(const ChartSpec& spec) { return renderChart(spec, false); }
std::string svgStackedAreaChart(const ChartSpec& spec) { return renderChart(spec, true); }

std::string reportHtml(const Scenario& s, const SimResult& r) {
  const Summary sum = summarize(r);
  const std::vector<ChartMarker> markers = stepMarkers(r);
  const std::vector<double> ticks = gcTicks(r);
  std::ostringstream o;
  pageStart(o, "gomemsim: " + s.name);
  header(o, s, r);

  // Summary.
  Bytes peakPprof{0};
  double peakPprofT = 0;
  for (const auto& rw : r.rows)
    if (rw.mem.pprofInuse > peakPprof) { peakPprof = rw.mem.pprofInuse; peakPprofT = rw.mem.timeS; }
  o << "<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"knobs\">\n";
  row(o, "peak RES", formatBytes(d(sum.peak.rss)) + " at " + formatTime(sum.peak.timeS) + " (step " + sum.peakStep + ")");
  row(o, "RES at end", formatBytes(d(sum.end.rss)) + " at " + formatTime(sum.end.timeS));
  row(o, "peak pprof heap", formatBytes(d(peakPprof)) + " at " + formatTime(peakPprofT));
  row(o, "pprof heap at end", formatBytes(d(sum.end.pprofInuse)));
  row(o, "GC cycles", gcCountWords(sum.end));
  row(o, "GC CPU fraction at end", formatPercent(sum.end.gcCpuFraction));
  row(o, "released to the OS (background / eager / forced)",
      formatBytes(d(sum.end.releasedBackground)) + " / " + formatBytes(d(sum.end.releasedEager)) + " / " +
          formatBytes(d(sum.end.releasedForced)));
  row(o, "simulated time", formatTime(sum.simulatedSeconds) + " (" + std::to_string(r.rows.size()) + " samples)");
  if (sum.end.oomKilled)
    row(o, "OOM-killed", "at " + formatTime(sum.end.timeS) + " by the " +
                             (sum.end.oomCgroup ? "memory cgroup's OOM killer (memory.max " : "kernel's OOM killer (RAM ") +
                             formatBytes(d(sum.end.oomLimit)) + ")");
  if (sum.end.lazyFreeReclaimed.v > 0)
    row(o, "LazyFree reclaimed by the kernel", formatBytes(d(sum.end.lazyFreeReclaimed)));
  if (const std::string on = limiterOnWords(sum.end); !on.empty()) {
    const std::string idle = limiterIdleWords(sum.end);
    row(o, "GC CPU limiter", on + (idle.empty() ? "" : "; " + idle));
  }
  o << "</table>\n</section>\n";

  // Chart 1.
  ChartSpec c1;
  c1.title = "RES and the Go runtime's view of the heap";
  c1.series = {bytesSeries(r, "rss", &MemSnapshot::rss, "#c62828", LineDash::Solid, 2.5),
               bytesSeries(r, "heap_inuse", &MemSnapshot::heapInuse, "#ef6c00"),
               bytesSeries(r, "heap_alloc", &MemSnapshot::heapAlloc, "#f9a825"),
               bytesSeries(r, "heap_goal", &MemSnapshot::heapGoal, "#757575", LineDash::Dashed),
               bytesSeries(r, "pprof_inuse", &MemSnapshot::pprofInuse, "#1565c0", LineDash::Solid, 2.5),
               bytesSeries(r, "reachable", &MemSnapshot::reachable, "#2e7d32"),
               bytesSeries(r, "heap_released", &MemSnapshot::heapReleased, "#6a1b9a", LineDash::Dotted, 2.0)};
  c1.markers = markers;
  c1.ticks = ticks;
  c1.ticksLabel = "GC cycle ends";
  o << "<section id=\"over-time\">\n<h2>Memory over time</h2>\n"
       "<p class=\"note\"><b>rss</b> is what <code>top</code> shows as RES; <b>pprof_inuse</b> is what a heap "
       "profile taken at that instant totals (objects alive at the last completed GC). <b>heap_alloc</b>, "
       "<b>heap_inuse</b>, <b>heap_goal</b> and <b>heap_released</b> are runtime.MemStats; <b>reachable</b> is "
       "what the program really still references. Dashed vertical lines are scenario steps; the small orange "
       "ticks at the bottom mark the end of GC cycles.</p>\n"
    << svgLineChart(c1) << "</section>\n";

  // Chart 2.
  ChartSpec c2;
  c2.title = "What RES is made of";
  for (const Part& p : kParts) c2.series.push_back(bytesSeries(r, p.label, p.field, p.color));
  c2.overlay = {bytesSeries(r, "pprof_inuse", &MemSnapshot::pprofInuse, "#0d47a1", LineDash::Dashed, 2.0)};
  c2.markers = markers;
  c2.ticks = ticks;
  c2.ticksLabel = "GC cycle ends";
  o << "<section id=\"breakdown-chart\">\n<h2>What RES is made of</h2>\n"
       "<p class=\"note\">The coloured layers add up to RES exactly; the dashed line is the pprof heap for "
       "comparison.</p>\n"
    << svgStackedAreaChart(c2);
  partsLegend(o);
  o << "</section>\n";

  // Why.
  o << "<section id=\"why\">\n<h2>Why RES and pprof differ</h2>\n";
  breakdownTable(o, "breakdown", {"at peak", "at end"}, {sum.peak, sum.end});
  o << "<h3>At the peak</h3>\n" << whySentences(peakWhen(sum), sum.peak, r.scavenger);
  o << "<h3>At the end</h3>\n"
    << whySentences("At the end (t = " + formatTime(sum.end.timeS) + ")", sum.end, r.scavenger) << "</section>\n";

  // Chart 3.
  ChartSpec c3;
  c3.title = "GC CPU fraction (runtime.MemStats.GCCPUFraction)";
  c3.yKind = AxisKind::Fraction;
  c3.height = 240;
  c3.series = {gcCpuSeries(r, "gc_cpu_fraction", "#00838f")};
  c3.markers = markers;
  c3.ticks = ticks;
  c3.ticksLabel = "GC cycle ends";
  o << "<section id=\"gc-cpu\">\n<h2>GC CPU</h2>\n"
       "<p class=\"note\">The share of the program's available CPU time spent in the GC since it started; a lower "
       "GOGC trades more of it for a smaller heap.</p>\n"
    << svgLineChart(c3) << "</section>\n";

  // Steps.
  o << "<section id=\"steps\">\n<h2>Steps</h2>\n<table>\n<tr><th>step</th><th class=\"num\">from</th><th "
       "class=\"num\">to</th><th class=\"num\">RES at its end</th><th class=\"num\">pprof heap at its end</th><th "
       "class=\"num\">GC cycles</th></tr>\n";
  int64_t gcBefore = 0;
  for (const StepSpan& sp : stepSpans(r)) {
    const MemSnapshot& m = r.rows[sp.last].mem;
    o << "<tr><td><code>" << htmlEscape(sp.label) << "</code></td><td class=\"num\">" << formatTime(sp.from)
      << "</td><td class=\"num\">" << formatTime(sp.to) << "</td><td class=\"num\">" << formatBytes(d(m.rss))
      << "</td><td class=\"num\">" << formatBytes(d(m.pprofInuse)) << "</td><td class=\"num\">"
      << (m.numGc - gcBefore) << "</td></tr>\n";
    gcBefore = m.numGc;
  }
  o << "</table>\n</section>\n";

  // gctrace.
  o << "<section id=\"gctrace\">\n<h2>gctrace</h2>\n<details>\n<summary>GODEBUG=gctrace=1,scavtrace=1 output ("
    << r.gctrace.size() << " lines, also in gctrace.log)</summary>\n<pre>";
  for (const auto& l : r.gctrace) o << htmlEscape(l) << '\n';
  o << "</pre>\n</details>\n</section>\n";
  pageEnd(o);
  return o.str();
}

double runawayCap(std::vector<double> peaks) {
  std::sort(peaks.begin(), peaks.end(), std::greater<>());
  for (size_t k = 1; k <= peaks.size() / 2; ++k)
    if (peaks[k] > 0 && peaks[k - 1] > 2 * peaks[k]) return 1.1 * peaks[k];
  return 0;
}

std::string compareReportHtml(const std::vector<std::pair<std::string, SimResult>>& runs, const Scenario& s,
                              const std::vector<std::string>& settle) {
  std::ostringstream o;
  pageStart(o, "gomemsim compare: " + s.name, "compare");
  o << "<header>\n<h1>gomemsim compare: " << htmlEscape(s.name) << "</h1>\n";
  if (!s.about.empty()) o << "<p class=\"about\">" << htmlEscape(s.about) << "</p>\n";
  o << "<div class=\"scroll\"><table class=\"knobs\" id=\"knobs\">\n";
  row(o, "scenario defaults", "Go " + goVersionText(s.runtime) + ", GOGC=" + gogcText(s.runtime.gogc) +
                                  ", GOMEMLIMIT=" + memLimitText(s) + ", GOMAXPROCS=" +
                                  std::to_string(gomaxprocsOf(s)) + ", seed " + std::to_string(s.seed));
  row(o, "configurations", std::to_string(runs.size()));
  o << "</table></div>\n</header>\n";

  std::vector<Summary> sums;
  for (const auto& [label, r] : runs) sums.push_back(summarize(r));
  const bool overlaid = runs.size() <= kMaxOverlaidConfigs;
  oomBanner(o, runs, sums);
  compareSummaryTable(o, runs, sums, settle, overlaid);

  // The same axes for every chart of a metric: the whole time range, and a top that a runaway
  // configuration does not set.
  double xTo = 0;
  std::vector<double> memPeaks, cpuPeaks;
  for (size_t i = 0; i < runs.size(); ++i) {
    xTo = std::max(xTo, sums[i].simulatedSeconds);
    double m = 0, c = 0;
    for (const auto& rw : runs[i].second.rows) {
      m = std::max({m, d(rw.mem.rss), d(rw.mem.pprofInuse), d(rw.mem.heapReleased)});
      c = std::max(c, finite(rw.mem.gcCpuFraction));
    }
    memPeaks.push_back(m);
    cpuPeaks.push_back(c);
  }
  const double memTop = runawayCap(memPeaks), cpuTop = runawayCap(cpuPeaks);
  const std::string capNote =
      memTop > 0 || cpuTop > 0
          ? " Where one configuration goes far above the others, the y axis stops at 1.1 times the highest of the "
            "others so that they stay readable; the chart names the configuration above its top, with its peak, "
            "and a triangle marks where it leaves."
          : "";
  if (overlaid) {
    const std::vector<ChartMarker> markers = everyConfigsMarkers(runs);
    ChartSpec c1;
    c1.title = "RES (solid) and pprof heap (dashed) per configuration";
    ChartSpec c2;
    c2.title = "HeapReleased per configuration";
    ChartSpec c3;
    c3.title = "GC CPU fraction per configuration";
    c3.yKind = AxisKind::Fraction;
    c3.height = 240;
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto& [label, r] = runs[i];
      c1.series.push_back(bytesSeries(r, label + " rss", &MemSnapshot::rss, configColor(i), LineDash::Solid, 2.0));
      if (sums[i].oomKilled) c1.series.back().endMark = label + " OOM-killed " + oomKillText(sums[i]);
      c1.series.push_back(
          bytesSeries(r, label + " pprof_inuse", &MemSnapshot::pprofInuse, configColor(i), LineDash::Dashed, 1.5));
      c2.series.push_back(bytesSeries(r, label + " heap_released", &MemSnapshot::heapReleased, configColor(i)));
      c3.series.push_back(gcCpuSeries(r, label + " gc_cpu_fraction", configColor(i)));
    }
    c1.markers = c2.markers = c3.markers = markers;
    c1.yTop = c2.yTop = memTop;
    c3.yTop = cpuTop;
    o << "<section id=\"over-time\">\n<h2>Memory over time</h2>\n<p class=\"note\">One colour per configuration. "
         "Dashed vertical lines are the step boundaries of every configuration (a boundary that not all share names "
         "its configurations; an OOM kill is red)."
      << htmlEscape(capNote) << "</p>\n"
      << svgLineChart(c1) << svgLineChart(c2) << "</section>\n<section id=\"gc-cpu\">\n<h2>GC CPU</h2>\n"
      << svgLineChart(c3) << "</section>\n";
  } else {
    o << "<section id=\"over-time\">\n<h2>Memory over time</h2>\n<p class=\"note\">" << runs.size()
      << " configurations are too many to tell apart in one chart: one small chart per configuration, all on the "
         "same axes. Dashed vertical lines are each configuration's own step boundaries; an OOM kill is red."
      << htmlEscape(capNote) << "</p>\n<div class=\"multiples\" id=\"memory-multiples\">\n";
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto& [label, r] = runs[i];
      ChartSpec c = smallMultiple(label, r, sums[i], xTo, memTop);
      c.series = {bytesSeries(r, "rss", &MemSnapshot::rss, "#c62828", LineDash::Solid, 2.0),
                  bytesSeries(r, "pprof_inuse", &MemSnapshot::pprofInuse, "#1565c0", LineDash::Dashed, 1.5),
                  bytesSeries(r, "heap_released", &MemSnapshot::heapReleased, "#6a1b9a", LineDash::Dotted, 1.5)};
      if (sums[i].oomKilled) c.series[0].endMark = "OOM-killed " + oomKillText(sums[i]);
      if (memTop <= 0) c.yTop = *std::max_element(memPeaks.begin(), memPeaks.end());
      o << svgLineChart(c);
    }
    o << "</div>\n</section>\n<section id=\"gc-cpu\">\n<h2>GC CPU</h2>\n<div class=\"multiples\" id=\"cpu-multiples\">\n";
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto& [label, r] = runs[i];
      ChartSpec c = smallMultiple(label, r, sums[i], xTo, cpuTop);
      c.yKind = AxisKind::Fraction;
      c.height = 180;
      c.series = {gcCpuSeries(r, "gc_cpu_fraction", "#00838f")};
      if (cpuTop <= 0) c.yTop = std::max(0.01, *std::max_element(cpuPeaks.begin(), cpuPeaks.end()));
      o << svgLineChart(c);
    }
    o << "</div>\n</section>\n";
  }

  // Breakdown at each configuration's peak and end.
  std::vector<std::string> labels;
  std::vector<MemSnapshot> peaks, ends;
  std::vector<bool> killed;
  for (size_t i = 0; i < runs.size(); ++i) {
    labels.push_back(runs[i].first);
    peaks.push_back(sums[i].peak);
    ends.push_back(sums[i].end);
    killed.push_back(sums[i].oomKilled);
  }
  o << "<section id=\"why\">\n<h2>What RES is made of</h2>\n<p class=\"note\">MiB, and under each part its share "
       "of RES; the parts add up to RES. HeapReleased is memory already returned to the OS, so it is no part of "
       "RES.</p>\n<h3>At each configuration's peak</h3>\n";
  breakdownByConfig(o, "breakdown-peak", labels, peaks, killed);
  o << "<h3>At the end (an OOM-killed configuration: at the kill)</h3>\n";
  breakdownByConfig(o, "breakdown-end", labels, ends, killed);
  partsLegend(o);
  o << "</section>\n";
  pageEnd(o);
  return o.str();
}

}  // namespace gomemsim
