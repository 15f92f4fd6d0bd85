// SPDX-License-Identifier: Apache-2.0
#include "net/admin_client.hpp"

#include <charconv>
#include <future>
#include <optional>
#include <thread>

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

namespace {

// Where an admin listener is: host, port and the path prefix its routes sit under.
struct admin_endpoint {
  std::string host, port, prefix;
};

// http://host:port[/prefix] → the endpoint; https:// and malformed URLs are refused.
std::optional<admin_endpoint> parse_admin_url(const std::string& base_url) {
  bool tls = false;
  admin_endpoint at;
  if (!split_url(base_url, tls, at.host, at.port, at.prefix) || tls) return std::nullopt;
  if (at.prefix == "/") at.prefix.clear();
  return at;
}

bhttp::request<bhttp::string_body> make_admin_request(const admin_endpoint& at, const std::string& method,
                                                      const std::string& target, const std::string& body,
                                                      const std::string& bearer_token) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), at.prefix + target, 11};
  req.set(bhttp::field::host, at.host + ":" + at.port);
  req.set(bhttp::field::user_agent, "mynasim-cli");
  if (!bearer_token.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer_token);
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  return req;
}

// The endpoints of the admin listener: a numeric host as it is, a name looked up on a thread of
// its own for at most `timeout` (a lookup that never answers is left behind, never joined: it
// must not hold the command line). Empty, with `error`, when there are none.
std::vector<tcp::endpoint> endpoints_of(const admin_endpoint& at, std::chrono::milliseconds timeout,
                                        std::string& error) {
  std::uint16_t port = 0;
  auto [end, perr] = std::from_chars(at.port.data(), at.port.data() + at.port.size(), port);
  if (perr != std::errc() || end != at.port.data() + at.port.size() || port == 0) {
    error = "not a port: " + at.port;
    return {};
  }
  std::vector<std::string> addresses{at.host};
  if (!is_numeric_host(at.host)) {
    auto lookup = std::make_shared<std::promise<name_lookup_result>>();
    auto answer = lookup->get_future();
    std::thread([lookup, host = at.host] { lookup->set_value(system_name_lookup(host)); }).detach();
    if (answer.wait_for(timeout) != std::future_status::ready) {
      error = "resolve " + at.host + ": no answer within " + std::to_string(timeout.count()) + " ms";
      return {};
    }
    auto found = answer.get();
    if (!found.error.empty()) {
      error = "resolve " + at.host + ": " + found.error;
      return {};
    }
    addresses = std::move(found.addresses);
  }
  std::vector<tcp::endpoint> out;
  for (const auto& text : addresses) {
    beast::error_code ec;
    auto a = net::ip::make_address(text, ec);
    if (!ec) out.emplace_back(a, port);
  }
  if (out.empty()) error = "resolve " + at.host + ": no address";
  return out;
}

// One call as asynchronous steps on a private io_context, which run for at most `timeout` in
// all: a stream's expiry applies to asynchronous operations only, and a silent peer or an
// endless body must not hold the command line.
class admin_exchange {
 public:
  explicit admin_exchange(bhttp::request<bhttp::string_body> req) : req_(std::move(req)) {
    parser_.body_limit(std::uint64_t{16} * 1024 * 1024);
    parser_.header_limit(16 * 1024);
  }

  // Connect, write and read, each step started by the one before.
  void start(const std::vector<tcp::endpoint>& endpoints) {
    stream_.async_connect(endpoints, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return fail(ec);
      bhttp::async_write(stream_, req_, [this](beast::error_code ec2, std::size_t) {
        if (ec2) return fail(ec2);
        bhttp::async_read(stream_, buffer_, parser_, [this](beast::error_code ec3, std::size_t) {
          if (ec3) return fail(ec3);
          out_.status = static_cast<int>(parser_.get().result_int());
          out_.body = std::move(parser_.get().body());
          done_ = true;
        });
      });
    });
  }

  // Runs the steps until they finish or the time is up.
  admin_answer finish(std::chrono::milliseconds timeout) {
    io_.run_for(timeout);
    if (!done_) {
      abandon();
      out_.status = 0;
      out_.body.clear();
      out_.error = "no answer within " + std::to_string(timeout.count()) + " ms";
      return std::move(out_);
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return std::move(out_);
  }

 private:
  void fail(const beast::error_code& ec) {
    out_.error = ec.message();
    done_ = true;
  }

  // Lets the pending step finish as cancelled before its objects go.
  void abandon() {
    stream_.close();
    io_.restart();
    io_.run_for(std::chrono::seconds(1));
  }

  admin_answer out_;
  net::io_context io_;
  beast::tcp_stream stream_{io_};
  bhttp::request<bhttp::string_body> req_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  bool done_ = false;
};

}  // namespace

admin_answer admin_call(const std::string& base_url, const std::string& method, const std::string& target,
                        const std::string& body, const std::string& bearer_token, std::chrono::milliseconds timeout) {
  auto at = parse_admin_url(base_url);
  if (!at) {
    admin_answer out;
    out.error = "the admin URL must be http://host:port (got " + base_url + ")";
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  admin_answer out;
  auto endpoints = endpoints_of(*at, timeout, out.error);
  if (endpoints.empty()) return out;
  auto left =
      timeout - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  admin_exchange call(make_admin_request(*at, method, target, body, bearer_token));
  call.start(endpoints);
  return call.finish(std::max(left, std::chrono::milliseconds(1)));
}

}  // namespace mynasim
