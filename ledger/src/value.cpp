#include "ledger/value.h"

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>

namespace pl::ledger {

Value::Value(Object o) {
  std::sort(o.begin(), o.end(), [](const Member& a, const Member& b) { return a.first < b.first; });
  v_ = std::move(o);
}

const Value* Value::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  const Object& members = as_object();
  auto it = std::lower_bound(members.begin(), members.end(), key,
                             [](const Member& m, std::string_view k) { return m.first < k; });
  return it != members.end() && it->first == key ? &it->second : nullptr;
}

namespace {

bool IsIdentifier(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Builds a Value directly from Boost.JSON's SAX events, so that floats, big
// integers, bad keys and duplicate keys are refused with a precise rule
// instead of being silently converted.
class Builder {
 public:
  static constexpr std::size_t max_object_size = 100000;
  static constexpr std::size_t max_array_size = 100000;
  static constexpr std::size_t max_key_size = 64;
  static constexpr std::size_t max_string_size = 1 << 20;

  explicit Builder(unsigned max_depth) : max_depth_(max_depth) {}

  Status status;
  Value root;

  using ec_t = boost::system::error_code;

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t& ec) { return Open(false, ec); }
  bool on_array_end(std::size_t, ec_t& ec) {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    return Add(Value(std::move(f.array)), ec);
  }
  bool on_object_begin(ec_t& ec) { return Open(true, ec); }
  bool on_object_end(std::size_t, ec_t& ec) {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Value object(std::move(f.object));
    const Value::Object& members = object.as_object();
    for (std::size_t i = 1; i < members.size(); ++i) {
      if (members[i - 1].first == members[i].first) {
        return Fail(Status::Invalid("json.duplicate_key",
                                    "object key \"" + members[i].first + "\" appears twice"),
                    ec);
      }
    }
    return Add(std::move(object), ec);
  }
  bool on_string_part(boost::json::string_view s, std::size_t, ec_t&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, ec_t& ec) {
    text_.append(s.data(), s.size());
    std::string value = std::move(text_);
    text_.clear();
    return Add(Value(std::move(value)), ec);
  }
  bool on_key_part(boost::json::string_view s, std::size_t, ec_t&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, ec_t& ec) {
    text_.append(s.data(), s.size());
    if (!IsIdentifier(text_)) {
      return Fail(Status::Invalid("json.key", "object key \"" + text_ +
                                                  "\" is not an identifier [A-Za-z0-9_]{1,64}"),
                  ec);
    }
    stack_.back().key = std::move(text_);
    text_.clear();
    return true;
  }
  bool on_number_part(boost::json::string_view, ec_t&) { return true; }
  bool on_int64(std::int64_t i, boost::json::string_view, ec_t& ec) { return AddInt(i, ec); }
  bool on_uint64(std::uint64_t, boost::json::string_view s, ec_t& ec) {
    return Fail(OutOfRange(s), ec);
  }
  bool on_double(double, boost::json::string_view s, ec_t& ec) {
    return Fail(Status::Invalid("json.float", "number " + std::string(s.data(), s.size()) +
                                                  " is not an integer; amounts are integer "
                                                  "minor units"),
                ec);
  }
  bool on_bool(bool b, ec_t& ec) { return Add(Value(b), ec); }
  bool on_null(ec_t& ec) { return Add(Value(), ec); }
  bool on_comment_part(boost::json::string_view, ec_t&) { return true; }
  bool on_comment(boost::json::string_view, ec_t&) { return true; }

 private:
  struct Frame {
    bool is_object;
    Value::Array array;
    Value::Object object;
    std::string key;
  };

  static Status OutOfRange(boost::json::string_view s) {
    return Status::Invalid("json.int_range",
                           "integer " + std::string(s.data(), s.size()) + " is outside +-(2^53-1)");
  }
  bool Fail(Status s, ec_t& ec) {
    status = std::move(s);
    ec = boost::json::error::exception;
    return false;
  }
  bool Open(bool is_object, ec_t& ec) {
    if (stack_.size() >= max_depth_) {
      return Fail(Status::Invalid("json.depth",
                                  "nesting deeper than " + std::to_string(max_depth_) + " levels"),
                  ec);
    }
    stack_.push_back(Frame{is_object, {}, {}, {}});
    return true;
  }
  bool AddInt(std::int64_t i, ec_t& ec) {
    if (i > Value::kMaxInt || i < -Value::kMaxInt) return Fail(OutOfRange(std::to_string(i)), ec);
    return Add(Value(i), ec);
  }
  bool Add(Value v, ec_t&) {
    if (stack_.empty()) {
      root = std::move(v);
    } else if (stack_.back().is_object) {
      stack_.back().object.emplace_back(std::move(stack_.back().key), std::move(v));
    } else {
      stack_.back().array.push_back(std::move(v));
    }
    return true;
  }

  unsigned max_depth_;
  std::vector<Frame> stack_;
  std::string text_;
};

void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  std::size_t run = 0;  // start of the pending run of characters copied as they are
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(escape, 6);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendJson(const Value& value, std::string* out, int indent, int depth) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out->push_back('\n');
    out->append(static_cast<std::size_t>(indent * d), ' ');
  };
  switch (value.kind()) {
    case Value::Kind::kNull:
      out->append("null");
      break;
    case Value::Kind::kBool:
      out->append(value.as_bool() ? "true" : "false");
      break;
    case Value::Kind::kInt:
      out->append(std::to_string(value.as_int()));
      break;
    case Value::Kind::kString:
      AppendString(value.as_string(), out);
      break;
    case Value::Kind::kArray: {
      const auto& items = value.as_array();
      out->push_back('[');
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out->push_back(',');
        newline(depth + 1);
        AppendJson(items[i], out, indent, depth + 1);
      }
      if (!items.empty()) newline(depth);
      out->push_back(']');
      break;
    }
    case Value::Kind::kObject: {
      const auto& members = value.as_object();
      out->push_back('{');
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out->push_back(',');
        newline(depth + 1);
        AppendString(members[i].first, out);
        out->append(indent < 0 ? ":" : ": ");
        AppendJson(members[i].second, out, indent, depth + 1);
      }
      if (!members.empty()) newline(depth);
      out->push_back('}');
      break;
    }
  }
}

}  // namespace

Result<Value> ParseJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::Invalid("json.size", "document of " + std::to_string(text.size()) +
                                            " bytes exceeds the limit of " +
                                            std::to_string(limits.max_bytes));
  }
  boost::json::parse_options options;
  options.max_depth = limits.max_depth + 1;
  boost::json::basic_parser<Builder> parser(options, limits.max_depth);
  boost::system::error_code ec;
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!parser.handler().status.ok()) return parser.handler().status;
  if (ec) return Status::Invalid("json.syntax", ec.message() + " at byte " + std::to_string(used));
  if (used != text.size()) {
    return Status::Invalid("json.syntax", "extra data at byte " + std::to_string(used));
  }
  return std::move(parser.handler().root);
}

void AppendCanonicalJson(const Value& value, std::string* out) { AppendJson(value, out, -1, 0); }

void AppendJsonString(std::string_view text, std::string* out) { AppendString(text, out); }

std::string CanonicalJson(const Value& value) {
  std::string out;
  AppendCanonicalJson(value, &out);
  return out;
}

std::string PrettyJson(const Value& value) {
  std::string out;
  AppendJson(value, &out, 2, 0);
  return out;
}

}  // namespace pl::ledger
