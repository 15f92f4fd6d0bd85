// SPDX-License-Identifier: Apache-2.0
// Parses one HTTP/1.1 message — a request the server reads or a response the HTTP client
// reads — into plain fields, with every size bounded: the head, the number of fields, the
// trailer and the body. Built on Beast's basic_parser, but nothing is stored in Beast's
// fields container, whose 64 KiB per-field limit throws instead of answering an error.
// Only net/*.cpp and the fuzz targets include this header (Beast's parser, no Asio).
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include "core/http.hpp"

namespace mynasim {

struct message_limits {
  std::size_t header_bytes = std::size_t{16} * 1024;  // start line and fields; the trailer has the same budget
  std::size_t body_bytes = std::size_t{1024} * 1024;
  std::size_t max_fields = 128;  // in the head and in the trailer, each
  // The read buffer holds at most one head (or trailer) plus one read's worth of bytes.
  std::size_t buffer_bytes() const { return header_bytes + std::size_t{64} * 1024; }
};

template <bool IsRequest>
class plain_parser : public boost::beast::http::basic_parser<IsRequest> {
  using base = boost::beast::http::basic_parser<IsRequest>;
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

 public:
  explicit plain_parser(const message_limits& limits) : limits_(limits) {
    base::header_limit(static_cast<std::uint32_t>(limits.header_bytes));
    base::body_limit(limits.body_bytes);
  }

  std::string method, target;  // requests
  int status = 0;              // responses
  unsigned version = 11;
  std::vector<http_header> headers;  // lower-case names; trailer fields are counted, not kept
  std::string body;

 private:
  void on_request_impl(boost::beast::http::verb, string_view method_str, string_view target_str, int v,
                       error_code&) override {
    method.assign(method_str.data(), method_str.size());
    target.assign(target_str.data(), target_str.size());
    version = static_cast<unsigned>(v);
  }
  void on_response_impl(int code, string_view, int v, error_code&) override {
    status = code;
    version = static_cast<unsigned>(v);
  }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value, error_code& ec) override {
    // The head is bounded by basic_parser's header_limit; a trailer only by what we count here.
    bool trailer = this->is_header_done();
    auto& fields = trailer ? trailer_fields_ : head_fields_;
    auto& bytes = trailer ? trailer_bytes_ : head_bytes_;
    bytes += name.size() + value.size() + 4;
    if (++fields > limits_.max_fields || bytes > limits_.header_bytes) {
      ec = boost::beast::http::error::header_limit;
      return;
    }
    if (trailer) return;
    if (headers.empty()) headers.reserve(16);  // one allocation for a usual head, not five
    std::string lower(name.data(), name.size());
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers.push_back({std::move(lower), std::string(value.data(), value.size())});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override {
    if (length && *length > limits_.body_bytes) {
      ec = boost::beast::http::error::body_limit;
      return;
    }
    if (length) body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(string_view data, error_code& ec) override { return append(data, ec); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view data, error_code& ec) override { return append(data, ec); }
  void on_finish_impl(error_code&) override {}

  std::size_t append(string_view data, error_code& ec) {
    if (body.size() + data.size() > limits_.body_bytes) {
      ec = boost::beast::http::error::body_limit;
      return 0;
    }
    body.append(data.data(), data.size());
    return data.size();
  }

  message_limits limits_;
  std::size_t head_fields_ = 0, trailer_fields_ = 0;
  std::size_t head_bytes_ = 0, trailer_bytes_ = 0;
};

// One "name: value" line of a message mynasim writes. Values often echo request data
// (state, URLs): a CR or LF in them never splits the message.
inline void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ");
  if (value.find_first_of("\r\n") == std::string_view::npos)
    out.append(value);
  else
    for (char c : value) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  out.append("\r\n");
}

// The end of input, as Beast's read loop reports it: nothing yet is end_of_stream.
template <bool IsRequest>
boost::beast::error_code finish(plain_parser<IsRequest>& parser) {
  boost::beast::error_code ec;
  if (!parser.got_some()) return boost::beast::http::error::end_of_stream;
  parser.put_eof(ec);
  return ec;
}

// Feeds bytes to a parser the way a read loop does — in pieces of at most `piece` bytes,
// through a buffer bounded like the transport's — then signals end of input. Returns the
// parser's error (need_more when the bytes end mid-message) or none when a message is done.
// For the fuzz targets and unit tests; the transport reads with Beast's async_read.
template <bool IsRequest>
boost::beast::error_code feed_parser(plain_parser<IsRequest>& parser, std::string_view bytes, std::size_t piece,
                                     std::size_t buffer_limit) {
  boost::beast::error_code ec;
  std::string buffer;
  std::size_t pos = 0;
  if (piece == 0) piece = 1;
  while (!parser.is_done()) {
    if (buffer.size() >= buffer_limit) return boost::beast::http::error::buffer_overflow;
    std::size_t take = std::min({piece, bytes.size() - pos, buffer_limit - buffer.size()});
    buffer.append(bytes.substr(pos, take));
    pos += take;
    if (buffer.empty() && pos == bytes.size()) return finish(parser);
    auto used = parser.put(boost::asio::const_buffer(buffer.data(), buffer.size()), ec);
    buffer.erase(0, used);
    bool stalled = used == 0 && take == 0;
    if (ec == boost::beast::http::error::need_more || (!ec && stalled)) {
      if (pos == bytes.size()) return finish(parser);
      ec = {};
      continue;
    }
    if (ec) return ec;
  }
  return ec;
}

}  // namespace mynasim
