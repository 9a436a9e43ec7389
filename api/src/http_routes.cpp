#include "http_routes.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <boost/beast/core/file.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/version.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>

#include "crypto/bytes.h"

namespace pl::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace urls = boost::urls;
using ledger::Value;

namespace {

constexpr std::string_view kServerName = "ledgerd";

http::message_generator Text(const HttpRequest& req, http::status status, std::string body,
                             std::string_view content_type, bool keep_alive) {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::server, kServerName);
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  if (req.method() == http::verb::head) {
    res.content_length(body.size());
  } else {
    res.body() = std::move(body);
    res.prepare_payload();
  }
  return res;
}

http::message_generator Json(const HttpRequest& req, http::status status, const Value& body,
                             bool keep_alive) {
  return Text(req, status, ledger::CanonicalJson(body), "application/json", keep_alive);
}

Value ErrorBody(const std::string& rule, const std::string& message) {
  return Value(Value::Object{{"error", Value(Value::Object{{"message", message}, {"rule", rule}})},
                             {"ok", false}});
}

// The HTTP status of a protocol response.
http::status StatusOf(const Value& response) {
  const Value* ok = response.find("ok");
  if (ok && ok->kind() == Value::Kind::kBool && ok->as_bool()) return http::status::ok;
  std::string rule;
  if (const Value* error = response.find("error")) {
    if (const Value* r = error->find("rule"); r && r->kind() == Value::Kind::kString) {
      rule = r->as_string();
    }
  }
  auto ends_with = [&](std::string_view s) {
    return rule.size() >= s.size() && rule.compare(rule.size() - s.size(), s.size(), s) == 0;
  };
  if (rule == "request.op" || ends_with(".unknown") || ends_with(".not_found")) {
    return http::status::not_found;
  }
  if (rule == "server.stopping") return http::status::service_unavailable;
  if (rule == "server.internal" || rule == "store.io" || rule == "store.decode") {
    return http::status::internal_server_error;
  }
  return http::status::bad_request;
}

std::string_view ContentType(const std::filesystem::path& file) {
  static const std::map<std::string, std::string_view> types = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".woff2", "font/woff2"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = types.find(ext);
  return it == types.end() ? std::string_view("application/octet-stream") : it->second;
}

http::message_generator StaticFile(ServerContext& ctx, const HttpRequest& req,
                                   const std::string& path, bool keep_alive) {
  auto not_found = [&] {
    return Json(req, http::status::not_found, ErrorBody("http.not_found", "nothing at " + path),
                keep_alive);
  };
  if (ctx.options.static_dir.empty() || path.empty() || path.front() != '/') return not_found();
  // The decoded path, one segment at a time: no way out of static_dir.
  std::filesystem::path relative;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string segment = path.substr(start, end - start);
    if (segment == ".." || segment.find('\\') != std::string::npos ||
        segment.find('\0') != std::string::npos) {
      return Json(req, http::status::bad_request,
                  ErrorBody("http.path", "the path may not leave the static folder"), keep_alive);
    }
    if (!segment.empty() && segment != ".") relative /= segment;
    start = end + 1;
  }
  std::filesystem::path file = std::filesystem::path(ctx.options.static_dir) / relative;
  std::error_code fs_error;
  if (std::filesystem::is_directory(file, fs_error)) file /= "index.html";
  if (!std::filesystem::is_regular_file(file, fs_error)) return not_found();

  if (req.method() == http::verb::head) {
    http::response<http::empty_body> head{http::status::ok, req.version()};
    head.set(http::field::server, kServerName);
    head.set(http::field::content_type, ContentType(file));
    head.content_length(std::filesystem::file_size(file, fs_error));
    head.keep_alive(keep_alive);
    return head;
  }
  http::file_body::value_type body;
  beast::error_code ec;
  body.open(file.c_str(), beast::file_mode::scan, ec);
  if (ec) return not_found();
  const auto size = body.size();
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, req.version())};
  res.set(http::field::server, kServerName);
  res.set(http::field::content_type, ContentType(file));
  res.content_length(size);
  res.keep_alive(keep_alive);
  return res;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Value ParameterValue(std::string_view name, const std::string& text) {
  if (name == "group_by") {
    Value::Array items;
    std::size_t start = 0;
    while (start <= text.size() && !text.empty()) {
      std::size_t end = text.find(',', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) items.emplace_back(text.substr(start, end - start));
      start = end + 1;
    }
    return Value(std::move(items));
  }
  if (text == "true") return Value(true);
  if (text == "false") return Value(false);
  static const char* const kAlwaysText[] = {"key",   "decision_id", "subject",
                                            "after", "signer",      "text"};
  const bool id_like = std::any_of(std::begin(kAlwaysText), std::end(kAlwaysText),
                                   [&](const char* k) { return name == k; });
  if (!id_like && !text.empty() && text.size() <= 16 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const std::int64_t n = std::stoll(text);
    if (n <= Value::kMaxInt) return Value(n);
  }
  return Value(text);
}

}  // namespace

Result<Value> QueryParameters(std::string_view target) {
  auto url = urls::parse_origin_form(target);
  if (!url) return Status::Invalid("request.param", "the query string does not parse");
  urls::encoding_opts opts;
  opts.space_as_plus = true;
  // Through the url_view: in Boost.URL 1.81 a params_view made from a bare
  // query string reads its last value past the end of a buffer that goes on.
  const urls::params_view params = url->params(opts);
  // name -> value, or name -> (member -> value) for dotted names.
  std::map<std::string, Value> top;
  std::map<std::string, std::map<std::string, Value>> nested;
  for (const auto& p : params) {
    const std::string& key = p.key;
    const std::size_t dot = key.find('.');
    const std::string outer = key.substr(0, dot);
    const std::string inner = dot == std::string::npos ? "" : key.substr(dot + 1);
    if (!IsIdentifier(outer) || (dot != std::string::npos && !IsIdentifier(inner))) {
      return Status::Invalid("request.param", "parameter name \"" + key + "\" is not allowed");
    }
    const Value value = ParameterValue(dot == std::string::npos ? outer : inner,
                                       p.has_value ? p.value : std::string("true"));
    const bool taken = dot == std::string::npos
                           ? top.count(outer) > 0 || nested.count(outer) > 0
                           : top.count(outer) > 0 || nested[outer].count(inner) > 0;
    if (taken) return Status::Invalid("request.param", "parameter \"" + key + "\" given twice");
    if (dot == std::string::npos) {
      top.emplace(outer, value);
    } else {
      nested[outer].emplace(inner, value);
    }
  }
  Value::Object members;
  for (auto& [name, value] : top) members.emplace_back(name, std::move(value));
  for (auto& [name, inner] : nested) {
    Value::Object object;
    for (auto& [k, v] : inner) object.emplace_back(k, std::move(v));
    members.emplace_back(name, Value(std::move(object)));
  }
  return Value(std::move(members));
}

http::message_generator ErrorResponse(http::status status, const std::string& rule,
                                      const std::string& message, unsigned version,
                                      bool keep_alive) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, kServerName);
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = ledger::CanonicalJson(ErrorBody(rule, message));
  res.prepare_payload();
  return res;
}

// GET /checkpoint[?size=N|?cosigned=K]: the checkpoint note, as text
// (docs/witnesses.md). POST /cosignature?size=N: a witness's cosignature
// line as the body. Both through the protocol's checkpoint and
// add_cosignature ops; errors as JSON.
http::message_generator WitnessRoute(ServerContext& ctx, const HttpRequest& req,
                                     const std::string& path, bool keep_alive) {
  const bool get = path == "/checkpoint";
  const bool allowed = get ? req.method() == http::verb::get || req.method() == http::verb::head
                           : req.method() == http::verb::post;
  if (!allowed) {
    return Json(req, http::status::method_not_allowed,
                ErrorBody("http.method", get ? "GET /checkpoint" : "POST /cosignature"),
                keep_alive);
  }
  auto params = QueryParameters(std::string_view(req.target().data(), req.target().size()));
  if (!params.ok()) {
    return Json(req, http::status::bad_request,
                ErrorBody(params.status().rule(), params.status().message()), keep_alive);
  }
  Value response;
  if (get) {
    response = ctx.protocol.HandleRead("checkpoint", *params);
  } else {
    Value::Object members = params->as_object();
    members.emplace_back("cosignature", req.body());
    response = ctx.protocol.AddCosignature(Value(std::move(members)));
  }
  if (StatusOf(response) != http::status::ok) {
    return Json(req, StatusOf(response), response, keep_alive);
  }
  if (!get) return Json(req, http::status::ok, response, keep_alive);
  return Text(req, http::status::ok, response.find("result")->find("note")->as_string(),
              "text/plain; charset=utf-8", keep_alive);
}

http::message_generator Unauthorized(ServerContext& ctx, const HttpRequest& req,
                                     const Status& refusal) {
  ctx.log.Info("audit access refused", {{"rule", refusal.rule()}});
  http::response<http::string_body> res{http::status::unauthorized, req.version()};
  res.set(http::field::server, kServerName);
  res.set(http::field::content_type, "application/json");
  res.set(http::field::www_authenticate, refusal.rule() == "auth.invalid"
                                             ? R"(Bearer realm="ledgerd", error="invalid_token")"
                                             : R"(Bearer realm="ledgerd")");
  res.keep_alive(req.keep_alive() && !ctx.stopping);
  res.body() = ledger::CanonicalJson(ErrorBody(refusal.rule(), refusal.message()));
  res.prepare_payload();
  return res;
}

http::message_generator Route(ServerContext& ctx, HttpRequest&& req) {
  const bool keep_alive = req.keep_alive() && !ctx.stopping;
  auto url = urls::parse_origin_form(req.target());
  if (!url) {
    return Json(req, http::status::bad_request,
                ErrorBody("http.target", "the request target does not parse"), false);
  }
  if (url->path() == "/checkpoint" || url->path() == "/cosignature") {
    return WitnessRoute(ctx, req, url->path(), keep_alive);
  }
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return Json(req, http::status::method_not_allowed,
                ErrorBody("http.method", "only GET and HEAD; use the WebSocket at /ws to submit"),
                keep_alive);
  }
  const std::string path = url->path();

  if (path == "/healthz") {
    const ledger::TreeHead head = ctx.programme.store().head();
    const bool stopping = ctx.stopping;
    return Json(req, stopping ? http::status::service_unavailable : http::status::ok,
                Value(Value::Object{{"root", ToHex(head.root)},
                                    {"size", static_cast<std::int64_t>(head.size)},
                                    {"status", stopping ? "stopping" : "ok"}}),
                keep_alive);
  }
  if (path == "/metrics") {
    return Text(req, http::status::ok,
                ctx.metrics.Render(ctx.programme.store().size(), ctx.hub.subscriptions(),
                                   ctx.hub.dropped_slow()),
                "text/plain; version=0.0.4; charset=utf-8", keep_alive);
  }
  if (path.rfind("/api/", 0) == 0) {
    const std::string op = path.substr(5);
    ctx.metrics.Query(op);
    if (op.empty() || op.find('/') != std::string::npos) {
      return Json(req, http::status::not_found, ErrorBody("request.op", "no op " + op), keep_alive);
    }
    auto params = QueryParameters(std::string_view(req.target().data(), req.target().size()));
    if (!params.ok()) {
      return Json(req, http::status::bad_request,
                  ErrorBody(params.status().rule(), params.status().message()), keep_alive);
    }
    if (AuditAccess::Protects(op, *params)) {
      std::optional<std::string_view> authorization;
      if (auto it = req.find(http::field::authorization); it != req.end()) {
        authorization = std::string_view(it->value().data(), it->value().size());
      }
      if (Status access = ctx.audit_access.CheckHeader(authorization); !access.ok()) {
        return Unauthorized(ctx, req, access);
      }
    }
    Value response;
    try {
      response = ctx.protocol.HandleRead(op, *params);
    } catch (const std::exception& e) {
      ctx.log.Error("REST request failed", {{"op", op}, {"error", e.what()}});
      response = ErrorBody("server.internal", "the request failed");
    }
    return Json(req, StatusOf(response), response, keep_alive);
  }
  if (path == "/ws") {
    return Json(req, http::status::upgrade_required,
                ErrorBody("http.upgrade", "/ws is the WebSocket endpoint: send Upgrade: websocket"),
                keep_alive);
  }
  return StaticFile(ctx, req, path, keep_alive);
}

}  // namespace pl::api
