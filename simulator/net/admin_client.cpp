// SPDX-License-Identifier: Apache-2.0
#include "net/admin_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
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
  // Asynchronous steps on a private io_context run for at most `timeout` in all: a stream's
  // expiry applies to asynchronous operations only, and a name lookup, a silent peer or an
  // endless body must not hold the command line.
  net::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), prefix + target, 11};
  req.set(bhttp::field::host, host + ":" + port);
  req.set(bhttp::field::user_agent, "mynasim-cli");
  if (!bearer_token.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer_token);
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  parser.header_limit(16 * 1024);
  bool done = false;
  auto fail = [&](const beast::error_code& ec) {
    out.error = ec.message();
    done = true;
  };
  resolver.async_resolve(host, port, [&](beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail(ec);
    stream.async_connect(results, [&](beast::error_code ec2, const tcp::endpoint&) {
      if (ec2) return fail(ec2);
      bhttp::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
        if (ec3) return fail(ec3);
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec4, std::size_t) {
          if (ec4) return fail(ec4);
          out.status = static_cast<int>(parser.get().result_int());
          out.body = std::move(parser.get().body());
          done = true;
        });
      });
    });
  });
  io.run_for(timeout);
  if (!done) {
    // Let the pending step finish as cancelled before its objects go.
    resolver.cancel();
    stream.close();
    io.restart();
    io.run_for(std::chrono::seconds(1));
    out.status = 0;
    out.body.clear();
    out.error = "no answer within " + std::to_string(timeout.count()) + " ms";
    return out;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

}  // namespace mynasim
