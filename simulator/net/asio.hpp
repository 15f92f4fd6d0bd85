// Namespace aliases and the completion token shared by the transport files (net/*.cpp only).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <string>
#include <vector>

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

// Beast fields → plain headers with lower-case names.
template <class Fields>
std::vector<http_header> plain_headers(const Fields& fields) {
  std::vector<http_header> out;
  out.reserve(8);
  for (const auto& f : fields) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back({std::move(name), std::string(f.value())});
  }
  return out;
}

}  // namespace mynasim
