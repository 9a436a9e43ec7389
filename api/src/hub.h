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
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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
};

struct SubscriptionSpec {
  std::string topic;  // events, projects, commitments, partnerships, summary
  // events filters (empty = any): subject, body, type (exact or family.*)
  std::string subject, body, type;
  std::optional<std::uint64_t> from;  // events: catch-up from this sequence
};

class Hub {
 public:
  explicit Hub(projections::Programme& programme);

  // Registers a subscription; returns its id ("s1", ...) and the log size at
  // registration, or an error ("subscribe.topic", "subscribe.from").
  // Catch-up and initial state are delivered before any live message.
  Result<std::pair<std::string, std::uint64_t>> Subscribe(std::weak_ptr<Subscriber> subscriber,
                                                          const SubscriptionSpec& spec);
  Status Unsubscribe(const Subscriber* subscriber, const std::string& id);
  // Drops every subscription of a subscriber (on disconnect).
  void Drop(const Subscriber* subscriber);

  // Called by the writer, in log order, after each commit.
  void Publish(const std::vector<Published>& events);

  std::size_t subscriptions() const;
  std::uint64_t dropped_slow() const;
};

}  // namespace pl::api
