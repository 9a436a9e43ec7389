// Structured log lines for ledgerd: one line per event of note,
//
//   ts=2024-05-01T08:00:00.250Z level=info msg="session closed" peer=127.0.0.1:51000
//
// written whole to the sink (stderr by default). Values with spaces, quotes or
// '=' are quoted with backslash escapes. Thread-safe.
#pragma once

#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pl::api {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// "error", "warn", "info", "debug"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);

class Logger {
 public:
  using Sink = std::function<void(const std::string& line)>;
  using Fields = std::initializer_list<std::pair<std::string_view, std::string>>;

  // An empty sink writes to stderr.
  explicit Logger(LogLevel level = LogLevel::kInfo, Sink sink = {});

  bool Enabled(LogLevel level) const { return level <= level_; }
  void Log(LogLevel level, std::string_view msg, Fields fields = {}) const;
  void Error(std::string_view msg, Fields fields = {}) const { Log(LogLevel::kError, msg, fields); }
  void Warn(std::string_view msg, Fields fields = {}) const { Log(LogLevel::kWarn, msg, fields); }
  void Info(std::string_view msg, Fields fields = {}) const { Log(LogLevel::kInfo, msg, fields); }
  void Debug(std::string_view msg, Fields fields = {}) const { Log(LogLevel::kDebug, msg, fields); }

  // The line Log() would write (without the trailing newline), for tests.
  static std::string Format(LogLevel level, std::string_view msg, Fields fields);

 private:
  LogLevel level_;
  Sink sink_;
  mutable std::mutex mutex_;  // serializes the default sink
};

}  // namespace pl::api
