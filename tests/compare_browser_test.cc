// compare's report.html as a person sees it: rendered by headless Chromium at 1400x900, a grid of
// eight configurations of which four are OOM-killed, one runs away (GOGC=off) and one never
// releases. A copy of the page gets a small script that measures the laid-out page (the page
// itself has no script) and writes what it found into the DOM; Chromium's --dump-dom gives that
// back. Checked: every configuration's name is in the summary table, visible inside the window;
// nothing is wider than the window except inside a horizontally scrolling container, and at this
// width the tables fit without scrolling; the OOM banner and the OOM-killed rows are there. Skips when chromium is not installed (Debian's
// `chromium`, installed by tools/setup.sh with GOMEMSIM_NOTEBOOK_DEPS=1, as tools/test.sh does).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_test_support.h"
#include "compare/compare.h"

namespace gomemsim {
namespace {

using cli_testing::readFile;
using cli_testing::sh;

const char* const kChromium = "/usr/bin/chromium";

const char* kOomScenario = R"(name: browser-oom
about: A 300 MB cache built in 3 s over request garbage inside a cgroup, dropped, collected, then idle.
runtime: {go: "1.19", gogc: 100, gomaxprocs: 2}
machine: {memory: 4GiB, cgroup_limit: 1GiB}
sample_every: 100ms
steps:
  - run:
      for: 3s
      alloc:
        - {rate: 100MB/s, size: 32KiB, set: cache}
        - {rate: 400MB/s, size: 4KiB, lifetime: {exponential: 50ms}}
  - drop: {set: cache}
  - gc
  - idle: 10s
)";

// Measures the laid-out page and appends the findings as `key=value` lines in <pre id="measure">.
const char* kMeasureScript = R"(<script>
(function () {
  const vw = window.innerWidth, out = [];
  out.push('innerWidth=' + vw);
  out.push('scrollWidth=' + document.documentElement.scrollWidth);
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right <= vw + 0.5 && r.left >= -0.5) continue;
    const sc = el.closest('.scroll');
    if (sc && sc !== el) continue;  // inside a scroll container: the container is what must fit
    out.push('overflow=' + el.tagName + (el.id ? '#' + el.id : '') + ' left=' + r.left + ' right=' + r.right);
  }
  for (const sc of document.querySelectorAll('.scroll')) {
    const r = sc.getBoundingClientRect();
    out.push('scroller=' + (sc.firstElementChild.id || '?') + ' right=' + r.right + ' overflowX=' +
             getComputedStyle(sc).overflowX + ' content=' + sc.scrollWidth + ' box=' + sc.clientWidth);
  }
  for (const tr of document.querySelectorAll('#compare-summary tr[data-config]')) {
    const td = tr.querySelector('td'), r = td.getBoundingClientRect();
    out.push('config=' + tr.getAttribute('data-config') + '|' + td.innerText.replace(/\s+/g, ' ').trim() + '|' +
             r.left + '|' + r.right +
             '|' + (tr.classList.contains('oom') ? 'oom' : '-'));
  }
  const banner = document.getElementById('oom');
  if (banner) out.push('banner=' + banner.innerText.replace(/\s+/g, ' '));
  const pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = '\n' + out.join('\n') + '\n';
  document.body.appendChild(pre);
})();
</script>
)";

std::string unescapeHtml(std::string s) {
  const std::pair<const char*, const char*> entities[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""},
                                                          {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities)
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + 1)) s.replace(p, strlen(from), to);
  return s;
}

// The key=value lines the script wrote, from Chromium's dumped DOM.
std::multimap<std::string, std::string> measurements(const std::string& dom) {
  std::multimap<std::string, std::string> out;
  const size_t b = dom.find("<pre id=\"measure\">");
  if (b == std::string::npos) return out;
  std::istringstream in(unescapeHtml(dom.substr(b, dom.find("</pre>", b) - b)));
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && line[0] != '<') out.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::istringstream in(s);
  for (std::string p; std::getline(in, p, sep);) parts.push_back(p);
  return parts;
}

std::string chromium(const std::string& dir, const std::string& args) {
  return std::string("(timeout 120 ") + kChromium + " --headless --no-sandbox --disable-gpu --hide-scrollbars " +
         "--user-data-dir=" + dir + "/chromium-profile --window-size=1400,900 " + args + " 2>" + dir +
         "/chromium.log)";
}

TEST(CompareBrowser, EightConfigurationsWithOomKillsFitTheWindowAt1400Px) {
  if (!std::filesystem::exists(kChromium))
    GTEST_SKIP() << kChromium << " is not installed (Debian package chromium: "
                 << "GOMEMSIM_NOTEBOOK_DEPS=1 bash tools/setup.sh installs it)";
  const std::string dir = cli_testing::freshTempDir("compare-browser");
  const Scenario base = parseScenario(kOomScenario, "browser-oom.yaml");
  const auto configs =
      expandGrid(base, {parseVary("machine.cgroup_limit=350MiB,4GiB"), parseVary("GOGC=50,100,200,off")});
  const auto runs = runGrid(configs, 2);
  ASSERT_EQ(runs.size(), 8u);
  size_t killed = 0;
  for (const auto& [label, r] : runs) killed += compareRow(label, r).oomKilled ? 1 : 0;
  ASSERT_GE(killed, 1u) << "the scenario must OOM-kill at least one configuration";
  ASSERT_LT(killed, runs.size());
  writeCompareOutputs(dir + "/out", base, runs);

  std::string page = readFile(dir + "/out/report.html");
  const size_t end = page.rfind("</body>");
  ASSERT_NE(end, std::string::npos);
  page.insert(end, kMeasureScript);
  std::ofstream(dir + "/measured.html") << page;
  const auto dump = sh(chromium(dir, "--dump-dom file://" + dir + "/measured.html > " + dir + "/dom.html"));
  ASSERT_EQ(dump.status, 0) << dump.out << readFile(dir + "/chromium.log");
  const auto m = measurements(readFile(dir + "/dom.html"));
  ASSERT_FALSE(m.empty()) << "no measurements in the dumped DOM; chromium said:\n" << readFile(dir + "/chromium.log");

  // The page is no wider than the window, and nothing sticks out except inside a scroller.
  ASSERT_EQ(m.count("innerWidth"), 1u);
  const int vw = std::stoi(m.find("innerWidth")->second);
  EXPECT_EQ(vw, 1400);
  EXPECT_LE(std::stoi(m.find("scrollWidth")->second), vw);
  for (auto [it, e] = m.equal_range("overflow"); it != e; ++it) ADD_FAILURE() << "sticks out of the window: " << it->second;
  size_t scrollers = 0;
  for (auto [it, e] = m.equal_range("scroller"); it != e; ++it, ++scrollers) {
    EXPECT_NE(it->second.find("overflowX=auto"), std::string::npos) << it->second;
    const double right = std::stod(it->second.substr(it->second.find("right=") + 6));
    EXPECT_LE(right, vw) << it->second;
    // At 1400 px the tables of eight configurations fit without scrolling.
    const auto num = [&](const char* key) { return std::stod(it->second.substr(it->second.find(key) + strlen(key))); };
    EXPECT_LE(num("content="), num("box=")) << it->second;
  }
  EXPECT_EQ(scrollers, 4u);  // knobs, summary, two breakdowns

  // Every configuration has its row, its full name visible inside the window, the OOM ones marked.
  std::map<std::string, std::vector<std::string>> rows;
  for (auto [it, e] = m.equal_range("config"); it != e; ++it) {
    const auto f = split(it->second, '|');
    ASSERT_EQ(f.size(), 5u) << it->second;
    rows[f[0]] = f;
  }
  ASSERT_EQ(rows.size(), runs.size());
  const std::string banner = m.count("banner") ? m.find("banner")->second : "";
  EXPECT_NE(banner.find("OOM-killed: " + std::to_string(killed) + " of 8 configurations"), std::string::npos) << banner;
  for (const auto& [label, r] : runs) {
    ASSERT_TRUE(rows.count(label)) << label;
    const auto& f = rows[label];
    EXPECT_EQ(f[1].substr(0, label.size()), label);  // then, on a line of its own, Go / scavenger / madvise
    EXPECT_GE(std::stod(f[2]), 0) << label;
    EXPECT_LE(std::stod(f[3]), vw) << label;
    const bool isKilled = compareRow(label, r).oomKilled;
    EXPECT_EQ(f[4], isKilled ? "oom" : "-") << label;
    if (isKilled) {
      EXPECT_NE(banner.find(label + " at "), std::string::npos) << label << " not in " << banner;
    }
  }

  // A screenshot for a person to look at.
  const auto shot = sh(chromium(dir, "--screenshot=" + dir + "/report.png file://" + dir + "/out/report.html"));
  EXPECT_EQ(shot.status, 0) << shot.out;
  const std::string png = readFile(dir + "/report.png");
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  std::cout << "screenshot: " << dir << "/report.png\n";
}

}  // namespace
}  // namespace gomemsim
