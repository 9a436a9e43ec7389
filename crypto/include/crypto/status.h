// Status and Result: the one result type of every module.
//
// A Status is either ok or carries a code, the name of the rule that was
// broken (a short stable identifier such as "signature.invalid", which tests,
// clients and metrics match on) and a human-readable message. Ok costs a
// single pointer compare. Exceptions never cross a module's public header.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace pl {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalid,     // the input is malformed or breaks a rule; nothing was changed
    kNotFound,    // the thing asked for does not exist
    kConflict,    // clashes with what is already recorded (e.g. a reused decision id)
    kCorruption,  // stored data does not match its hashes, signatures or format
    kIoError,     // the operating system or LMDB failed
  };

  Status() = default;  // ok
  static Status Ok() { return Status(); }
  static Status Invalid(std::string rule, std::string message) {
    return Status(Code::kInvalid, std::move(rule), std::move(message));
  }
  static Status NotFound(std::string rule, std::string message) {
    return Status(Code::kNotFound, std::move(rule), std::move(message));
  }
  static Status Conflict(std::string rule, std::string message) {
    return Status(Code::kConflict, std::move(rule), std::move(message));
  }
  static Status Corruption(std::string rule, std::string message) {
    return Status(Code::kCorruption, std::move(rule), std::move(message));
  }
  static Status IoError(std::string rule, std::string message) {
    return Status(Code::kIoError, std::move(rule), std::move(message));
  }

  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  // The broken rule's identifier; empty when ok.
  const std::string& rule() const { return state_ ? state_->rule : Empty(); }
  const std::string& message() const { return state_ ? state_->message : Empty(); }
  // "rule: message", or "ok".
  std::string ToString() const {
    return state_ ? state_->rule + ": " + state_->message : std::string("ok");
  }

 private:
  struct State {
    Code code;
    std::string rule;
    std::string message;
  };
  Status(Code code, std::string rule, std::string message)
      : state_(std::make_shared<const State>(
            State{code, std::move(rule), std::move(message)})) {}
  static const std::string& Empty() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const State> state_;
};

// Either a value or a non-ok Status. REQUIRES: ok() before value().
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status ok_status;
    return ok() ? ok_status : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace pl
