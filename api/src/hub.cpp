#include "hub.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <unordered_map>

#include "projections/rules.h"
#include "projections/views.h"

namespace pl::api {

namespace {

enum class Topic { kEvents, kProjects, kCommitments, kPartnerships, kSummary };

std::optional<Topic> ParseTopic(const std::string& name) {
  if (name == "events") return Topic::kEvents;
  if (name == "projects") return Topic::kProjects;
  if (name == "commitments") return Topic::kCommitments;
  if (name == "partnerships") return Topic::kPartnerships;
  if (name == "summary") return Topic::kSummary;
  return std::nullopt;
}

constexpr std::string_view kEventHead = R"({"op":"event","subscription":")";
constexpr std::string_view kUpdateHead = R"({"op":"update","subscription":")";

// What follows the subscription id in an event message.
std::string EventTail(const ledger::Envelope& e, const std::string& authority) {
  std::string tail = R"(","sequence":)" + std::to_string(e.sequence) + R"(,"event":)";
  ledger::AppendCanonicalJson(ledger::ToValue(e), &tail);
  tail += R"(,"authority":)";
  ledger::AppendCanonicalJson(ledger::Value(authority), &tail);
  tail += '}';
  return tail;
}

// What follows the subscription id in an update message.
std::string UpdateTail(std::uint64_t sequence, std::string_view kind, const ledger::Value& entity) {
  std::string tail = R"(","sequence":)" + std::to_string(sequence) + R"(,"kind":")";
  tail += kind;
  tail += R"(","entity":)";
  ledger::AppendCanonicalJson(entity, &tail);
  tail += '}';
  return tail;
}

Message Compose(std::string_view head, const std::string& id, const std::string& tail) {
  std::string text;
  text.reserve(head.size() + id.size() + tail.size());
  text.append(head).append(id).append(tail);
  return std::make_shared<const std::string>(std::move(text));
}

bool TypeMatches(const std::string& filter, const std::string& type) {
  if (filter.size() >= 2 && filter.compare(filter.size() - 2, 2, ".*") == 0) {
    const std::string_view prefix(filter.data(), filter.size() - 1);  // keeps the '.'
    return type.size() > prefix.size() && type.compare(0, prefix.size(), prefix) == 0;
  }
  return filter == type;
}

bool Matches(const SubscriptionSpec& spec, const ledger::Envelope& e,
             const std::vector<std::string>& subjects) {
  const ledger::Decision& d = e.decision.decision;
  if (!spec.body.empty() && spec.body != d.body) return false;
  if (!spec.type.empty() && !TypeMatches(spec.type, d.type)) return false;
  if (!spec.subject.empty() &&
      std::find(subjects.begin(), subjects.end(), spec.subject) == subjects.end()) {
    return false;
  }
  return true;
}

std::string_view KindOf(Topic t) {
  switch (t) {
    case Topic::kProjects:
      return "project";
    case Topic::kCommitments:
      return "commitment";
    case Topic::kPartnerships:
      return "partnership";
    case Topic::kSummary:
      return "summary";
    case Topic::kEvents:
      break;
  }
  return "event";
}

// A state topic's initial content goes out a page at a time, each page read
// from the live state under its lock: a subscriber never waits for, and the
// hub never holds, a whole collection (68,000 projects on a 1 M-event log).
constexpr std::size_t kInitialPage = 256;

// Up to kInitialPage entities of `map` with ids after *after (from the first
// when `first`), as update tails in id order; *after becomes the last id
// taken. Each entity whose version (last_seq) is `since` or later is noted in
// *sent: updates buffered from `since` on that are not newer than it are
// skipped when the subscription goes live. False when nothing follows.
template <typename Map>
bool InitialPage(const Map& map, Topic topic, bool first, std::string* after, std::uint64_t since,
                 std::vector<std::string>* out,
                 std::unordered_map<std::string, std::uint64_t>* sent) {
  auto it = first ? map.begin() : map.upper_bound(*after);
  for (std::size_t n = 0; it != map.end() && n < kInitialPage; ++it, ++n) {
    const auto& entity = it->second;
    out->push_back(UpdateTail(entity.last_seq, KindOf(topic), projections::ToValue(entity)));
    if (entity.last_seq >= since) (*sent)[it->first] = entity.last_seq;
    *after = it->first;
  }
  return it != map.end();
}

constexpr std::uint64_t kCatchUpChunk = 256;
// A catch-up goes live (its buffer delivered in one go) once at most this
// many live messages wait in its buffer.
constexpr std::size_t kGoLiveAtOnce = 16;

Messages One(Message m) { return Pushes::Of({std::move(m)}); }

// "s7" -> 7; nullopt for anything else.
std::optional<std::uint64_t> NumberOf(const std::string& id) {
  if (id.size() < 2 || id.size() > 20 || id[0] != 's' || id[1] == '0') return std::nullopt;
  std::uint64_t n = 0;
  for (std::size_t i = 1; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(id[i] - '0');
  }
  return n;
}
constexpr auto kSummaryInterval = std::chrono::milliseconds(250);

}  // namespace

std::shared_ptr<const Pushes> Pushes::Of(std::vector<Message> messages) {
  auto pushes = std::make_shared<Pushes>();
  if (messages.size() > 1 && messages.size() <= kMaxArray) {
    std::size_t bytes = messages.size() + 1;
    for (const Message& m : messages) bytes += m->size();
    pushes->array.reserve(bytes);
    for (const Message& m : messages) {
      pushes->array += pushes->array.empty() ? '[' : ',';
      pushes->array += *m;
    }
    pushes->array += ']';
  }
  pushes->messages = std::move(messages);
  return pushes;
}

struct Hub::Subscription {
  std::string id;
  const Subscriber* owner = nullptr;
  std::weak_ptr<Subscriber> subscriber;
  Topic topic = Topic::kEvents;
  SubscriptionSpec spec;
  // Guarded by the hub's mutex_.
  bool live = false;            // catch-up done: messages go straight to the subscriber
  bool active = true;           // false once unsubscribed or dropped
  bool overflowed = false;      // the catch-up buffer filled up
  std::uint64_t live_from = 0;  // events (and updates) from this sequence on are live
  std::vector<Message> buffer;  // live messages held while catching up
  // State topics: the entity and version of each buffered update.
  std::vector<std::pair<std::string, std::uint64_t>> buffered_versions;
  // State topics: the entities its initial pages carried at a version at or
  // after live_from (id -> version). An update no newer is stale, whether it
  // is routed before or after the subscription goes live; forgotten once
  // the fan-out has routed past sent_until, the newest of them.
  std::unordered_map<std::string, std::uint64_t> sent;
  std::uint64_t sent_until = 0;

  bool Stale(const std::string& entity, std::uint64_t version) const {
    auto it = sent.find(entity);
    return it != sent.end() && version <= it->second;
  }
};

struct Hub::Commit {
  struct Update {
    Topic topic;
    std::uint64_t sequence;
    std::string tail;
    std::string entity;  // its id
  };
  std::vector<Published> events;
  std::vector<Update> updates;  // by sequence
};

// What one round pushes: every event and update of its commits, each
// serialized once (when a subscription first needs it) and composed once
// per subscription id.
struct Hub::Round {
  struct Item {
    Topic topic;
    std::uint64_t sequence;
    const Published* event = nullptr;  // events topic
    std::string tail;                  // serialized on first use for events
    std::string entity;                // state topics: the entity's id
    std::vector<std::pair<std::string, Message>> by_id;

    const Message& For(const std::string& id) {
      for (const auto& [i, m] : by_id) {
        if (i == id) return m;
      }
      if (event && tail.empty()) tail = EventTail(event->event, event->authority);
      by_id.emplace_back(id, Compose(topic == Topic::kEvents ? kEventHead : kUpdateHead, id, tail));
      return by_id.back().second;
    }
  };
  std::vector<Commit> commits;
  std::vector<Item> items;  // in log order, per topic
  // The same picks under the same id are the same list: shared.
  std::map<std::pair<std::string, std::vector<std::uint32_t>>, Messages> lists;
};

Hub::Hub(projections::Programme& programme, std::size_t max_buffered,
         std::chrono::milliseconds round_interval, std::size_t max_queued_events)
    : programme_(programme),
      max_buffered_(std::max<std::size_t>(1, max_buffered)),
      round_interval_(round_interval),
      max_queued_events_(std::max<std::size_t>(1, max_queued_events)) {
  summary_thread_ = std::thread([this] { SummaryLoop(); });
  fanout_thread_ = std::thread([this] { FanoutLoop(); });
}

Hub::~Hub() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  summary_wake_.notify_all();
  fanout_wake_.notify_all();
  fanout_room_.notify_all();
  summary_thread_.join();
  fanout_thread_.join();
}

Result<std::pair<std::string, std::uint64_t>> Hub::Subscribe(std::weak_ptr<Subscriber> subscriber,
                                                             const SubscriptionSpec& spec,
                                                             const Registered& registered) {
  const std::optional<Topic> topic = ParseTopic(spec.topic);
  if (!topic) {
    return Status::Invalid("subscribe.topic",
                           "unknown topic \"" + spec.topic +
                               "\"; topics: events, projects, commitments, partnerships, summary");
  }
  if (*topic != Topic::kEvents) {
    if (spec.from) {
      return Status::Invalid("subscribe.from", "from applies to the events topic only");
    }
    if (!spec.subject.empty() || !spec.body.empty() || !spec.type.empty()) {
      return Status::Invalid("subscribe.filter", "filters apply to the events topic only");
    }
  }
  if (!spec.type.empty() && (spec.type == "*" || spec.type == ".*")) {
    return Status::Invalid("subscribe.filter", "a type family needs a name before \".*\"");
  }
  std::shared_ptr<Subscriber> self = subscriber.lock();
  if (!self) return Status::Invalid("subscribe.closed", "the session has closed");

  auto sub = std::make_shared<Subscription>();
  sub->owner = self.get();
  sub->subscriber = subscriber;
  sub->topic = *topic;
  sub->spec = spec;

  // Registers the subscription as catching up, live from `size` on.
  // REQUIRES: mutex_ held.
  std::uint64_t size = 0;
  auto enrol = [&](std::uint64_t at) {
    size = at;
    const std::uint64_t number = ++next_number_[sub->owner];
    sub->id = "s" + std::to_string(number);
    sub->live_from = at;
    subscriptions_.emplace(Key{sub->owner, number}, sub);
    if (*topic == Topic::kSummary) ++summary_subscriptions_;
  };

  std::string summary;  // the summary topic's initial content (an update tail)
  if (*topic == Topic::kEvents) {
    std::lock_guard lock(mutex_);
    // Every event >= the size read here is routed after this point (the
    // fan-out routes by sequence, under this lock), so the subscription sees
    // it live (or buffered): nothing falls between.
    const std::uint64_t now = programme_.store().size();
    if (spec.from && *spec.from > now) {
      return Status::Invalid("subscribe.from", "from " + std::to_string(*spec.from) +
                                                   " is beyond the log's " + std::to_string(now) +
                                                   " events");
    }
    enrol(now);
  } else {
    // The readers' state only moves after the writer's commit, and the
    // commit's updates are read from that state when it is published:
    // registering under the state's lock makes every update from the
    // registration point on reach the subscription (buffered until its
    // initial content is out).
    programme_.WithTallied([&](const projections::ProgrammeState& s,
                               const projections::Tallies& tallies) {
      if (*topic == Topic::kSummary) {
        summary =
            UpdateTail(s.size > 0 ? s.size - 1 : 0, "summary", projections::Summary(s, tallies));
      }
      std::lock_guard lock(mutex_);
      enrol(s.size);
    });
  }
  const std::string id = sub->id;
  if (registered) registered(id, size);

  auto active = [&] {
    std::lock_guard lock(mutex_);
    return sub->active;
  };
  // Delivers one catch-up message at the subscriber's pace; false to stop
  // (unsubscribed meanwhile, or too slow).
  auto deliver = [&](std::string_view head, const std::string& tail) {
    if (!active()) return false;
    if (!self->AwaitRoom() || !self->Deliver(One(Compose(head, id, tail)))) {
      Overflowed(self);
      return false;
    }
    return true;
  };

  bool ok = true;
  if (*topic == Topic::kEvents && spec.from) {
    ledger::Store& store = programme_.store();
    for (std::uint64_t f = *spec.from; ok && f < size; f += kCatchUpChunk) {
      const std::uint64_t to = std::min(size, f + kCatchUpChunk);
      std::vector<ledger::Envelope> chunk;
      Status scanned = store.Scan(f, to, [&](const ledger::Envelope& e) {
        if (Matches(spec, e, projections::Subjects(e.decision.decision))) chunk.push_back(e);
        return true;
      });
      if (!scanned.ok()) {
        Unsubscribe(self.get(), id);
        return scanned;
      }
      for (const ledger::Envelope& e : chunk) {
        auto authority = store.Authority(e.sequence);
        if (!authority.ok()) {
          Unsubscribe(self.get(), id);
          return authority.status();
        }
        if (!(ok = deliver(kEventHead, EventTail(e, *authority)))) break;
      }
    }
  } else if (*topic == Topic::kSummary) {
    ok = deliver(kUpdateHead, summary);
  } else if (*topic != Topic::kEvents) {
    // Each entity as it stands when its page is read (at or after `size`);
    // the updates buffered meanwhile that are not newer are dropped at GoLive.
    std::string after;
    std::vector<std::string> page;
    std::unordered_map<std::string, std::uint64_t> page_sent;
    for (bool first = true, more = true; ok && more; first = false) {
      page.clear();
      programme_.WithState([&](const projections::ProgrammeState& s) {
        switch (*topic) {
          case Topic::kProjects:
            more = InitialPage(s.projects, *topic, first, &after, size, &page, &page_sent);
            break;
          case Topic::kCommitments:
            more = InitialPage(s.commitments, *topic, first, &after, size, &page, &page_sent);
            break;
          default:
            more = InitialPage(s.partnerships, *topic, first, &after, size, &page, &page_sent);
            break;
        }
      });
      if (!page_sent.empty()) {
        std::lock_guard lock(mutex_);
        for (const auto& [entity, version] : page_sent) {
          sub->sent[entity] = version;
          sub->sent_until = std::max(sub->sent_until, version);
        }
        page_sent.clear();
      }
      for (const std::string& tail : page) {
        if (!(ok = deliver(kUpdateHead, tail))) break;
      }
    }
  }
  // What was buffered meanwhile also goes at the subscriber's pace (a long
  // catch-up can buffer more than its queue holds), until little is left.
  while (ok) {
    std::vector<Message> held;
    {
      std::lock_guard lock(mutex_);
      if (!sub->active || sub->overflowed || sub->buffer.size() <= kGoLiveAtOnce) break;
      held = TakeBuffered(*sub);
    }
    for (Message& m : held) {
      if (!(ok = active() && self->AwaitRoom() && self->Deliver(One(std::move(m))))) break;
    }
    if (!ok && active()) Overflowed(self);
  }
  if (ok) GoLive(sub);
  return std::make_pair(id, size);
}

std::vector<Message> Hub::TakeBuffered(Subscription& sub) {
  std::vector<Message> held;
  held.reserve(sub.buffer.size());
  // buffered_versions runs beside buffer for state topics and is empty otherwise.
  const bool versions = sub.buffered_versions.size() == sub.buffer.size();
  for (std::size_t i = 0; i < sub.buffer.size(); ++i) {
    if (versions && !sub.sent.empty() &&
        sub.Stale(sub.buffered_versions[i].first, sub.buffered_versions[i].second)) {
      continue;
    }
    held.push_back(std::move(sub.buffer[i]));
  }
  sub.buffer = {};
  sub.buffered_versions = {};
  return held;
}

bool Hub::GoLive(const std::shared_ptr<Subscription>& sub) {
  std::lock_guard deliver(deliver_mutex_);
  std::vector<Outgoing> out;
  bool overflowed = false;
  {
    std::lock_guard lock(mutex_);
    if (!sub->active) return false;
    overflowed = sub->overflowed;
    if (!overflowed) {
      std::vector<Message> held = TakeBuffered(*sub);
      if (!held.empty()) out.push_back({sub->subscriber, sub->owner, Pushes::Of(std::move(held))});
      sub->live = true;
    }
  }
  if (overflowed) {
    if (auto s = sub->subscriber.lock()) Overflowed(s);
    return false;
  }
  DeliverAll(out);
  return true;
}

void Hub::EndLocked(std::map<Key, std::shared_ptr<Subscription>>::iterator it) {
  it->second->active = false;
  if (it->second->topic == Topic::kSummary) --summary_subscriptions_;
  subscriptions_.erase(it);
}

Status Hub::Unsubscribe(const Subscriber* subscriber, const std::string& id) {
  std::lock_guard lock(mutex_);
  const std::optional<std::uint64_t> number = NumberOf(id);
  auto it = number ? subscriptions_.find(Key{subscriber, *number}) : subscriptions_.end();
  if (it == subscriptions_.end()) {
    return Status::NotFound("subscribe.unknown", "no subscription " + id + " on this session");
  }
  EndLocked(it);
  return Status::Ok();
}

void Hub::Drop(const Subscriber* subscriber) {
  std::lock_guard lock(mutex_);
  auto it = subscriptions_.lower_bound(Key{subscriber, 0});
  while (it != subscriptions_.end() && it->first.first == subscriber) EndLocked(it++);
  next_number_.erase(subscriber);
}

void Hub::Overflowed(const std::shared_ptr<Subscriber>& subscriber) {
  bool had = false;
  {
    std::lock_guard lock(mutex_);
    auto it = subscriptions_.lower_bound(Key{subscriber.get(), 0});
    while (it != subscriptions_.end() && it->first.first == subscriber.get()) {
      had = true;
      EndLocked(it++);
    }
    if (had) ++dropped_;
  }
  // Counted and told once, however many of its subscriptions were affected.
  if (had) subscriber->Overflow();
}

void Hub::DeliverAll(std::vector<Outgoing>& out) {
  std::vector<const Subscriber*> dropped;
  for (Outgoing& o : out) {
    if (std::find(dropped.begin(), dropped.end(), o.owner) != dropped.end()) continue;
    std::shared_ptr<Subscriber> s = o.to.lock();
    if (!s) continue;
    if (!s->Deliver(std::move(o.messages))) {
      dropped.push_back(o.owner);
      Overflowed(s);
    }
  }
}

void Hub::Publish(std::vector<Published> events) {
  if (events.empty()) return;
  bool want_projects = false, want_commitments = false, want_partnerships = false,
       wake_summary = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, sub] : subscriptions_) {
      want_projects = want_projects || sub->topic == Topic::kProjects;
      want_commitments = want_commitments || sub->topic == Topic::kCommitments;
      want_partnerships = want_partnerships || sub->topic == Topic::kPartnerships;
    }
    if (summary_subscriptions_ > 0) wake_summary = summary_dirty_ = true;
  }
  if (wake_summary) summary_wake_.notify_all();

  Commit commit;
  if (want_projects || want_commitments || want_partnerships) {
    const std::uint64_t first = events.front().event.sequence;
    std::set<std::string> touched;
    for (const Published& p : events) touched.insert(p.subjects.begin(), p.subjects.end());
    // The writer publishes right after its commit, before the next one: the
    // state read here is the state after this commit.
    programme_.WithState([&](const projections::ProgrammeState& s) {
      auto changed = [&](bool wanted, Topic topic, const auto& map, const std::string& id) {
        if (!wanted) return;
        auto it = map.find(id);
        if (it == map.end() || it->second.last_seq < first) return;
        commit.updates.push_back(
            {topic, it->second.last_seq,
             UpdateTail(it->second.last_seq, KindOf(topic), projections::ToValue(it->second)), id});
      };
      for (const std::string& id : touched) {
        changed(want_projects, Topic::kProjects, s.projects, id);
        changed(want_commitments, Topic::kCommitments, s.commitments, id);
        changed(want_partnerships, Topic::kPartnerships, s.partnerships, id);
      }
    });
    std::stable_sort(
        commit.updates.begin(), commit.updates.end(),
        [](const Commit::Update& a, const Commit::Update& b) { return a.sequence < b.sequence; });
  }
  // The events are serialized by the fan-out thread, once, if anyone wants them.
  commit.events = std::move(events);
  {
    std::unique_lock lock(mutex_);
    fanout_room_.wait(lock, [this] { return stopping_ || queued_events_ < max_queued_events_; });
    queued_events_ += commit.events.size();
    commits_.push_back(std::move(commit));
  }
  fanout_wake_.notify_one();
}

void Hub::FanoutLoop() {
  auto last = std::chrono::steady_clock::now() - round_interval_;
  std::unique_lock lock(mutex_);
  for (;;) {
    fanout_wake_.wait(lock, [this] { return stopping_ || !commits_.empty(); });
    if (commits_.empty()) return;  // stopping, and everything published went out
    // At most one round per interval: what arrives meanwhile joins it.
    fanout_wake_.wait_until(lock, last + round_interval_, [this] { return stopping_; });
    Round round;
    round.commits.assign(std::make_move_iterator(commits_.begin()),
                         std::make_move_iterator(commits_.end()));
    commits_.clear();
    queued_events_ = 0;
    fanout_room_.notify_all();
    lock.unlock();

    last = std::chrono::steady_clock::now();
    for (Commit& c : round.commits) {
      for (const Published& p : c.events) {
        round.items.push_back({Topic::kEvents, p.event.sequence, &p, {}, {}, {}});
      }
      for (Commit::Update& u : c.updates) {
        round.items.push_back(
            {u.topic, u.sequence, nullptr, std::move(u.tail), std::move(u.entity), {}});
      }
    }
    Route(round);
    lock.lock();
  }
}

void Hub::Route(Round& round) {
  std::lock_guard deliver(deliver_mutex_);
  std::vector<Outgoing> out;
  {
    std::lock_guard lock(mutex_);
    std::vector<std::uint32_t> picks;
    for (const auto& [key, sub] : subscriptions_) {
      if (sub->topic == Topic::kSummary) continue;  // the summary has its own thread
      picks.clear();
      for (std::uint32_t i = 0; i < round.items.size(); ++i) {
        const Round::Item& item = round.items[i];
        if (item.topic != sub->topic || item.sequence < sub->live_from) continue;
        if (item.event && !Matches(sub->spec, item.event->event, item.event->subjects)) continue;
        if (!item.event && sub->Stale(item.entity, item.sequence)) continue;
        picks.push_back(i);
      }
      if (sub->live && !sub->sent.empty() && !round.items.empty() &&
          round.items.back().sequence >= sub->sent_until) {
        sub->sent = {};  // routed past every version its pages carried
      }
      if (picks.empty()) continue;
      if (!sub->live) {
        if (sub->overflowed) continue;
        for (std::uint32_t i : picks) {
          if (sub->buffer.size() >= max_buffered_) {
            sub->overflowed = true;  // dropped as too slow when its catch-up ends
            sub->buffer = {};
            sub->buffered_versions = {};
            break;
          }
          sub->buffer.push_back(round.items[i].For(sub->id));
          if (sub->topic != Topic::kEvents) {
            sub->buffered_versions.emplace_back(round.items[i].entity, round.items[i].sequence);
          }
        }
        continue;
      }
      Messages& list = round.lists[{sub->id, picks}];
      if (!list) {
        std::vector<Message> messages;
        messages.reserve(picks.size());
        for (std::uint32_t i : picks) messages.push_back(round.items[i].For(sub->id));
        list = Pushes::Of(std::move(messages));
      }
      if (!out.empty() && out.back().owner == sub->owner) {
        // A session's subscriptions are adjacent: one delivery for all of them.
        std::vector<Message> merged = out.back().messages->messages;
        merged.insert(merged.end(), list->messages.begin(), list->messages.end());
        out.back().messages = Pushes::Of(std::move(merged));
      } else {
        out.push_back({sub->subscriber, sub->owner, list});
      }
    }
  }
  DeliverAll(out);
}

void Hub::SummaryLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    summary_wake_.wait(
        lock, [this] { return stopping_ || (summary_dirty_ && summary_subscriptions_ > 0); });
    if (stopping_) return;
    summary_dirty_ = false;
    lock.unlock();

    std::string tail;
    std::uint64_t size = 0;
    programme_.WithTallied([&](const projections::ProgrammeState& s,
                               const projections::Tallies& tallies) {
      size = s.size;
      tail = UpdateTail(s.size > 0 ? s.size - 1 : 0, "summary", projections::Summary(s, tallies));
    });
    {
      // Only subscriptions whose initial summary predates this one get it.
      std::lock_guard deliver(deliver_mutex_);
      std::vector<Outgoing> out;
      {
        std::lock_guard inner(mutex_);
        for (const auto& [key, sub] : subscriptions_) {
          if (sub->topic != Topic::kSummary || size <= sub->live_from) continue;
          Message m = Compose(kUpdateHead, sub->id, tail);
          if (sub->live) {
            out.push_back({sub->subscriber, sub->owner, One(std::move(m))});
          } else {
            sub->buffer.clear();  // only the newest summary matters
            sub->buffer.push_back(std::move(m));
          }
          sub->live_from = size;
        }
      }
      DeliverAll(out);
    }

    lock.lock();
    // At most four a second: whatever arrives meanwhile is coalesced.
    summary_wake_.wait_for(lock, kSummaryInterval, [this] { return stopping_; });
  }
}

std::size_t Hub::subscriptions() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

std::uint64_t Hub::dropped_slow() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace pl::api
