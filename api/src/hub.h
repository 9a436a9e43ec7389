// Hub: live subscriptions and their fan-out, independent of the transport.
//
// The writer publishes each commit's events in log order. Every subscription
// receives the messages (already serialized JSON text) that match it. A
// subscription that asks for a catch-up from sequence F first gets the
// stored events [F, S) read from the store, where S is the log size at the
// moment it registered, then the live events from S on, which the hub
// buffered meanwhile: no gap and no duplicate across the switch.
//
// Delivery never blocks the writer: Deliver() on a Subscriber only queues;
// a subscriber whose queue is full is told to close (too slow) and dropped.
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
// sequence of the last of them. The summary is pushed at most four times a
// second, coalesced, with the sequence of the last event it includes.
#pragma once

#include <condition_variable>
#include <cstdint>
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

// The receiving side of a session. Thread-safe: called from the writer thread.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Queues one message; returns false when the subscriber's queue is full
  // (the hub then drops every subscription of it and calls Overflow()).
  virtual bool Deliver(std::shared_ptr<const std::string> message) = 0;
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
  // its catch-up runs; more, and it is dropped as too slow.
  explicit Hub(projections::Programme& programme, std::size_t max_buffered = 65536);
  ~Hub();  // stops the summary thread
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

  // Called by the writer, in log order, after each commit.
  void Publish(const std::vector<Published>& events);

  std::size_t subscriptions() const;
  std::uint64_t dropped_slow() const;

 private:
  struct Subscription;
  using Message = std::shared_ptr<const std::string>;
  struct Outgoing {
    std::weak_ptr<Subscriber> to;
    Message message;
  };
  struct Pending;  // one publish's serialized messages

  void Route(const Pending& pending);
  // Delivers in order; drops (and tells) subscribers whose queue is full.
  // REQUIRES: deliver_mutex_ held, mutex_ not held.
  void DeliverAll(std::vector<Outgoing>& out);
  void Overflowed(const std::shared_ptr<Subscriber>& subscriber);
  bool GoLive(const std::shared_ptr<Subscription>& sub);
  void SummaryLoop();

  projections::Programme& programme_;
  const std::size_t max_buffered_;
  // Held across a routing and its delivery, so that a subscription switching
  // from catch-up to live never sees a live message overtake a buffered one.
  std::mutex deliver_mutex_;
  mutable std::mutex mutex_;  // everything below
  std::map<std::string, std::shared_ptr<Subscription>> subscriptions_;
  std::uint64_t next_id_ = 1;
  std::uint64_t dropped_ = 0;
  std::size_t summary_subscriptions_ = 0;
  bool summary_dirty_ = false;
  bool stopping_ = false;
  std::condition_variable summary_wake_;
  std::thread summary_thread_;
};

}  // namespace pl::api
