#include "cli.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace pl::ctl {

int Fail(const Status& status) {
  std::cerr << "ledgerctl: " << status.ToString() << "\n";
  return status.code() == Status::Code::kIoError ? kEnvironment : kRefused;
}

int Usage(const std::string& verb, const std::string& message) {
  std::cerr << "ledgerctl " << verb << ": " << message << " (see ledgerctl " << verb
            << " --help)\n";
  return kUsage;
}

std::map<std::string, Verb>& Verbs() {
  static std::map<std::string, Verb> verbs;
  return verbs;
}

bool ParseFlags(const std::vector<std::string>& args, const std::string& usage,
                po::options_description& flags, po::positional_options_description* positional,
                po::variables_map* vm, int* exit) {
  flags.add_options()("help,h", "show this help");
  try {
    po::command_line_parser parser(std::vector<std::string>(args.begin() + 1, args.end()));
    parser.options(flags);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), *vm);
    if (vm->count("help")) {
      std::cout << "usage: ledgerctl " << args[0] << " " << usage << "\n\n"
                << Verbs()[args[0]].summary << "\n\n"
                << flags << "\n";
      *exit = kOk;
      return false;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    *exit = Usage(args[0], e.what());
    return false;
  }
  return true;
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("input.unreadable", "cannot read \"" + path + "\"");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::pair<std::size_t, std::string>> SplitDocuments(const std::string& text) {
  std::vector<std::pair<std::size_t, std::string>> docs;
  std::size_t line = 1, start_line = 1, start = std::string::npos;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (start == std::string::npos) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
      start = i;
      start_line = line;
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    // A document ends when its brackets close, or at the end of its line if it
    // never opened one (so a stray token is reported on its own line).
    if ((depth <= 0 && (c == '}' || c == ']')) || (depth == 0 && c == '\n')) {
      docs.emplace_back(start_line, text.substr(start, i + 1 - start));
      start = std::string::npos;
      depth = 0;
    }
  }
  if (start != std::string::npos) docs.emplace_back(start_line, text.substr(start));
  return docs;
}

Result<std::unique_ptr<ledger::Store>> OpenStore(const std::string& dir, bool read_only,
                                                 bool create) {
  ledger::StoreOptions options;
  options.read_only = read_only;
  options.create_if_missing = create;
  return ledger::Store::Open(dir, options);
}

Progress::Progress(std::string what, std::uint64_t total)
    : what_(std::move(what)), total_(total), shown_(isatty(STDERR_FILENO) && total >= 10000) {}

void Progress::Reset(std::uint64_t total) {
  if (total == total_) return;
  total_ = total;
  shown_ = isatty(STDERR_FILENO) && total >= 10000;
}

Progress::~Progress() {
  if (shown_ && last_percent_ != 101) std::cerr << "\n";
}

void Progress::Update(std::uint64_t done) {
  if (!shown_ || total_ == 0) return;
  const std::uint64_t percent = done * 100 / total_;
  if (percent == last_percent_) return;
  last_percent_ = percent;
  std::cerr << "\r" << what_ << " " << done << "/" << total_ << " (" << percent << "%)"
            << std::flush;
}

void PrintJson(const ledger::Value& value, bool pretty) {
  std::cout << (pretty ? ledger::PrettyJson(value) : ledger::CanonicalJson(value)) << "\n";
}

}  // namespace pl::ctl
