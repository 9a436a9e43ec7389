// The listening socket: accepts connections up to max_connections and hands
// each to an HTTP session (TLS when a context is given).
#pragma once

#include <cstdint>
#include <memory>

#include "context.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace pl::api {

class Listener {
 public:
  virtual ~Listener() = default;
  // The bound port (the real one when 0 was asked for).
  virtual std::uint16_t port() const = 0;
  virtual void Start() = 0;
  // Any thread: stops accepting; open connections are not touched.
  virtual void Close() = 0;
};

// Binds options.address:options.port. Error "server.listen".
Result<std::shared_ptr<Listener>> Listen(boost::asio::io_context& ioc,
                                         boost::asio::ssl::context* tls, ServerContext& ctx);

}  // namespace pl::api
