// SPDX-License-Identifier: Apache-2.0
// Namespace aliases and the completion token shared by the transport files (net/*.cpp only).
#pragma once

#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/http.hpp"

namespace boost::beast::http {}

namespace mynasim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

// co_await op(…, use_tuple) yields (error_code, result…) instead of throwing.
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

}  // namespace mynasim
