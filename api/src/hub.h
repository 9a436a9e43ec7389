// Hub: live subscriptions and their fan-out, independent of the transport.
//
// The writer publishes each commit's events in log order and goes back to
// committing: Publish() only queues them. The hub's own fan-out thread takes
// every commit queued since its last round (a round at most every
// round_interval, so that thousands of subscribers get a few larger
// deliveries a second rather than one per commit), serializes each event
// once, and hands every subscriber that round's messages in one Deliver().
// Subscription ids are numbered per session ("s1", "s2", ...), so the many
// sessions holding the same subscription ("s1" on every event) share the
// very same message bytes and the same list of them.
//
// A subscription that asks for a catch-up from sequence F first gets the
// stored events [F, S) read from the store, where S is the log size at the
// moment it registered, then the live events from S on, which the hub
// buffered meanwhile: no gap and no duplicate across the switch. A state
// topic's subscription gets the current entities a page at a time, each page
// read from the live state as the client takes them, then the updates from
// S on, less those no newer than the version a page carried.
//
// Delivery never blocks the writer or the fan-out: Deliver() on a Subscriber
// only queues; a subscriber whose queue is full is told to close (too slow)
// and dropped. The queue between the writer and the fan-out thread is
// bounded too (max_queued_events); only when the fan-out itself falls that
// far behind does Publish() wait, which slows commits, not other clients.
//
// Thread-safety: every method may be called from any thread. Publish() is
// called by the one writer thread; Subscribe() does its catch-up in the
// caller's thread (which must not be the subscriber's own I/O strand, since
// it may wait in AwaitRoom() for the subscriber's queue to drain). No
// Subscriber method is called with the hub's lock held.
//
// Message formats (docs/api.md):
//   {"op":"event","subscription":"s1","sequence":N,"event":{...},"authority":"..."}
//   {"op":"update","subscription":"s1","sequence":N,"kind":"project","entity":{...}}
// An update carries an entity as it stands after the commit that changed it;
// an entity changed by several events of one commit is pushed once, with the
// sequence of the last of them. The summary is pushed at most four a
// second, coalesced, with the sequence of the last event it includes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/envelope.h"
#include "projections/programme.h"

namespace pl::api {

// What one appended event brings to subscribers.
struct Published {
  ledger::Envelope event;
  std::string authority;
  std::vector<std::string> subjects;
};

// One pushed message (JSON text), shared by every session that gets it.
using Message = std::shared_ptr<const std::string>;

// Pushes for one subscriber, in order; shared by every subscriber that gets
// the same ones.
struct Pushes {
  // A batched WebSocket message holds at most this many (docs/api.md).
  static constexpr std::size_t kMaxArray = 256;

  // `array` is made when there are 2 to kMaxArray messages.
  static std::shared_ptr<const Pushes> Of(std::vector<Message> messages);

  std::vector<Message> messages;
  // The same messages as one JSON array (the form a session that asked for
  // "batch": true sends), made once for every session; empty when not made.
  std::string array;
};
using Messages = std::shared_ptr<const Pushes>;

// The receiving side of a session. Thread-safe: called from the hub's threads.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Queues the messages, in order, all or none; returns false when the
  // subscriber's queue has no room for all of them (the hub then drops
  // every subscription of it and calls Overflow()).
  virtual bool Deliver(Messages messages) = 0;
  // Closes the session as too slow (close code 1008, "session.too_slow").
  virtual void Overflow() = 0;
  // Called by a catch-up before each Deliver(): waits until the queue has
  // room again (the catch-up goes at the pace the client reads). False when
  // the subscriber closed or did not drain in time: the catch-up then stops
  // and the subscriber is dropped as too slow.
  virtual bool AwaitRoom() { return true; }
};

struct SubscriptionSpec {
  std::string topic;  // events, projects, commitments, partnerships, summary
  // events filters (empty = any): subject, body, type (exact or family.*)
  std::string subject, body, type;
  std::optional<std::uint64_t> from;  // events: catch-up from this sequence
};

class Hub {
 public:
  // max_buffered bounds the live messages held for one subscription while
  // its catch-up runs; more, and it is dropped as too slow. round_interval:
  // the fan-out delivers at most once per interval (a commit waits that long
  // at most before it goes out; zero: as soon as the previous round is done).
  // max_queued_events: events published and not yet fanned out, at most.
  explicit Hub(projections::Programme& programme, std::size_t max_buffered = 65536,
               std::chrono::milliseconds round_interval = kRoundInterval,
               std::size_t max_queued_events = 100000);
  ~Hub();  // fans out what is queued, then stops its threads

  // Ten deliveries a second per subscriber at most: 2,000 subscribers of
  // every event cost 20,000 writes a second however many events there are.
  static constexpr std::chrono::milliseconds kRoundInterval{100};
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Called once the subscription is registered, before any of its messages
  // is delivered (so that the session can answer the subscribe request first).
  using Registered = std::function<void(const std::string& id, std::uint64_t size)>;

  // Registers a subscription; returns its id ("s1", ...) and the log size at
  // registration, or an error ("subscribe.topic", "subscribe.from",
  // "subscribe.filter", "subscribe.closed"). Catch-up and initial state are
  // delivered (in the caller's thread) before any live message; Subscribe
  // returns when the subscription is live (or was dropped meanwhile).
  Result<std::pair<std::string, std::uint64_t>> Subscribe(std::weak_ptr<Subscriber> subscriber,
                                                          const SubscriptionSpec& spec,
                                                          const Registered& registered = {});
  // Error "subscribe.unknown" when the subscriber has no such subscription.
  Status Unsubscribe(const Subscriber* subscriber, const std::string& id);
  // Drops every subscription of a subscriber (on disconnect).
  void Drop(const Subscriber* subscriber);

  // Called by the writer, in log order, after each commit. Queues the events
  // for the fan-out thread and returns.
  void Publish(std::vector<Published> events);

  std::size_t subscriptions() const;
  std::uint64_t dropped_slow() const;

 private:
  struct Subscription;
  // Subscriptions by session, then by number: a session's are adjacent.
  using Key = std::pair<const Subscriber*, std::uint64_t>;
  struct Outgoing {
    std::weak_ptr<Subscriber> to;
    const Subscriber* owner;
    Messages messages;
  };
  struct Commit;  // one publish: its events and the state updates it made
  struct Round;   // the commits fanned out together

  void FanoutLoop();
  void Route(Round& round);
  // Delivers in order; drops (and tells) subscribers whose queue is full.
  // REQUIRES: deliver_mutex_ held, mutex_ not held.
  void DeliverAll(std::vector<Outgoing>& out);
  void Overflowed(const std::shared_ptr<Subscriber>& subscriber);
  // Ends one subscription. REQUIRES: mutex_ held.
  void EndLocked(std::map<Key, std::shared_ptr<Subscription>>::iterator it);
  // Empties the subscription's buffer, leaving out stale updates (no newer
  // than what its initial pages carried). REQUIRES: mutex_ held.
  std::vector<Message> TakeBuffered(Subscription& sub);
  bool GoLive(const std::shared_ptr<Subscription>& sub);
  void SummaryLoop();

  projections::Programme& programme_;
  const std::size_t max_buffered_;
  const std::chrono::milliseconds round_interval_;
  const std::size_t max_queued_events_;
  // Held across a routing and its delivery, so that a subscription switching
  // from catch-up to live never sees a live message overtake a buffered one.
  std::mutex deliver_mutex_;
  mutable std::mutex mutex_;  // everything below
  std::map<Key, std::shared_ptr<Subscription>> subscriptions_;
  std::map<const Subscriber*, std::uint64_t> next_number_;  // per session
  std::uint64_t dropped_ = 0;
  std::size_t summary_subscriptions_ = 0;
  bool summary_dirty_ = false;
  bool stopping_ = false;
  std::condition_variable summary_wake_;
  std::deque<Commit> commits_;  // published, not yet fanned out
  std::size_t queued_events_ = 0;
  std::condition_variable fanout_wake_;
  std::condition_variable fanout_room_;
  std::thread summary_thread_;
  std::thread fanout_thread_;
};

}  // namespace pl::api
