#include "writer.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <span>

#include "projections/rules.h"

namespace pl::api {

Writer::Writer(projections::Programme& programme, Hub& hub, std::size_t max_group_commit,
               std::function<void(double, std::size_t)> on_commit,
               std::function<void(const std::string&)> on_refusal)
    : programme_(programme),
      hub_(hub),
      max_group_commit_(std::max<std::size_t>(1, max_group_commit)),
      on_commit_(std::move(on_commit)),
      on_refusal_(std::move(on_refusal)) {
  thread_ = std::thread([this] { Run(); });
}

Writer::~Writer() { Stop(); }

namespace {

// Each decision's signatures verified against the keys the live state holds
// for their key ids (Writer's contract in writer.h): true when all of them
// verify; false leaves every check to the writer.
std::vector<bool> VerifyEarly(const projections::Programme& programme,
                              const std::vector<ledger::SignedDecision>& decisions) {
  std::vector<std::pair<crypto::Hash, crypto::PublicKey>> keys;
  auto find = [&keys](const crypto::Hash& id) -> const crypto::PublicKey* {
    for (const auto& [key_id, key] : keys) {
      if (key_id == id) return &key;
    }
    return nullptr;
  };
  programme.WithState([&](const projections::ProgrammeState& s) {
    for (const ledger::SignedDecision& d : decisions) {
      for (const ledger::DecisionSignature& sig : d.signatures) {
        if (find(sig.key_id)) continue;
        if (const crypto::PublicKey* key = projections::FindPublicKey(s, sig.key_id)) {
          keys.emplace_back(sig.key_id, *key);
        }
      }
    }
  });
  std::vector<bool> verified(decisions.size(), false);
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    verified[i] = ledger::VerifySignatures(decisions[i], find).ok();
  }
  return verified;
}

}  // namespace

bool Writer::Submit(Submission submission) {
  submission.signatures_verified = VerifyEarly(programme_, submission.decisions);
  verified_early_ += static_cast<std::uint64_t>(std::count(
      submission.signatures_verified.begin(), submission.signatures_verified.end(), true));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    queue_.push_back(std::move(submission));
  }
  ready_.notify_one();
  return true;
}

void Writer::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  std::lock_guard join(join_mutex_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::size_t Writer::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Writer::Run() {
  for (;;) {
    std::vector<Submission> group;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      group = TakeGroup();
    }
    Commit(group);
  }
}

std::vector<Submission> Writer::TakeGroup() {
  std::vector<Submission> group;
  if (queue_.front().batch) {
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
    return group;
  }
  std::size_t decisions = 0;
  while (!queue_.empty() && !queue_.front().batch &&
         (group.empty() || decisions + queue_.front().decisions.size() <= max_group_commit_)) {
    decisions += queue_.front().decisions.size();
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

namespace {

void Answer(Submission& s, Result<projections::SubmitResult> outcome) {
  if (!s.done) return;
  try {
    s.done(std::move(outcome));
  } catch (const std::exception&) {
    // A completion must not take the writer down; the session has gone.
  }
}

}  // namespace

void Writer::Commit(std::vector<Submission>& group) {
  // Submissions that cannot join the commit are answered at once.
  std::vector<Submission*> members;
  for (Submission& s : group) {
    if (!s.expectations.empty() && s.expectations.size() != s.decisions.size()) {
      Answer(s, Status::Invalid("submit.expect", "one expectation (or null) per decision"));
    } else if (s.decisions.empty()) {
      Answer(s, projections::SubmitResult{{}, programme_.store().head()});
    } else {
      members.push_back(&s);
    }
  }
  if (members.empty()) return;

  std::vector<ledger::SignedDecision> decisions;
  std::vector<std::optional<projections::Expectation>> expectations;
  bool any_expectation = false;
  std::size_t count = 0;
  for (Submission* s : members) {
    any_expectation = any_expectation || !s->expectations.empty();
    count += s->decisions.size();
  }
  auto verified = std::make_unique<bool[]>(count);  // a span of bool needs real bools
  decisions.reserve(count);
  for (Submission* s : members) {
    for (std::size_t i = 0; i < s->decisions.size(); ++i) {
      verified[decisions.size()] = i < s->signatures_verified.size() && s->signatures_verified[i];
      decisions.push_back(std::move(s->decisions[i]));
      if (any_expectation) {
        expectations.push_back(s->expectations.empty() ? std::nullopt : s->expectations[i]);
      }
    }
  }
  // A batch is always alone in its group (TakeGroup).
  const bool all_or_nothing = members.size() == 1 && members.front()->batch;

  const auto started = std::chrono::steady_clock::now();
  Result<projections::SubmitResult> result = Status::IoError("server.internal", "not submitted");
  try {
    result = programme_.Submit(decisions, all_or_nothing, std::nullopt, expectations,
                               std::span<const bool>(verified.get(), count));
  } catch (const std::exception& e) {
    result = Status::IoError("server.internal", std::string("the commit failed: ") + e.what());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!result.ok()) {
    for (Submission* s : members) Answer(*s, result.status());
    return;
  }

  const projections::SubmitResult& all = *result;
  std::vector<Published> published;
  for (std::size_t i = 0; i < all.decisions.size(); ++i) {
    const projections::Submitted& d = all.decisions[i];
    if (!d.status.ok()) {
      if (on_refusal_ && d.status.rule() != "batch.refused") on_refusal_(d.status.rule());
      continue;
    }
    if (d.duplicate) continue;
    // recorded_at: every event of one commit carries the commit's tree-head
    // time. The decisions are done with: each moves into its event.
    std::vector<std::string> subjects = projections::Subjects(decisions[i].decision);
    published.push_back(Published{
        ledger::Envelope{d.sequence, all.head.timestamp, std::move(decisions[i]), d.leaf_hash},
        d.authority, std::move(subjects)});
  }
  std::sort(published.begin(), published.end(), [](const Published& a, const Published& b) {
    return a.event.sequence < b.event.sequence;
  });
  if (on_commit_ && !published.empty()) on_commit_(seconds, published.size());

  // Durable: answer first, then tell the subscribers.
  std::size_t offset = 0;
  for (Submission* s : members) {
    projections::SubmitResult mine;
    mine.head = all.head;
    const auto n = s->decisions.size();
    mine.decisions.assign(all.decisions.begin() + static_cast<std::ptrdiff_t>(offset),
                          all.decisions.begin() + static_cast<std::ptrdiff_t>(offset + n));
    offset += n;
    Answer(*s, std::move(mine));
  }
  if (!published.empty()) hub_.Publish(std::move(published));
}

}  // namespace pl::api
