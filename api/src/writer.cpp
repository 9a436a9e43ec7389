#include "writer.h"

#include <algorithm>
#include <chrono>
#include <exception>

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

bool Writer::Submit(Submission submission) {
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
  for (Submission* s : members) any_expectation = any_expectation || !s->expectations.empty();
  for (Submission* s : members) {
    for (std::size_t i = 0; i < s->decisions.size(); ++i) {
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
    result = programme_.Submit(decisions, all_or_nothing, std::nullopt, expectations);
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
    // recorded_at: every event of one commit carries the commit's tree-head time.
    Published p{ledger::Envelope{d.sequence, all.head.timestamp, decisions[i], d.leaf_hash},
                d.authority, projections::Subjects(decisions[i].decision)};
    published.push_back(std::move(p));
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
  if (!published.empty()) hub_.Publish(published);
}

}  // namespace pl::api
