// real_go: the real Go side of `gomemsim validate`: finding a Go toolchain, building the driver
// (sim/validate/driver, Go standard library only) into a cache, and running it on a scenario.
//
// Models: how the driver is launched so that the real runtime runs with the scenario's knobs:
// GOGC, GOMEMLIMIT and GOMAXPROCS in the environment (Go 1.19 reads them at startup:
// mgcpacer.go readGOGC/readGOMEMLIMIT, proc.go schedinit), GODEBUG=gctrace=1,scavtrace=1 plus
// madvdontneed=0|1 for the madvise mode (runtime1.go dbgvars) plus the scenario's own GODEBUG;
// its stderr is the run's gctrace.log.
// Does not model: anything about what the driver does (driver/main.go) or how traces compare
// (fidelity.h).
#pragma once

#include <string>
#include <vector>

#include "goversion/goversion.h"
#include "scenario/scenario.h"

namespace gomemsim {

// The go command: `flag` if given (it must be executable), else `go` on PATH, else the usual
// install locations. Empty when there is none.
std::string findGo(const std::string& flag);

// A Go toolchain installed on this machine.
struct GoToolchain {
  std::string go;       // the go command's path
  std::string version;  // its release as in $GOROOT/VERSION, e.g. "go1.26.8"
};
// The toolchains here, each GOROOT once, in this order: go on PATH, /usr/local/go, Debian's
// /usr/lib/go-1.N, and the toolchains the go command fetched into the module cache
// ($GOMODCACHE or ~/go/pkg/mod golang.org/toolchain@v0.0.1-go1.N.P.linux-amd64, what
// GOTOOLCHAIN=go1.N.P downloads).
std::vector<GoToolchain> installedGoToolchains();
// The first installed toolchain of the scenario's release: the same minor version, and the same
// patch when the scenario names one. Empty when none is installed.
std::string findGoFor(const GoVersion& want);
// "go1.19.8 (/usr/lib/go-1.19/bin/go), ..." for messages; "none" when nothing is installed.
std::string describeGoToolchains();

// The driver's Go source directory: $GOMEMSIM_DRIVER_DIR, else where this file was compiled
// from, else sim/validate/driver above the running executable. Throws ValidateError(1).
std::string driverSourceDir();

// Where built drivers are cached: $XDG_CACHE_HOME/gomemsim, ~/.cache/gomemsim, or a directory
// under the system temporary directory.
std::string defaultCacheDir();

// Builds the driver with `go build -trimpath` into cacheDir (named by a hash of its sources and
// of the go binary, so an up-to-date build is reused). Returns the binary's path. Throws
// ValidateError(1) with go's output when the build fails.
std::string buildDriver(const std::string& go, const std::string& srcDir, const std::string& cacheDir);

// The GODEBUG value the driver runs with (see the header comment).
std::string driverGodebug(const Scenario& s);
// The environment assignments the driver is started with.
std::vector<std::string> driverEnv(const Scenario& s);

struct DriverRun {
  int exitStatus = 0;
  std::string traceCsv, stepsCsv, gctrace, log;  // files the driver wrote (empty if absent)
};

// A run recorded earlier: DIR/trace.csv (required), DIR/steps.csv, DIR/gctrace.log and
// DIR/driver.log as the driver writes them (validate's real/ folder, tests/fidelity/<id>/run-<k>).
// A missing trace.csv throws ValidateError(2).
DriverRun readRecordedRun(const std::string& dir);

// Runs `driver -scenario workDir/scenario.json -out workDir/real` (or -check). Refusals
// (exit 2) throw ValidateError(2) with the driver's message; other failures ValidateError(1).
DriverRun runDriver(const std::string& driver, const Scenario& s, const std::string& workDir, bool checkOnly);

// Runs argv[0] (a path) with argv, extra environment assignments (NAME=value, replacing
// inherited ones), in cwd (empty: inherited), stdout and stderr to files. Returns the exit
// status, 128 + signal when killed. Throws ValidateError(1) when it cannot start.
int runProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& cwd,
               const std::string& stdoutPath, const std::string& stderrPath);

}  // namespace gomemsim
