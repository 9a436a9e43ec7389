// HTTP/1.1 sessions (plain or TLS): health, metrics, REST mirrors, static
// files, and the upgrade of /ws to a WebSocket session.
#pragma once

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "context.h"

namespace boost::asio::ssl {
class context;
}

namespace pl::api {

// Takes over an accepted socket; with tls, a TLS handshake comes first.
void StartHttpSession(ServerContext& ctx, boost::asio::ip::tcp::socket&& socket,
                      boost::asio::ssl::context* tls, std::shared_ptr<ConnectionSlot> slot);

}  // namespace pl::api
