// SPDX-License-Identifier: Apache-2.0
// A request from this process to one of its own plain listeners, carried in memory instead of
// over the kernel's loopback (net/*.cpp only: it includes Asio).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "net/asio.hpp"

namespace mynasim {

class http_server;

// What a client connected to the listener would read: the answer's bytes, then how the
// connection went on — kept open, closed after them, reset, or still silent when the client's
// deadline passed.
struct loopback_answer {
  enum class end : std::uint8_t { open, closed, reset, timeout };
  std::string bytes;
  end how = end::open;
};

// `request` is the whole request as the client would write it; `timeout` the client's
// deadline for the exchange. Runs on the server's io_context.
net::awaitable<loopback_answer> exchange_in_memory(http_server& server, const std::string& host,
                                                   const std::string& port, std::string request,
                                                   std::chrono::milliseconds timeout);

}  // namespace mynasim
