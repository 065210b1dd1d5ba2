// real_go.cc: toolchain lookup, driver build cache, process launching (posix_spawn).
#include "validate/real_go.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/run_control.h"
#include "observe/outputs.h"
#include "validate/fidelity.h"
#include "validate/scenario_json.h"

extern char** environ;

namespace gomemsim {
namespace fs = std::filesystem;
namespace {

constexpr useconds_t kWaitPollUs = 20000;  // runProcess polls its child every 20 ms
constexpr int kStopGraceTicks = 50;        // and kills it 1 s after asking it to stop

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

std::string envOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// FNV-1a, 64 bit.
void fnv(uint64_t& h, const std::string& s) {
  for (const unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= 0xff;
  h *= 0x100000001b3ULL;
}

// Names the build: the driver's sources and the go binary (path, size, modification time).
std::string buildKey(const std::string& go, const fs::path& src) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(src)) {
    const std::string n = e.path().filename().string();
    if (e.is_regular_file() && (n == "go.mod" || (n.ends_with(".go") && !n.ends_with("_test.go"))))
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& f : files) {
    fnv(h, f.filename().string());
    fnv(h, readFile(f));
  }
  struct stat st {};
  const std::string goReal = fs::weakly_canonical(go).string();
  fnv(h, goReal);
  if (::stat(goReal.c_str(), &st) == 0) fnv(h, std::to_string(st.st_size) + ":" + std::to_string(st.st_mtime));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// The last `n` lines of text.
std::string tail(const std::string& text, size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

// Lines of the driver's stderr that are not the runtime's gctrace/scavtrace output (Go 1.19:
// "gc N @...", "scav ...", and forcegchelper's "GC forced" in proc.go).
std::string driverMessages(const std::string& stderrText) {
  std::istringstream in(stderrText);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("gc ", 0) == 0 || line.rfind("scav ", 0) == 0 || line == "GC forced") continue;
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string findGo(const std::string& flag) {
  if (!flag.empty()) return executable(flag) ? flag : "";
  std::istringstream path(envOr("PATH", "/usr/local/bin:/usr/bin:/bin"));
  std::string dir;
  while (std::getline(path, dir, ':')) {
    if (!dir.empty() && executable(fs::path(dir) / "go")) return (fs::path(dir) / "go").string();
  }
  for (const char* p : {"/usr/lib/go/bin/go", "/usr/local/go/bin/go"})
    if (executable(p)) return p;
  return "";
}

namespace {

// $GOROOT/VERSION's first line ("go1.26.8") for a go command at $GOROOT/bin/go; empty if none.
std::string toolchainVersion(const fs::path& go) {
  std::error_code ec;
  const fs::path real = fs::canonical(go, ec);
  if (ec) return "";
  std::string v = readFile(real.parent_path().parent_path() / "VERSION");
  v = v.substr(0, v.find('\n'));
  return v.rfind("go1.", 0) == 0 ? v : "";
}

std::vector<fs::path> moduleCacheToolchains() {
  std::vector<fs::path> roots;
  if (const char* m = std::getenv("GOMODCACHE"); m && *m) roots.emplace_back(m);
  if (const char* g = std::getenv("GOPATH"); g && *g) roots.push_back(fs::path(g) / "pkg" / "mod");
  if (const char* h = std::getenv("HOME"); h && *h) roots.push_back(fs::path(h) / "go" / "pkg" / "mod");
  std::vector<fs::path> out;
  for (const fs::path& r : roots) {
    std::error_code ec;
    const fs::path dir = r / "golang.org";
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> found;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind("toolchain@", 0) == 0) found.push_back(e.path() / "bin" / "go");
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace

std::vector<GoToolchain> installedGoToolchains() {
  std::vector<fs::path> candidates;
  std::istringstream path(envOr("PATH", "/usr/local/bin:/usr/bin:/bin"));
  for (std::string dir; std::getline(path, dir, ':');)
    if (!dir.empty()) candidates.push_back(fs::path(dir) / "go");
  candidates.emplace_back("/usr/local/go/bin/go");
  std::error_code ec;
  std::vector<fs::path> debian;
  for (const auto& e : fs::directory_iterator("/usr/lib", ec))
    if (e.path().filename().string().rfind("go-1.", 0) == 0) debian.push_back(e.path() / "bin" / "go");
  std::sort(debian.begin(), debian.end());
  candidates.insert(candidates.end(), debian.begin(), debian.end());
  for (const fs::path& p : moduleCacheToolchains()) candidates.push_back(p);
  std::vector<GoToolchain> out;
  std::vector<std::string> seen;  // canonical paths
  for (const fs::path& c : candidates) {
    if (!executable(c)) continue;
    const std::string real = fs::canonical(c, ec).string();
    if (ec || std::find(seen.begin(), seen.end(), real) != seen.end()) continue;
    seen.push_back(real);
    const std::string v = toolchainVersion(c);
    if (!v.empty()) out.push_back(GoToolchain{c.string(), v});
  }
  return out;
}

std::string findGoFor(const GoVersion& want) {
  for (const GoToolchain& t : installedGoToolchains()) {
    GoVersion have;
    try {
      have = parseGoVersion(t.version);
    } catch (const GoVersionError&) {
      continue;  // a release gomemsim does not model
    }
    if (have.minor == want.minor && (!want.patch || have.patch == want.patch)) return t.go;
  }
  return "";
}

std::string describeGoToolchains() {
  std::string out;
  for (const GoToolchain& t : installedGoToolchains()) out += (out.empty() ? "" : ", ") + t.version + " (" + t.go + ")";
  return out.empty() ? "none" : out;
}

std::string driverSourceDir() {
  std::vector<fs::path> candidates;
  if (const char* d = std::getenv("GOMEMSIM_DRIVER_DIR")) candidates.emplace_back(d);
  candidates.push_back(fs::path(__FILE__).parent_path() / "driver");
  std::error_code ec;
  for (fs::path p = fs::read_symlink("/proc/self/exe", ec).parent_path(); !ec && p.has_relative_path();
       p = p.parent_path())
    candidates.push_back(p / "sim" / "validate" / "driver");
  for (const auto& c : candidates)
    if (fs::is_regular_file(c / "main.go", ec) && fs::is_regular_file(c / "go.mod", ec)) return c.string();
  throw ValidateError(1, "cannot find the real-Go driver's source (sim/validate/driver); set GOMEMSIM_DRIVER_DIR");
}

std::string defaultCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return (fs::path(x) / "gomemsim").string();
  if (const char* h = std::getenv("HOME"); h && *h) return (fs::path(h) / ".cache" / "gomemsim").string();
  return (fs::temp_directory_path() / ("gomemsim-cache-" + std::to_string(::getuid()))).string();
}

std::string buildDriver(const std::string& go, const std::string& srcDir, const std::string& cacheDir) {
  fs::create_directories(cacheDir);
  const fs::path bin = fs::path(cacheDir) / ("gomemsim-driver-" + buildKey(go, srcDir));
  if (executable(bin)) return bin.string();
  const std::string tmp = bin.string() + ".tmp" + std::to_string(::getpid());
  const std::string log = tmp + ".log";
  // No network, no workspace or vendor surprises from the user's environment; a writable build
  // cache even when HOME is unset.
  // GOTOOLCHAIN=local: build with this go, never a toolchain it would switch to.
  std::vector<std::string> env = {"GOFLAGS=", "GOWORK=off", "GOPROXY=off", "GO111MODULE=on", "CGO_ENABLED=0",
                                  "GOTOOLCHAIN=local"};
  if (!std::getenv("GOCACHE") && !std::getenv("HOME") && !std::getenv("XDG_CACHE_HOME"))
    env.push_back("GOCACHE=" + (fs::path(cacheDir) / "go-build").string());
  if (!std::getenv("GOPATH") && !std::getenv("HOME")) env.push_back("GOPATH=" + (fs::path(cacheDir) / "gopath").string());
  const int rc = runProcess({go, "build", "-trimpath", "-o", tmp, "."}, env, srcDir, log, log);
  const std::string out = readFile(log);
  fs::remove(log);
  if (rc != 0) {
    fs::remove(tmp);
    throw ValidateError(1, "building the real-Go driver failed (" + go + " build in " + srcDir + ", exit " +
                               std::to_string(rc) + "):\n" + out);
  }
  fs::rename(tmp, bin);
  return bin.string();
}

std::string driverGodebug(const Scenario& s) {
  std::string out;
  std::istringstream in(s.runtime.godebug);
  std::string kv;
  while (std::getline(in, kv, ',')) {
    const std::string key = kv.substr(0, kv.find('='));
    if (kv.empty() || key == "madvdontneed" || key == "gctrace" || key == "scavtrace") continue;
    out += kv + ",";
  }
  out += resolvedMadvise(s.runtime) == "free" ? "madvdontneed=0" : "madvdontneed=1";
  return out + ",gctrace=1,scavtrace=1";
}

std::vector<std::string> driverEnv(const Scenario& s) {
  return {"GODEBUG=" + driverGodebug(s),
          "GOGC=" + (s.runtime.gogc < 0 ? std::string("off") : std::to_string(s.runtime.gogc)),
          "GOMEMLIMIT=" + (s.runtime.memory_limit ? std::to_string(s.runtime.memory_limit->v) : std::string("off")),
          "GOMAXPROCS=" + std::to_string(gomaxprocsOf(s))};
}

DriverRun readRecordedRun(const std::string& dir) {
  const fs::path d(dir);
  std::error_code ec;
  if (!fs::is_regular_file(d / "trace.csv", ec))
    throw ValidateError(2, "--real " + dir + ": expected a recorded real run there (trace.csv, steps.csv, gctrace.log)");
  DriverRun r;
  r.traceCsv = readFile(d / "trace.csv");
  r.stepsCsv = readFile(d / "steps.csv");
  r.gctrace = readFile(d / "gctrace.log");
  r.log = readFile(d / "driver.log");
  return r;
}

DriverRun runDriver(const std::string& driver, const Scenario& s, const std::string& workDir, bool checkOnly) {
  const fs::path dir(workDir);
  fs::create_directories(dir);
  const std::string json = (dir / "scenario.json").string();
  writeFileAtomic(json, scenarioToJson(s));
  std::vector<std::string> argv = {driver, "-scenario", json};
  if (checkOnly) argv.push_back("-check");
  else argv.insert(argv.end(), {"-out", (dir / "real").string()});
  const std::string out = (dir / (checkOnly ? "check.out" : "driver.log")).string();
  const std::string err = (dir / (checkOnly ? "check.err" : "gctrace.log")).string();
  DriverRun r;
  r.exitStatus = runProcess(argv, driverEnv(s), "", out, err);
  r.gctrace = readFile(err);
  r.log = readFile(out);
  if (r.exitStatus == 2) throw ValidateError(2, driverMessages(r.gctrace));
  if (r.exitStatus != 0)
    throw ValidateError(1, "the real-Go driver failed (exit " + std::to_string(r.exitStatus) + "):\n" +
                               tail(driverMessages(r.gctrace) + r.log, 20));
  r.traceCsv = readFile(dir / "real" / "trace.csv");
  r.stepsCsv = readFile(dir / "real" / "steps.csv");
  if (!checkOnly && r.traceCsv.empty()) throw ValidateError(1, "the real-Go driver wrote no trace.csv");
  return r;
}

int runProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& cwd,
               const std::string& stdoutPath, const std::string& stderrPath) {
  // Environment: inherited, minus the names env sets.
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    const std::string kv(*e);
    const std::string name = kv.substr(0, kv.find('='));
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) { return x.rfind(name + "=", 0) == 0; });
    if (!replaced) envs.push_back(kv);
  }
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
  cenv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, stdoutPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (stderrPath == stdoutPath) posix_spawn_file_actions_adddup2(&fa, 1, 2);
  else posix_spawn_file_actions_addopen(&fa, 2, stderrPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) throw ValidateError(1, "cannot run " + argv[0] + ": " + std::strerror(rc));
  // Waits, polling, so that Ctrl-C or SIGTERM (run_control.h) stops the child too: SIGTERM,
  // then SIGKILL if it is still there a second later.
  int status = 0;
  int stoppedBy = 0;
  int waitedAfterStop = 0;
  for (;;) {
    const pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (got < 0 && errno != EINTR) throw ValidateError(1, "waiting for " + argv[0] + ": " + std::strerror(errno));
    if (!stoppedBy && (stoppedBy = stopSignal())) ::kill(pid, SIGTERM);
    if (stoppedBy && ++waitedAfterStop == kStopGraceTicks) ::kill(pid, SIGKILL);
    ::usleep(kWaitPollUs);
  }
  if (!stoppedBy) stoppedBy = stopSignal();  // Ctrl-C reaches the child too, and it may end first
  if (stoppedBy)
    throw RunInterrupted(stoppedBy, "while " + fs::path(argv[0]).filename().string() +
                                        " ran (stopped too); nothing written");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace gomemsim
