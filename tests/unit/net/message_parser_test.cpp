// SPDX-License-Identifier: Apache-2.0
#include "net/message_parser.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace mynasim {
namespace {

namespace http = boost::beast::http;
using error_code = boost::beast::error_code;

// Small limits, so that every bound is reached with short messages.
const message_limits limits{256, 64, 8};

struct parsed_request {
  error_code ec;
  bool done = false;
  std::string method, target, body;
  unsigned version = 0;
  std::vector<http_header> headers;
};

parsed_request parse_request(std::string_view bytes, std::size_t piece = 4096, message_limits l = limits) {
  plain_parser<true> parser(l);
  parsed_request out;
  out.ec = feed_parser(parser, bytes, piece, l.buffer_bytes());
  out.done = parser.is_done();
  out.method = parser.method;
  out.target = parser.target;
  out.body = parser.body;
  out.version = parser.version;
  out.headers = parser.headers;
  return out;
}

// A GET whose head is exactly `size` bytes, padded with one X-Pad field.
std::string head_of_size(std::size_t size) {
  const std::string fixed = "GET / HTTP/1.1\r\nX-Pad: \r\n\r\n";
  return "GET / HTTP/1.1\r\nX-Pad: " + std::string(size - fixed.size(), 'p') + "\r\n\r\n";
}

std::string post_with_body(const std::string& body) {
  return "POST /token HTTP/1.1\r\nHost: sp\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunked(const std::string& chunks_and_trailer) {
  return "POST /notify HTTP/1.1\r\nHost: sp\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks_and_trailer;
}

TEST(MessageParser, ParsesARequestIntoPlainFields) {
  auto r = parse_request("GET /api/v1/items?x=1 HTTP/1.1\r\nHost: sp.example\r\nX-Mixed-Case: Value A\r\n\r\n");
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/api/v1/items?x=1");
  EXPECT_EQ(r.version, 11u);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].name, "host");  // names in lower case, values as sent
  EXPECT_EQ(r.headers[0].value, "sp.example");
  EXPECT_EQ(r.headers[1].name, "x-mixed-case");
  EXPECT_EQ(r.headers[1].value, "Value A");
  EXPECT_EQ(r.body, "");
}

TEST(MessageParser, HttpOneZeroAndRepeatedFieldsAreKept) {
  auto r = parse_request("GET / HTTP/1.0\r\nAccept: a\r\nACCEPT: b\r\n\r\n");
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.version, 10u);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[1].name, "accept");
  EXPECT_EQ(r.headers[1].value, "b");
}

TEST(MessageParser, TheSameMessageWhateverPiecesItArrivesIn) {
  const std::string bytes = post_with_body("grant_type=authorization_code") + "";
  auto whole = parse_request(bytes, bytes.size(), {1024, 1024, 8});
  ASSERT_FALSE(whole.ec) << whole.ec.message();
  EXPECT_EQ(whole.body, "grant_type=authorization_code");
  for (std::size_t piece : {1u, 2u, 3u, 7u, 64u}) {
    auto r = parse_request(bytes, piece, {1024, 1024, 8});
    EXPECT_FALSE(r.ec) << piece << ": " << r.ec.message();
    EXPECT_TRUE(r.done) << piece;
    EXPECT_EQ(r.body, whole.body) << piece;
    EXPECT_EQ(r.headers.size(), 2u) << piece;
  }
}

TEST(MessageParser, HeadUpToTheHeaderLimitIsRead) {
  auto at_limit = parse_request(head_of_size(256));
  EXPECT_FALSE(at_limit.ec) << at_limit.ec.message();
  EXPECT_TRUE(at_limit.done);
  auto in_pieces = parse_request(head_of_size(256), 5);
  EXPECT_FALSE(in_pieces.ec) << in_pieces.ec.message();
}

TEST(MessageParser, HeadBeyondTheHeaderLimitIsRefused) {
  // Read a few bytes at a time, the limit holds to the byte.
  for (std::size_t piece : {1u, 5u}) {
    auto r = parse_request(head_of_size(257), piece);
    EXPECT_EQ(r.ec, http::error::header_limit) << piece << ": " << r.ec.message();
    EXPECT_FALSE(r.done);
  }
  // Read at once, Beast applies the limit to the fields after the request line.
  auto whole = parse_request(head_of_size(2 * 256));
  EXPECT_EQ(whole.ec, http::error::header_limit) << whole.ec.message();
  EXPECT_EQ(whole.ec.message(), "header limit exceeded");
  EXPECT_EQ(parse_request(head_of_size(4096), 4096, {256, 64, 8}).ec, http::error::header_limit);
}

TEST(MessageParser, FieldCountIsBounded) {
  std::string eight = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 8; ++i) eight += "F" + std::to_string(i) + ": v\r\n";
  auto ok = parse_request(eight + "\r\n");
  EXPECT_FALSE(ok.ec) << ok.ec.message();
  EXPECT_EQ(ok.headers.size(), 8u);
  auto nine = parse_request(eight + "F8: v\r\n\r\n");
  EXPECT_EQ(nine.ec, http::error::header_limit) << nine.ec.message();
}

TEST(MessageParser, BodyUpToTheLimitIsRead) {
  auto r = parse_request(post_with_body(std::string(64, 'b')));
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.body, std::string(64, 'b'));
}

TEST(MessageParser, ContentLengthBeyondTheBodyLimitIsRefusedBeforeTheBody) {
  // Only the head is sent: the declared length alone is refused.
  auto r = parse_request("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n");
  EXPECT_EQ(r.ec, http::error::body_limit) << r.ec.message();
  EXPECT_EQ(r.ec.message(), "body limit exceeded");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(parse_request(post_with_body(std::string(65, 'b')), 3).ec, http::error::body_limit);
}

TEST(MessageParser, ChunkedBodiesAreJoined) {
  auto r = parse_request(chunked("4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n"));
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "Wikipedia");
  auto slow = parse_request(chunked("4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), 1);
  EXPECT_FALSE(slow.ec) << slow.ec.message();
  EXPECT_EQ(slow.body, "Wikipedia");
}

TEST(MessageParser, ChunkedBodyIsBoundedInTotal) {
  // 40 + 24 = 64: at the limit; one byte more in a third chunk is too much.
  const std::string forty(40, 'a'), twenty_four(24, 'b');
  auto ok = parse_request(chunked("28\r\n" + forty + "\r\n18\r\n" + twenty_four + "\r\n0\r\n\r\n"));
  EXPECT_FALSE(ok.ec) << ok.ec.message();
  EXPECT_EQ(ok.body.size(), 64u);
  auto over = parse_request(chunked("28\r\n" + forty + "\r\n18\r\n" + twenty_four + "\r\n1\r\nc\r\n0\r\n\r\n"));
  EXPECT_EQ(over.ec, http::error::body_limit) << over.ec.message();
  auto one_big = parse_request(chunked("41\r\n" + std::string(65, 'x') + "\r\n0\r\n\r\n"));
  EXPECT_EQ(one_big.ec, http::error::body_limit) << one_big.ec.message();
}

TEST(MessageParser, TrailerFieldsAreCountedNotKept) {
  auto r = parse_request(chunked("3\r\nabc\r\n0\r\nX-Checksum: 900150983cd2\r\nX-Other: 1\r\n\r\n"));
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.body, "abc");
  ASSERT_EQ(r.headers.size(), 2u);  // host and transfer-encoding only
  EXPECT_EQ(r.headers[0].name, "host");
  EXPECT_EQ(r.headers[1].name, "transfer-encoding");
}

TEST(MessageParser, TrailerFieldCountHasItsOwnBudget) {
  // The head has two fields; the trailer may have eight more, not nine.
  std::string eight;
  for (int i = 0; i < 8; ++i) eight += "T" + std::to_string(i) + ": v\r\n";
  auto ok = parse_request(chunked("1\r\na\r\n0\r\n" + eight + "\r\n"));
  EXPECT_FALSE(ok.ec) << ok.ec.message();
  auto nine = parse_request(chunked("1\r\na\r\n0\r\n" + eight + "T8: v\r\n\r\n"));
  EXPECT_EQ(nine.ec, http::error::header_limit) << nine.ec.message();
}

TEST(MessageParser, TrailerBytesAreBoundedLikeTheHead) {
  // One trailer field counts name + value + 4 bytes against the 256-byte budget.
  const std::string name = "X-Big";
  auto trailer_with = [&](std::size_t counted) {
    return chunked("1\r\na\r\n0\r\n" + name + ": " + std::string(counted - name.size() - 4, 'v') + "\r\n\r\n");
  };
  message_limits roomy{256, 64, 8};
  auto ok = parse_request(trailer_with(256), 4096, roomy);
  EXPECT_FALSE(ok.ec) << ok.ec.message();
  auto over = parse_request(trailer_with(257), 4096, roomy);
  EXPECT_EQ(over.ec, http::error::header_limit) << over.ec.message();
}

// put() the way a read loop does; returns how many bytes the one message used.
template <bool IsRequest>
std::size_t put_one(plain_parser<IsRequest>& parser, std::string_view bytes, error_code& ec) {
  std::size_t used = 0;
  while (!parser.is_done()) {
    auto n = parser.put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec || n == 0) break;
  }
  return used;
}

TEST(MessageParser, PipelinedRequestsAreReadOneAtATime) {
  const std::string first = post_with_body("a=1");
  const std::string second = "GET /second HTTP/1.1\r\nHost: sp\r\n\r\n";
  const std::string third = post_with_body("c=333");
  const std::string stream = first + second + third;

  plain_parser<true> p1(limits);
  error_code ec;
  EXPECT_EQ(put_one(p1, stream, ec), first.size());
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(p1.body, "a=1");

  plain_parser<true> p2(limits);
  EXPECT_EQ(put_one(p2, std::string_view(stream).substr(first.size()), ec), second.size());
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(p2.target, "/second");
  EXPECT_EQ(p2.body, "");

  plain_parser<true> p3(limits);
  EXPECT_EQ(put_one(p3, std::string_view(stream).substr(first.size() + second.size()), ec), third.size());
  EXPECT_EQ(p3.body, "c=333");
}

TEST(MessageParser, FeedParserStopsAtTheEndOfTheFirstMessage) {
  auto r = parse_request(post_with_body("a=1") + "GET /second HTTP/1.1\r\n\r\n", 1);
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.target, "/token");
  EXPECT_EQ(r.body, "a=1");
}

TEST(MessageParser, EndOfInputIsReported) {
  EXPECT_EQ(parse_request("").ec, http::error::end_of_stream);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nHost: a\r\n").ec, http::error::partial_message);
  auto short_body = parse_request("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345");
  EXPECT_EQ(short_body.ec, http::error::partial_message) << short_body.ec.message();
  EXPECT_FALSE(short_body.done);
  EXPECT_EQ(parse_request(chunked("4\r\nWi")).ec, http::error::partial_message);
}

TEST(MessageParser, ABufferThatCannotHoldTheHeadOverflows) {
  plain_parser<true> parser(limits);
  auto ec = feed_parser(parser, head_of_size(200), 8, 100);
  EXPECT_EQ(ec, http::error::buffer_overflow) << ec.message();
}

TEST(MessageParser, MalformedRequestsAreRefusedWithTheirReason) {
  struct bad {
    std::string bytes;
    http::error expected;
  };
  const std::vector<bad> cases = {
      {"G(T / HTTP/1.1\r\n\r\n", http::error::bad_method},
      {"GET  HTTP/1.1\r\n\r\n", http::error::bad_target},
      {"GET / HTTP/1.x\r\n\r\n", http::error::bad_version},
      {"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", http::error::bad_field},
      {"GET / HTTP/1.1\r\nBad\x01Name: v\r\n\r\n", http::error::bad_field},
      {"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", http::error::bad_value},
      {"POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n", http::error::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", http::error::multiple_content_length},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", http::error::bad_chunk},
  };
  for (const auto& c : cases) {
    auto r = parse_request(c.bytes);
    EXPECT_EQ(r.ec, c.expected) << c.bytes << " -> " << r.ec.message();
    EXPECT_FALSE(r.done) << c.bytes;
  }
  EXPECT_EQ(parse_request("G(T / HTTP/1.1\r\n\r\n").ec.message(), "bad method");
}

TEST(MessageParser, ParsesAResponse) {
  plain_parser<false> parser(limits);
  auto ec = feed_parser(parser, "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok", 3,
                        limits.buffer_bytes());
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.status, 201);
  EXPECT_EQ(parser.version, 11u);
  ASSERT_EQ(parser.headers.size(), 2u);
  EXPECT_EQ(parser.headers[0].name, "content-type");
  EXPECT_EQ(parser.body, "ok");
}

TEST(MessageParser, AResponseWithoutLengthEndsAtTheEndOfInput) {
  plain_parser<false> parser(limits);
  auto ec = feed_parser(parser, "HTTP/1.1 200 OK\r\n\r\nall of it", 4, limits.buffer_bytes());
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.body, "all of it");
  plain_parser<false> too_long(limits);
  EXPECT_EQ(feed_parser(too_long, "HTTP/1.1 200 OK\r\n\r\n" + std::string(65, 'x'), 16, limits.buffer_bytes()),
            http::error::body_limit);
}

TEST(MessageParser, MalformedResponsesAreRefused) {
  plain_parser<false> bad_status(limits);
  EXPECT_EQ(feed_parser(bad_status, "HTTP/1.1 2000 OK\r\n\r\n", 64, limits.buffer_bytes()), http::error::bad_status);
  plain_parser<false> not_http(limits);
  EXPECT_EQ(feed_parser(not_http, "SSH-2.0-OpenSSH_9.2\r\n\r\n", 64, limits.buffer_bytes()), http::error::bad_version);
}

TEST(AppendField, WritesOneLineAndNeverSplitsTheMessage) {
  std::string out;
  append_field(out, "Location", "https://sp.example/cb?state=s1");
  EXPECT_EQ(out, "Location: https://sp.example/cb?state=s1\r\n");
  out.clear();
  append_field(out, "Location", "/cb?state=a\r\nSet-Cookie: x=1\n");
  EXPECT_EQ(out, "Location: /cb?state=a  Set-Cookie: x=1 \r\n");
  out.clear();
  append_field(out, "X-Empty", "");
  EXPECT_EQ(out, "X-Empty: \r\n");
}

}  // namespace
}  // namespace mynasim
