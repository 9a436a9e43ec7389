// backup and restore (docs/operations.md, "Backup and restore"): an online,
// consistent copy of a data directory, and its verified return into service.
//
// Both build their result in a sibling directory named after the target
// (TARGET.partial-PID) and rename it into place only once it is complete
// (and, for restore, verified), so a failure or a crash leaves no
// half-written target; the partial directory is removed on every failure.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli.h"
#include "projections/verify.h"

namespace pl::ctl {
namespace {

namespace fs = std::filesystem;
using ledger::Value;

// A directory the result may take: missing, or empty. Refused with `rule`.
Status CheckTarget(const std::string& target, const std::string& rule) {
  std::error_code ec;
  if (!fs::exists(target, ec)) return Status::Ok();
  if (!fs::is_directory(target, ec) || !fs::is_empty(target, ec)) {
    return Status::Conflict(rule, "\"" + target + "\" exists and is not an empty directory");
  }
  return Status::Ok();
}

// The sibling the result is built in, created empty; removed at scope end
// unless Commit() renamed it into place.
class Partial {
 public:
  explicit Partial(const std::string& target)
      : target_(Normal(target)),
        path_(target_.string() + ".partial-" + std::to_string(::getpid())) {}
  ~Partial() {
    std::error_code ec;
    if (!committed_) fs::remove_all(path_, ec);
  }
  Partial(const Partial&) = delete;
  Partial& operator=(const Partial&) = delete;

  Status Create() {
    std::error_code ec;
    fs::remove_all(path_, ec);
    fs::create_directories(path_, ec);
    // It will hold the log's private key: its owner's only.
    if (!ec) fs::permissions(path_, fs::perms::owner_all, ec);
    if (ec) return Status::IoError("store.io", "cannot create \"" + path_.string() + "\"");
    return Status::Ok();
  }
  std::string str() const { return path_.string(); }

  // Renames the finished directory into place (an empty target is replaced).
  Status Commit() {
    std::error_code ec;
    // A read-only open left LMDB's lock file; the next open makes its own.
    fs::remove(path_ / "lock.mdb", ec);
    if (fs::exists(target_, ec)) fs::remove(target_, ec);  // empty: CheckTarget
    fs::rename(path_, target_, ec);
    if (ec) {
      return Status::IoError("store.io", "cannot rename \"" + path_.string() + "\" to \"" +
                                             target_.string() + "\": " + ec.message());
    }
    committed_ = true;
    return Status::Ok();
  }

 private:
  // "dir/" and "dir" name the same target.
  static fs::path Normal(const std::string& target) {
    fs::path p = fs::path(target).lexically_normal();
    return p.filename().empty() ? p.parent_path() : p;
  }

  fs::path target_;
  fs::path path_;
  bool committed_ = false;
};

Value HeadValue(const ledger::TreeHead& head) {
  return Value(
      Value::Object{{"size", static_cast<std::int64_t>(head.size)}, {"root", ToHex(head.root)}});
}

int Backup(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string dir, dest;
  flags.add_options()("data,d", po::value(&dir)->required(), "the live data directory")(
      "dest", po::value(&dest)->required(), "the backup directory to create (missing or empty)");
  po::positional_options_description positional;
  positional.add("dest", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "--data DIR DEST", flags, &positional, &vm, &exit)) return exit;

  if (Status s = CheckTarget(dest, "backup.exists"); !s.ok()) return Fail(s);
  // Read-only: no LOCK, so ledgerd (or any writer) keeps the directory.
  auto store = OpenStore(dir, true);
  if (!store.ok()) return Fail(store.status());
  Partial partial(dest);
  if (Status s = partial.Create(); !s.ok()) return Fail(s);
  if (Status s = (*store)->Backup(partial.str()); !s.ok()) return Fail(s);
  // What the copy holds: the head of the snapshot LMDB copied.
  ledger::TreeHead head;
  {
    auto copy = OpenStore(partial.str(), true);
    if (!copy.ok()) return Fail(copy.status());
    head = (*copy)->head();
  }
  std::error_code ec;
  const auto bytes = fs::file_size(fs::path(partial.str()) / "data.mdb", ec);
  if (Status s = partial.Commit(); !s.ok()) return Fail(s);
  auto object = HeadValue(head).as_object();
  object.emplace_back("backup", dest);
  object.emplace_back("bytes", static_cast<std::int64_t>(ec ? 0 : bytes));
  object.emplace_back("tree_head", ledger::ToValue(head));
  PrintJson(Value(std::move(object)), false);
  return kOk;
}

int Restore(const std::vector<std::string>& args) {
  po::options_description flags("flags");
  std::string backup, dir;
  unsigned threads = 0;
  flags.add_options()("backup", po::value(&backup)->required(),
                      "the backup directory (from ledgerctl backup)")(
      "data,d", po::value(&dir)->required(), "the data directory to create (missing or empty)")(
      "threads", po::value(&threads)->default_value(0),
      "signature-checking threads (0: one per core)");
  po::positional_options_description positional;
  positional.add("backup", 1);
  po::variables_map vm;
  int exit;
  if (!ParseFlags(args, "BACKUP --data NEWDIR [--threads N]", flags, &positional, &vm, &exit)) {
    return exit;
  }
  if (Status s = CheckTarget(dir, "restore.exists"); !s.ok()) return Fail(s);
  for (const char* file : {"data.mdb", "log-key.pem"}) {
    std::error_code ec;
    if (!fs::is_regular_file(fs::path(backup) / file, ec)) {
      return Fail(Status::Invalid("restore.incomplete",
                                  "\"" + backup + "\" has no " + file + " (not a backup?)"));
    }
  }

  // Copy first, then verify the copy: what is checked is what goes in place.
  Partial partial(dir);
  if (Status s = partial.Create(); !s.ok()) return Fail(s);
  for (const char* file : {"data.mdb", "log-key.pem"}) {
    std::error_code ec;
    fs::copy_file(fs::path(backup) / file, fs::path(partial.str()) / file, ec);
    if (ec) {
      return Fail(Status::IoError("store.io", "copying " + std::string(file) + " from \"" + backup +
                                                  "\": " + ec.message()));
    }
  }
  std::error_code ec;
  fs::permissions(fs::path(partial.str()) / "log-key.pem",
                  fs::perms::owner_read | fs::perms::owner_write, ec);

  projections::VerifyReport report;
  {
    auto copy = OpenStore(partial.str(), true);
    if (!copy.ok()) {
      return Fail(Status::Corruption("restore.verify", copy.status().ToString()));
    }
    // The private key must be the one the log's tree heads are signed with,
    // or the restored log could not go on appending.
    auto key = crypto::PrivateKey::Load((fs::path(partial.str()) / "log-key.pem").string());
    if (!key.ok() || key->public_key().raw() != (*copy)->log_key().raw()) {
      return Fail(Status::Invalid("restore.log_key",
                                  "log-key.pem in \"" + backup + "\" is not this log's key"));
    }
    Progress progress("verifying", (*copy)->size());
    projections::VerifyOptions options;
    options.threads = threads;
    options.progress = [&progress](std::uint64_t done, std::uint64_t) { progress.Update(done); };
    auto verified = projections::VerifyLog(**copy, options);
    if (!verified.ok()) {
      return Fail(Status::Corruption("restore.verify",
                                     "the backup does not verify, nothing "
                                     "restored: " +
                                         verified.status().ToString()));
    }
    report = std::move(*verified);
  }
  if (Status s = partial.Commit(); !s.ok()) return Fail(s);
  auto object = HeadValue(report.head).as_object();
  object.emplace_back("restored", dir);
  object.emplace_back("events", static_cast<std::int64_t>(report.events));
  object.emplace_back("signatures", static_cast<std::int64_t>(report.signatures));
  object.emplace_back("verified", true);
  PrintJson(Value(std::move(object)), false);
  return kOk;
}

const bool registered = [] {
  Verbs()["backup"] = {
      "Copy a data directory consistently while ledgerd keeps serving it (LMDB compacting "
      "copy of one commit, with the log key).",
      Backup};
  Verbs()["restore"] = {
      "Verify a backup fully (signatures, rules, root against the signed head) and put it in "
      "place as a new data directory; a copy that does not verify is refused.",
      Restore};
  return true;
}();

}  // namespace
}  // namespace pl::ctl
