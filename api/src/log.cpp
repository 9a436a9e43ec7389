#include "log.h"

#include "ledger/value.h"

#include <cstdio>

#include "ledger/time.h"

namespace pl::api {

namespace {

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void AppendValue(std::string* out, std::string_view v) {
  if (!NeedsQuotes(v)) {
    out->append(v);
    return;
  }
  ledger::AppendJsonString(v, out);  // the same escaping as every JSON we write
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "info") return LogLevel::kInfo;
  if (name == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

Logger::Logger(LogLevel level, Sink sink) : level_(level), sink_(std::move(sink)) {}

std::string Logger::Format(LogLevel level, std::string_view msg, Fields fields) {
  std::string line =
      "ts=" + ledger::FormatTimestamp(ledger::Now()) + " level=" + LevelName(level) + " msg=";
  // msg is always quoted, so that lines read the same whatever the message.
  line.push_back('"');
  for (char c : msg) {
    if (c == '"' || c == '\\') line.push_back('\\');
    line.push_back(c == '\n' ? ' ' : c);
  }
  line.push_back('"');
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line.append(key);
    line.push_back('=');
    AppendValue(&line, value);
  }
  return line;
}

void Logger::Log(LogLevel level, std::string_view msg, Fields fields) const {
  if (!Enabled(level)) return;
  std::string line = Format(level, msg, fields);
  if (sink_) {
    sink_(line);
    return;
  }
  line.push_back('\n');
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace pl::api
