#include "websocket_session.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace pl::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using ledger::Value;

namespace {

// Subscriptions one session may hold at once.
constexpr std::size_t kMaxSubscriptions = 64;
// Nesting accepted in a request (docs/api.md).
constexpr unsigned kMaxDepth = 16;

Message Serialize(const Value& v) {
  return std::make_shared<const std::string>(ledger::CanonicalJson(v));
}

template <class Next>
class WebSocketSession final : public std::enable_shared_from_this<WebSocketSession<Next>>,
                               public Subscriber,
                               public Closable {
 public:
  WebSocketSession(ServerContext& ctx, Next&& next, std::shared_ptr<ConnectionSlot> slot)
      : ctx_(ctx),
        ws_(std::move(next)),
        strand_(ws_.get_executor()),
        slot_(std::move(slot)),
        max_bytes_(std::max<std::size_t>(1, ctx.options.max_message_bytes)),
        max_queued_(std::max<std::size_t>(1, ctx.options.max_queued_messages)) {
    beast::error_code ec;
    const auto peer = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    if (!ec) peer_ = peer.address().to_string() + ":" + std::to_string(peer.port());
  }

  ~WebSocketSession() override { Finish(); }

  void Run(HttpRequest&& req) {
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.idle_timeout = std::chrono::seconds(ctx_.options.idle_timeout_seconds);
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "ledgerd"); }));
    // The size limit is enforced in OnRead, so that an oversized message is
    // answered (request.too_large) and closed with a reason, not just cut.
    ws_.read_message_max(0);
    // Each message goes out as one frame: Beast's default cuts messages into
    // 4 KB frames, one system call each, and a batch of pushes is tens of KB.
    ws_.auto_fragment(false);
    // The upgrade's Authorization header (checked by the HTTP session) opens
    // the audit trail for the whole session; so may the auth op later.
    std::optional<std::string_view> authorization;
    if (auto it = req.find(http::field::authorization); it != req.end()) {
      authorization = std::string_view(it->value().data(), it->value().size());
    }
    audit_allowed_ = ctx_.audit_access.CheckHeader(authorization).ok();
    upgrade_ = std::move(req);  // kept until the handshake is done
    ws_.async_accept(
        upgrade_, beast::bind_front_handler(&WebSocketSession::OnAccept, this->shared_from_this()));
  }

  // --- Subscriber (any thread) ---

  bool Deliver(Messages messages) override {
    if (closed_.load()) return true;  // closing: nothing more goes out, and it is not slow
    const std::size_t n = messages->messages.size();
    if (queued_.fetch_add(n) + n > max_queued_) {
      queued_.fetch_sub(n);
      return false;
    }
    // One post for the whole delivery (a round of the hub's fan-out).
    net::post(strand_, [self = this->shared_from_this(), m = std::move(messages)]() mutable {
      self->PushPushes(std::move(m));
    });
    return true;
  }

  void Overflow() override {
    closed_ = true;
    WakeWaiters();
    net::post(strand_, [self = this->shared_from_this()] { self->BeginClose(Close::kTooSlow); });
  }

  bool AwaitRoom() override {
    if (closed_.load()) return false;
    if (queued_.load() < max_queued_) return true;
    std::unique_lock lock(room_mutex_);
    ++waiters_;
    const bool room =
        room_.wait_for(lock, std::chrono::seconds(std::max(1u, ctx_.options.idle_timeout_seconds)),
                       [this] { return closed_.load() || queued_.load() <= max_queued_ / 2; });
    --waiters_;
    return room && !closed_.load();
  }

  // --- Closable (any thread) ---

  void Shutdown() override {
    // Its subscriptions end first, so that a catch-up stopped by the
    // shutdown is not counted as a client too slow.
    ctx_.hub.Drop(this);
    closed_ = true;
    WakeWaiters();
    net::post(strand_, [self = this->shared_from_this()] { self->BeginClose(Close::kStopping); });
  }

 private:
  enum class Close { kNone, kTooSlow, kTooLarge, kStopping };
  // An answer (message), or a delivery of pushes (counted).
  struct Outgoing {
    Message message;
    Messages pushes;
    bool counted;  // subscription messages, counted against max_queued
    std::size_t size() const { return pushes ? pushes->messages.size() : 1; }
    const std::string& at(std::size_t i) const { return pushes ? *pushes->messages[i] : *message; }
  };

  void OnAccept(beast::error_code ec) {
    upgrade_ = {};
    if (ec) {
      ctx_.log.Debug("websocket handshake failed", {{"peer", peer_}, {"error", ec.message()}});
      return;
    }
    opened_ = true;
    ctx_.metrics.SessionOpened();
    ctx_.Register(this->shared_from_this());
    ctx_.log.Debug("session opened", {{"peer", peer_}});
    // Stop() may have run between the upgrade and now.
    if (ctx_.stopping) return BeginClose(Close::kStopping);
    DoRead();
  }

  // --- reading (strand) ---

  void DoRead() {
    if (close_ != Close::kNone || finished_) return;
    // A client that does not read its answers is not read from either, so
    // the answers waiting for it stay bounded; OnWrite resumes.
    if (queue_messages_ >= max_queued_) {
      read_paused_ = true;
      return;
    }
    // Never more than one byte over the limit in the buffer.
    const std::size_t room = max_bytes_ + 1 - buffer_.size();
    ws_.async_read_some(
        buffer_, room,
        beast::bind_front_handler(&WebSocketSession::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec != websocket::error::closed && ec != net::error::operation_aborted &&
          ec != beast::error::timeout && ec != net::error::eof &&
          ec != net::error::connection_reset) {
        ctx_.log.Debug("session read failed", {{"peer", peer_}, {"error", ec.message()}});
      }
      return Finish();
    }
    if (buffer_.size() > max_bytes_) {
      ctx_.log.Info("request too large; closing",
                    {{"peer", peer_}, {"limit", std::to_string(max_bytes_)}});
      Respond(Protocol::Error(nullptr, Status::Invalid("request.too_large",
                                                       "a message may have at most " +
                                                           std::to_string(max_bytes_) + " bytes")));
      buffer_.consume(buffer_.size());
      return BeginClose(Close::kTooLarge);
    }
    if (!ws_.is_message_done()) return DoRead();
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    HandleMessage(text, ws_.got_text());
    DoRead();
  }

  void HandleMessage(const std::string& text, bool is_text) {
    auto refuse = [this](const Value* id, const char* rule, std::string message) {
      Respond(Protocol::Error(id, Status::Invalid(rule, std::move(message))));
    };
    if (!is_text) return refuse(nullptr, "request.json", "requests are JSON text messages");
    auto parsed = ledger::ParseJson(text, ledger::JsonLimits{kMaxDepth, max_bytes_});
    if (!parsed.ok()) {
      ctx_.metrics.Query("");
      return refuse(nullptr, "request.json", parsed.status().ToString());
    }
    const Value& request = *parsed;
    if (!request.is_object()) {
      ctx_.metrics.Query("");
      return refuse(nullptr, "request.shape", "a request is a JSON object");
    }
    const Value* id = request.find("id");
    if (!id || (id->kind() != Value::Kind::kString && id->kind() != Value::Kind::kInt)) {
      ctx_.metrics.Query("");
      return refuse(nullptr, "request.shape", "\"id\" (a string or an integer) is required");
    }
    const Value* op = request.find("op");
    if (!op || op->kind() != Value::Kind::kString) {
      ctx_.metrics.Query("");
      return refuse(id, "request.shape", "\"op\" (a string) is required");
    }
    const std::string& name = op->as_string();
    ctx_.metrics.Query(name);
    if (close_ != Close::kNone) return refuse(id, "server.stopping", "the session is closing");
    if (pending_ >= ctx_.options.max_pending_requests) {
      return refuse(id, "session.busy",
                    "at most " + std::to_string(ctx_.options.max_pending_requests) +
                        " requests may be in flight; wait for answers");
    }
    if (name == "auth") return Authenticate(request, *id);
    if (!audit_allowed_ && AuditAccess::Protects(name, request)) {
      const Status refusal = ctx_.audit_access.Check(std::nullopt);
      return refuse(id, refusal.rule().c_str(), refusal.message());
    }
    if (name == "subscribe") return Subscribe(request, *id);
    if (name == "unsubscribe") return Unsubscribe(request, *id);
    if (name == "submit" && ctx_.stopping) {
      return refuse(id, "server.stopping",
                    "the server is shutting down; submit elsewhere or later");
    }
    ++pending_;
    auto answered = std::make_shared<std::atomic<bool>>(false);
    // The request moves into the protocol; what a failure needs is kept.
    const std::string op_name = name;
    const Value request_id = *id;
    try {
      ctx_.protocol.Handle(std::move(*parsed),
                           [self = this->shared_from_this(), answered](Value response) {
                             if (answered->exchange(true)) return;
                             self->Complete(std::move(response));
                           });
    } catch (const std::exception& e) {
      ctx_.log.Error("request failed", {{"op", op_name}, {"error", e.what()}});
      if (!answered->exchange(true)) {
        --pending_;
        refuse(&request_id, "server.internal", "the request failed");
      }
    }
  }

  // {"op": "auth", "token": T}: opens the audit trail for this session (for
  // clients, such as browsers, that cannot set headers on the upgrade).
  void Authenticate(const Value& request, const Value& id) {
    const Value* token = request.find("token");
    if (!token || token->kind() != Value::Kind::kString) {
      return Respond(Protocol::Error(
          &id, Status::Invalid("request.param", "token: a string (the bearer token) is required")));
    }
    const Status access = ctx_.audit_access.Check(token->as_string());
    if (!access.ok()) {
      ctx_.log.Info("audit access refused", {{"peer", peer_}, {"rule", access.rule()}});
      return Respond(Protocol::Error(&id, access));
    }
    audit_allowed_ = true;
    Respond(Protocol::Ok(&id, Value(Value::Object{{"audit", true}})));
  }

  void Subscribe(const Value& request, const Value& id) {
    auto param = [&](const std::string& message) {
      Respond(Protocol::Error(&id, Status::Invalid("request.param", message)));
    };
    SubscriptionSpec spec;
    const Value* topic = request.find("topic");
    if (!topic || topic->kind() != Value::Kind::kString) {
      return param(
          "topic: a string is required (events, projects, commitments, partnerships, "
          "summary)");
    }
    spec.topic = topic->as_string();
    if (const Value* filter = request.find("filter"); filter && !filter->is_null()) {
      if (!filter->is_object()) return param("filter: an object is expected");
      for (const auto& [key, value] : filter->as_object()) {
        if (value.kind() != Value::Kind::kString) return param("filter." + key + ": a string");
        if (key == "subject") {
          spec.subject = value.as_string();
        } else if (key == "body") {
          spec.body = value.as_string();
        } else if (key == "type") {
          spec.type = value.as_string();
        } else {
          return param("filter." + key + ": unknown (subject, body, type)");
        }
      }
    }
    if (const Value* from = request.find("from"); from && !from->is_null()) {
      if (from->kind() != Value::Kind::kInt || from->as_int() < 0) {
        return param("from: a sequence number (an integer >= 0)");
      }
      spec.from = static_cast<std::uint64_t>(from->as_int());
    }
    if (const Value* batch = request.find("batch"); batch && !batch->is_null()) {
      if (batch->kind() != Value::Kind::kBool) return param("batch: true or false");
      // For the whole session: pushes waiting behind a write go out together.
      if (batch->as_bool()) batch_pushes_ = true;
    }
    if (subscriptions_.load() >= kMaxSubscriptions) {
      return Respond(Protocol::Error(
          &id, Status::Invalid("subscribe.limit", "at most " + std::to_string(kMaxSubscriptions) +
                                                      " subscriptions per session")));
    }
    ++pending_;
    // The catch-up reads the store and waits for this client to read, so it
    // runs off the I/O threads; it answers (from there) before any message.
    ctx_.background([self = this->shared_from_this(), spec, id] {
      auto result = self->ctx_.hub.Subscribe(
          self, spec, [&](const std::string& subscription, std::uint64_t size) {
            ++self->subscriptions_;
            self->SendFromAnyThread(
                Protocol::Ok(&id, Value(Value::Object{{"size", static_cast<std::int64_t>(size)},
                                                      {"subscription", subscription}})));
          });
      if (!result.ok()) self->SendFromAnyThread(Protocol::Error(&id, result.status()));
      net::post(self->strand_, [self] {
        --self->pending_;
        self->Continue();
      });
    });
  }

  void Unsubscribe(const Value& request, const Value& id) {
    const Value* subscription = request.find("subscription");
    if (!subscription || subscription->kind() != Value::Kind::kString) {
      return Respond(Protocol::Error(
          &id, Status::Invalid("request.param", "subscription: a string (\"s1\") is required")));
    }
    Status s = ctx_.hub.Unsubscribe(this, subscription->as_string());
    if (!s.ok()) return Respond(Protocol::Error(&id, s));
    --subscriptions_;
    Respond(Protocol::Ok(&id, Value(Value::Object{})));
  }

  // --- writing (strand) ---

  void Respond(const Value& response) { Push(Serialize(response)); }

  // Any thread: the answer to a request handed to the protocol. It is
  // serialized on the strand: a submit's answer comes from the writer
  // thread, which goes on to the next commit meanwhile.
  void Complete(Value response) {
    net::post(strand_, [self = this->shared_from_this(), v = std::move(response)] {
      --self->pending_;
      self->Push(Serialize(v));
    });
  }

  void SendFromAnyThread(const Value& response) {
    net::post(strand_, [self = this->shared_from_this(), m = Serialize(response)]() mutable {
      self->Push(std::move(m));
    });
  }

  // Subscription messages, counted against max_queued; written after what
  // is queued, together when the session batches.
  void PushPushes(Messages pushes) {
    const std::size_t n = pushes->messages.size();
    if (close_sent_ || finished_ || close_ != Close::kNone) return Release(n);
    if (n == 0) return;
    queue_messages_ += n;
    queue_.push_back({nullptr, std::move(pushes), true});
    Continue();
  }

  // An answer to a request: written after what is queued.
  void Push(Message message) {
    if (close_sent_ || finished_ || close_ == Close::kTooSlow) return;
    ++queue_messages_;
    queue_.push_back({std::move(message), nullptr, false});
    Continue();
  }

  // The next write, or the close once it may go. One write in flight.
  void Continue() {
    if (writing_ || close_sent_ || finished_) return;
    const bool more = !queue_.empty();
    switch (close_) {
      case Close::kNone:
        if (more) DoWrite();
        return;
      case Close::kStopping:
        // Answers to requests in flight go out first.
        if (more) return DoWrite();
        if (pending_ == 0) DoClose();
        return;
      case Close::kTooLarge:
        if (more) return DoWrite();
        return DoClose();
      case Close::kTooSlow:
        return DoClose();
    }
  }

  void DoWrite() {
    writing_ = true;
    ws_.text(true);
    auto on_write = beast::bind_front_handler(&WebSocketSession::OnWrite, this->shared_from_this());
    const Outgoing& front = queue_.front();
    in_flight_ = 1;
    if (!batch_pushes_ || !front.counted) {
      ws_.async_write(net::buffer(front.at(front_index_)), std::move(on_write));
      return;
    }
    // A batching session gets the pushes queued at the front (those that
    // piled up behind the previous write) as one JSON array: one frame and
    // one system call for many events, which is what lets thousands of
    // subscribers follow hundreds of events a second. A delivery alone at
    // the front goes out as the array the hub made once for every session.
    const bool alone = queue_.size() == 1 || !queue_[1].counted;
    if (front_index_ == 0 && alone && !front.pushes->array.empty()) {
      in_flight_ = front.size();
      ws_.async_write(net::buffer(front.pushes->array), std::move(on_write));
      return;
    }
    std::size_t n = 0;
    for (std::size_t e = 0, i = front_index_; e < queue_.size() && queue_[e].counted; ++e, i = 0) {
      for (; i < queue_[e].size() && n < Pushes::kMaxArray; ++i, ++n) {
        batch_ += n == 0 ? '[' : ',';
        batch_ += queue_[e].at(i);
      }
    }
    if (n == 1) {
      batch_.clear();
      ws_.async_write(net::buffer(front.at(front_index_)), std::move(on_write));
      return;
    }
    batch_ += ']';
    in_flight_ = n;
    ws_.async_write(net::buffer(batch_), std::move(on_write));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    writing_ = false;
    batch_.clear();
    // The messages written leave the queue's front.
    while (in_flight_ > 0) {
      const Outgoing& front = queue_.front();
      const std::size_t done = std::min(in_flight_, front.size() - front_index_);
      if (front.counted) Release(done);
      in_flight_ -= done;
      queue_messages_ -= done;
      front_index_ += done;
      if (front_index_ == front.size()) {
        queue_.pop_front();
        front_index_ = 0;
      }
    }
    if (ec) {
      DropQueue();
      return Finish();
    }
    if (read_paused_ && queue_messages_ <= max_queued_ / 2) {
      read_paused_ = false;
      DoRead();
    }
    Continue();
  }

  void BeginClose(Close why) {
    if (close_ != Close::kNone || close_sent_ || finished_) return;
    close_ = why;
    closed_ = true;
    WakeWaiters();
    if (why == Close::kTooSlow) {
      ctx_.log.Info("session too slow; dropping", {{"peer", peer_}});
      // Everything but the write in flight is discarded.
      std::size_t keep = 0;  // entries the write in flight takes from
      for (std::size_t left = writing_ ? in_flight_ + front_index_ : 0; left > 0; ++keep) {
        left -= std::min(left, queue_[keep].size());
      }
      while (queue_.size() > keep) {
        const Outgoing& back = queue_.back();
        const std::size_t n = back.size() - (queue_.size() == 1 ? front_index_ : 0);
        if (back.counted) Release(n);
        queue_messages_ -= n;
        queue_.pop_back();
      }
      if (queue_.empty()) front_index_ = 0;
    }
    Continue();
  }

  void DoClose() {
    close_sent_ = true;
    websocket::close_reason reason;
    switch (close_) {
      case Close::kTooSlow:
        reason = websocket::close_reason(websocket::close_code::policy_error, "session.too_slow");
        break;
      case Close::kTooLarge:
        reason = websocket::close_reason(websocket::close_code::too_big, "request.too_large");
        break;
      case Close::kStopping:
      case Close::kNone:
        reason = websocket::close_reason(websocket::close_code::going_away, "server.stopping");
        break;
    }
    ws_.async_close(
        reason, beast::bind_front_handler(&WebSocketSession::OnClose, this->shared_from_this()));
  }

  void OnClose(beast::error_code) { Finish(); }

  void DropQueue() {
    while (!queue_.empty()) {
      const Outgoing& front = queue_.front();
      if (front.counted) Release(front.size() - front_index_);
      front_index_ = 0;
      queue_.pop_front();
    }
    queue_messages_ = 0;
  }

  // Strand, or the destructor: the session is over.
  void Finish() {
    if (finished_) return;
    finished_ = true;
    closed_ = true;
    WakeWaiters();
    ctx_.hub.Drop(this);
    ctx_.Unregister(this);
    if (opened_) {
      ctx_.metrics.SessionClosed();
      ctx_.log.Debug("session closed", {{"peer", peer_}});
    }
  }

  // --- the queue bound (any thread) ---

  void Release(std::size_t n) {
    if (n == 0) return;
    const std::size_t left = queued_.fetch_sub(n) - n;
    if (left <= max_queued_ / 2 && waiters_.load() > 0) WakeWaiters();
  }

  void WakeWaiters() {
    std::lock_guard lock(room_mutex_);
    room_.notify_all();
  }

  ServerContext& ctx_;
  websocket::stream<Next> ws_;
  const net::any_io_executor strand_;
  std::shared_ptr<ConnectionSlot> slot_;
  const std::size_t max_bytes_;
  const std::size_t max_queued_;
  std::string peer_ = "?";

  // Strand only.
  HttpRequest upgrade_;
  beast::flat_buffer buffer_;
  std::deque<Outgoing> queue_;
  bool writing_ = false;
  std::size_t queue_messages_ = 0;  // messages in queue_, from front_index_ on
  std::size_t front_index_ = 0;     // the first message of queue_'s front not yet written
  std::size_t in_flight_ = 0;       // messages from there on in the write in flight
  bool batch_pushes_ = false;       // a subscribe asked for "batch": true
  std::string batch_;               // the array in flight when in_flight_ > 1
  bool read_paused_ = false;        // too many answers waiting for the client to read
  bool opened_ = false;
  bool audit_allowed_ = false;  // audit, event and the events topic (AuditAccess)
  bool close_sent_ = false;
  bool finished_ = false;
  Close close_ = Close::kNone;
  std::size_t pending_ = 0;  // requests in flight (including subscribes catching up)

  // Any thread.
  std::atomic<std::size_t> subscriptions_{0};
  std::atomic<std::size_t> queued_{0};  // counted messages posted and not yet written
  std::atomic<bool> closed_{false};     // no more subscription messages
  std::atomic<int> waiters_{0};
  std::mutex room_mutex_;
  std::condition_variable room_;
};

template <class Next>
void Start(ServerContext& ctx, Next&& stream, HttpRequest&& request,
           std::shared_ptr<ConnectionSlot> slot) {
  std::make_shared<WebSocketSession<Next>>(ctx, std::move(stream), std::move(slot))
      ->Run(std::move(request));
}

}  // namespace

void StartWebSocketSession(ServerContext& ctx, beast::tcp_stream&& stream, HttpRequest&& request,
                           std::shared_ptr<ConnectionSlot> slot) {
  Start(ctx, std::move(stream), std::move(request), std::move(slot));
}

void StartWebSocketSession(ServerContext& ctx, beast::ssl_stream<beast::tcp_stream>&& stream,
                           HttpRequest&& request, std::shared_ptr<ConnectionSlot> slot) {
  Start(ctx, std::move(stream), std::move(request), std::move(slot));
}

}  // namespace pl::api
