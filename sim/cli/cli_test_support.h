// Helpers for the tests that run the gomemsim command (tests/scenarios_test.cc,
// sim/compare/compare_test.cc): a shell command's exit status and output, and a file's bytes.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gomemsim::cli_testing {

struct CmdResult {
  int status;
  std::string out;  // stdout and stderr together
};

inline CmdResult sh(const std::string& cmd) {
  CmdResult r{0, ""};
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// The file's bytes, empty if it cannot be read.
inline std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs `cmd --out out` and expects what bad input gets: exit status 2, `expect` in the message,
// and nothing written at `out`.
inline void expectRefusedWritingNothing(const std::string& cmd, const std::string& out, const std::string& expect) {
  const CmdResult r = sh(cmd + " --out " + out);
  EXPECT_EQ(r.status, 2) << cmd << "\n" << r.out;
  EXPECT_NE(r.out.find(expect), std::string::npos) << cmd << "\n" << r.out;
  EXPECT_FALSE(std::filesystem::exists(out)) << cmd << ": output left behind";
}

}  // namespace gomemsim::cli_testing
