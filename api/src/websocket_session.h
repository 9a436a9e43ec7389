// WebSocket sessions: the JSON protocol of docs/api.md on one connection,
// each on its own strand, one write in flight and a bounded outgoing queue.
#pragma once

#include <memory>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "context.h"

namespace pl::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Accepts the upgrade request on the stream and runs the session.
void StartWebSocketSession(ServerContext& ctx, boost::beast::tcp_stream&& stream,
                           HttpRequest&& request, std::shared_ptr<ConnectionSlot> slot);
void StartWebSocketSession(ServerContext& ctx,
                           boost::beast::ssl_stream<boost::beast::tcp_stream>&& stream,
                           HttpRequest&& request, std::shared_ptr<ConnectionSlot> slot);

}  // namespace pl::api
