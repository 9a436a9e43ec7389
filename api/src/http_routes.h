// The HTTP routes, independent of the stream: GET /healthz, /metrics,
// /api/<op>?k=v..., and the static files of ServerOptions::static_dir.
#pragma once

#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "context.h"
#include "ledger/value.h"

namespace pl::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

boost::beast::http::message_generator Route(ServerContext& ctx, HttpRequest&& request);

// {"ok":false,"error":{"rule","message"}} with the given status.
boost::beast::http::message_generator ErrorResponse(boost::beast::http::status status,
                                                    const std::string& rule,
                                                    const std::string& message, unsigned version,
                                                    bool keep_alive);

// 401 for a refused audit credential (auth.required, auth.invalid), with
// WWW-Authenticate: Bearer (RFC 6750); logged without the token.
boost::beast::http::message_generator Unauthorized(ServerContext& ctx, const HttpRequest& request,
                                                   const Status& refusal);

// The parameters of a request target's query string (target in origin form,
// "/api/list?kind=projects"), as the op's request members:
// "true"/"false" are booleans, all-digit values integers (except for the
// id-like parameters key, decision_id, subject, after, signer, text),
// group_by a comma-separated array, and a dotted name (filter.status,
// as_of.sequence) a member of an object. Error "request.param".
Result<ledger::Value> QueryParameters(std::string_view target);

}  // namespace pl::api
