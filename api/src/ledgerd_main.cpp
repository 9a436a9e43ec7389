// ledgerd: serves an open Programme over HTTP and WebSocket (docs/operations.md).
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>

#include "api/server.h"
#include "log.h"

namespace po = boost::program_options;
using pl::api::Logger;
using pl::api::LogLevel;

namespace {

constexpr int kUsage = 2;

// "ADDR:PORT", "[v6]:PORT".
bool ParseListen(const std::string& text, std::string* address, std::uint16_t* port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  std::string host = text.substr(0, colon);
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const unsigned long n = std::stoul(digits);
  if (n > 65535) return false;
  if (host.front() == '[') {
    if (host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  }
  *address = host;
  *port = static_cast<std::uint16_t>(n);
  return true;
}

// The bearer tokens of --audit-token-file: one a line, TOKEN or NAME:TOKEN
// (the name, without ':', is for the operator's records); blank lines and
// lines starting with # are skipped. An error names the line.
bool ReadAuditTokens(const std::string& path, std::vector<std::string>* tokens,
                     std::string* error) {
  constexpr std::size_t kMinLength = 16;
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read --audit-token-file " + path;
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto trim = [](std::string s) {
      const auto first = s.find_first_not_of(" \t\r");
      if (first == std::string::npos) return std::string();
      return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
    };
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const std::string token = trim(line.substr(line.find(':') + 1));  // npos + 1 == 0
    if (token.size() < kMinLength || token.find_first_of(" \t") != std::string::npos) {
      *error = path + " line " + std::to_string(number) + ": a token has at least " +
               std::to_string(kMinLength) + " characters and no spaces";
      return false;
    }
    tokens->push_back(token);
  }
  if (tokens->empty()) {
    *error = path + " holds no token";
    return false;
  }
  return true;
}

// The dashboard folder next to the executable, if there is one.
std::string DefaultStaticDir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  const auto dir = exe.parent_path() / "dashboard";
  return std::filesystem::is_directory(dir, ec) ? dir.string() : "";
}

}  // namespace

int main(int argc, char** argv) {
  // A reader gone away must not kill the server (sockets use MSG_NOSIGNAL; stdout does not).
  std::signal(SIGPIPE, SIG_IGN);
  // Every connection holds a descriptor, and --max-connections may be in the
  // thousands: take all the process may have (the hard limit).
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  std::string config, data, listen, static_dir, log_level, audit_token_file;
  pl::api::ServerOptions server;
  pl::projections::ProgrammeOptions programme_options;
  bool create = false;
  std::vector<std::string> witness_keys;

  po::options_description flags(
      "ledgerd: the Partnership Ledger server (HTTP, WebSocket, metrics, dashboard)\n\n"
      "Usage: ledgerd --data DIR [options]\n\nOptions");
  // clang-format off
  flags.add_options()
      ("help,h", "show this help and exit")
      ("config", po::value(&config)->value_name("FILE"),
       "read options from an INI-style file (name = value, the flags' names without --); "
       "flags on the command line win")
      ("data", po::value(&data)->value_name("DIR"), "the data directory (required)")
      ("create", po::bool_switch(&create), "create the data directory and its log if missing")
      ("listen", po::value(&listen)->default_value("127.0.0.1:8480")->value_name("ADDR:PORT"),
       "address and port; port 0 picks a free one (printed when listening)")
      ("tls-cert", po::value(&server.tls_certificate)->value_name("PEM"),
       "TLS certificate chain (with --tls-key: https and wss only)")
      ("tls-key", po::value(&server.tls_private_key)->value_name("PEM"), "TLS private key")
      ("static", po::value(&static_dir)->value_name("DIR"),
       "the dashboard's files (default: the dashboard folder next to ledgerd, if present)")
      ("threads", po::value(&server.threads)->default_value(2), "I/O threads")
      ("max-message-bytes", po::value(&server.max_message_bytes)->default_value(1 << 20),
       "largest WebSocket message or HTTP body accepted")
      ("max-queue", po::value(&server.max_queued_messages)->default_value(4096),
       "outgoing messages queued for one session before it is dropped as too slow")
      ("max-connections", po::value(&server.max_connections)->default_value(20000),
       "open connections at once; more are refused")
      ("max-pending", po::value(&server.max_pending_requests)->default_value(64),
       "requests one session may have in flight")
      ("idle-timeout", po::value(&server.idle_timeout_seconds)->default_value(60),
       "seconds before an idle HTTP connection or an unresponsive WebSocket is closed")
      ("audit-token-file", po::value(&audit_token_file)->value_name("FILE"),
       "bearer tokens (one a line: TOKEN or NAME:TOKEN) that audit, event, inclusion and the "
       "events topic then require; open to all without it")
      ("max-group-commit", po::value(&server.max_group_commit)->default_value(1000),
       "decisions in one group commit at most")
      ("checkpoint-every", po::value(&programme_options.checkpoint_every)->default_value(20000),
       "write a state checkpoint every N events (and at shutdown)")
      ("log-level", po::value(&log_level)->default_value("info"),
       "error, warn, info or debug")
      ("origin", po::value(&server.checkpoint_origin)->value_name("NAME"),
       "the log's name in its checkpoints (default: partnership-ledger.local/ and the first 16 "
       "hex digits of the log key id)")
      ("witness-key", po::value(&witness_keys)->composing()->value_name("VKEY"),
       "a witness whose cosignatures are accepted, as its verifier key "
       "(ledgerctl witness --print-vkey); repeatable");
  // clang-format on

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, flags), vm);
    if (vm.count("help")) {
      std::cout << flags << "\n";
      return 0;
    }
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      if (!std::filesystem::is_regular_file(path)) {
        std::cerr << "ledgerd: no config file " << path << "\n";
        return kUsage;
      }
      po::store(po::parse_config_file(path.c_str(), flags), vm);
    }
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "ledgerd: " << e.what() << "\n(ledgerd --help lists the options)\n";
    return kUsage;
  }
  if (data.empty()) {
    std::cerr << "ledgerd: --data DIR is required\n";
    return kUsage;
  }
  if (!ParseListen(listen, &server.address, &server.port)) {
    std::cerr << "ledgerd: --listen wants ADDR:PORT, not \"" << listen << "\"\n";
    return kUsage;
  }
  const auto level = pl::api::ParseLogLevel(log_level);
  if (!level) {
    std::cerr << "ledgerd: --log-level is one of error, warn, info, debug\n";
    return kUsage;
  }
  if (server.tls_certificate.empty() != server.tls_private_key.empty()) {
    std::cerr << "ledgerd: --tls-cert and --tls-key go together\n";
    return kUsage;
  }
  if (!audit_token_file.empty()) {
    std::string error;
    if (!ReadAuditTokens(audit_token_file, &server.audit_tokens, &error)) {
      std::cerr << "ledgerd: " << error << "\n";
      return kUsage;
    }
  }
  server.log_level = log_level;
  server.static_dir = vm.count("static") ? static_dir : DefaultStaticDir();
  const Logger log(*level);

  for (const std::string& vkey : witness_keys) {
    auto witness = pl::ledger::ParseVerifierKey(vkey);
    if (!witness.ok()) {
      std::cerr << "ledgerd: --witness-key: " << witness.status().ToString() << "\n";
      return kUsage;
    }
    server.witnesses.push_back(std::move(*witness));
  }

  programme_options.store.create_if_missing = create;
  programme_options.log = [&log](const std::string& line) { log.Info(line); };
  log.Info("opening", {{"data", data}});
  auto programme = pl::projections::Programme::Open(data, programme_options);
  if (!programme.ok()) {
    log.Error("cannot open the data directory",
              {{"data", data}, {"error", programme.status().ToString()}});
    return 1;
  }
  log.Info("opened", {{"data", data}, {"size", std::to_string((*programme)->store().size())}});

  auto started = pl::api::Server::Start(**programme, server);
  if (!started.ok()) {
    log.Error("cannot start the server", {{"error", started.status().ToString()}});
    return 1;
  }
  std::unique_ptr<pl::api::Server> running = std::move(*started);
  const bool tls = !server.tls_certificate.empty();
  const std::string host =
      server.address.find(':') != std::string::npos ? "[" + server.address + "]" : server.address;
  const std::string where = host + ":" + std::to_string(running->port());
  std::printf("ledgerd listening on %s://%s (%s://%s/ws)\n", tls ? "https" : "http", where.c_str(),
              tls ? "wss" : "ws", where.c_str());
  std::fflush(stdout);
  if (!server.static_dir.empty()) log.Info("serving static files", {{"dir", server.static_dir}});
  if (!server.audit_tokens.empty()) {
    log.Info("audit trail behind bearer tokens",
             {{"tokens", std::to_string(server.audit_tokens.size())}});
  }

  // Signals arrive on their own small I/O context; Stop() only posts.
  boost::asio::io_context signal_context;
  boost::asio::signal_set signals(signal_context, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log.Info("shutting down", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
    running->Stop();
  });
  std::thread signal_thread([&] { signal_context.run(); });

  running->Run();

  boost::asio::post(signal_context, [&] { signals.cancel(); });
  signal_thread.join();
  running.reset();
  // Closing the programme writes the checkpoint.
  programme->reset();
  log.Info("exit", {{"code", "0"}});
  return 0;
}
