// Runs a command through the shell and captures its output, for tests that
// drive the real executables.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"

namespace pl::test {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline Outcome Run(const std::string& command) {
  TempDir scratch;
  const std::string err_path = scratch.str("stderr");
  Outcome result;
  FILE* pipe = ::popen((command + " 2>" + err_path).c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  result.err = ss.str();
  return result;
}

}  // namespace pl::test
