#include "net/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "net/asio.hpp"
#include "net/http_client.hpp"

namespace mynasim {

admin_answer admin_call(const std::string& base_url, const std::string& method, const std::string& target,
                        const std::string& body, const std::string& bearer_token, std::chrono::milliseconds timeout) {
  admin_answer out;
  bool tls = false;
  std::string host, port, prefix;
  if (!split_url(base_url, tls, host, port, prefix) || tls) {
    out.error = "the admin URL must be http://host:port (got " + base_url + ")";
    return out;
  }
  if (prefix == "/") prefix.clear();
  try {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    tcp::resolver resolver(io);
    stream.connect(resolver.resolve(host, port));
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), prefix + target, 11};
    req.set(bhttp::field::host, host + ":" + port);
    req.set(bhttp::field::user_agent, "mynasim-cli");
    if (!bearer_token.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer_token);
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    parser.header_limit(16 * 1024);
    bhttp::read(stream, buffer, parser);
    out.status = static_cast<int>(parser.get().result_int());
    out.body = std::move(parser.get().body());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  } catch (const std::exception& e) {
    out.status = 0;
    out.error = e.what();
  }
  return out;
}

}  // namespace mynasim
