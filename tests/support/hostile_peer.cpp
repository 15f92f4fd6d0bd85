// SPDX-License-Identifier: Apache-2.0
#include "hostile_peer.hpp"

#include <chrono>
#include <csignal>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_server.hpp"

namespace mynasim::test {

// One accepted connection, plain or inside a TLS session.
struct peer_io {
  int fd;
  SSL* ssl = nullptr;

  bool send_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      auto n = ssl ? SSL_write(ssl, bytes.data() + sent, static_cast<int>(bytes.size() - sent))
                   : ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads until the end of the request head (bodies are small and ignored).
  void read_head() {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos && in.size() < 1 << 20) {
      if (!ssl || SSL_pending(ssl) == 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 2000) <= 0) return;
      }
      auto n = ssl ? SSL_read(ssl, buf, sizeof buf) : ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
    }
  }
};

namespace {

std::string chunked_with_trailer(const std::string& trailer) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Big\r\n\r\n"
         "2\r\n{}\r\n0\r\n" +
         trailer + "\r\n";
}

std::string json_answer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

const char* to_string(hostile_answer a) {
  switch (a) {
    case hostile_answer::huge_header:
      return "huge_header";
    case hostile_answer::huge_trailer:
      return "huge_trailer";
    case hostile_answer::many_trailers:
      return "many_trailers";
    case hostile_answer::garbage:
      return "garbage";
    case hostile_answer::endless_body:
      return "endless_body";
    case hostile_answer::reset:
      return "reset";
    case hostile_answer::deep_json:
      return "deep_json";
    case hostile_answer::wrong_types:
      return "wrong_types";
  }
  return "?";
}

hostile_peer::hostile_peer(hostile_answer answer, bool tls) : answer_(answer) {
  if (tls) {
    std::signal(SIGPIPE, SIG_IGN);  // a client that left mid-answer is an error to see, not a signal
    auto* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx, (test_certs_dir() + "/app.crt").c_str());
    SSL_CTX_use_PrivateKey_file(ctx, (test_certs_dir() + "/app.key").c_str(), SSL_FILETYPE_PEM);
    tls_ = ctx;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] {
    std::vector<std::thread> handlers;
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      handlers.emplace_back([this, fd] { serve(fd); });
    }
    for (auto& h : handlers) h.join();
  });
}

hostile_peer::~hostile_peer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
  if (tls_) SSL_CTX_free(static_cast<SSL_CTX*>(tls_));
}

std::string hostile_peer::url() const {
  return (tls_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

void hostile_peer::serve(int fd) {
  peer_io io{fd};
  if (tls_) {
    timeval t{2, 0};  // a client that never finishes its handshake does not hold this thread
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
    io.ssl = SSL_new(static_cast<SSL_CTX*>(tls_));
    SSL_set_fd(io.ssl, fd);
    if (SSL_accept(io.ssl) <= 0) {
      SSL_free(io.ssl);
      ::close(fd);
      return;
    }
  }
  serve_on(io);
  if (io.ssl) SSL_free(io.ssl);  // no close_notify: the answer is all there is
  ::close(fd);
}

void hostile_peer::serve_on(peer_io& io) {
  const int fd = io.fd;
  io.read_head();
  ++requests_;
  switch (answer_) {
    case hostile_answer::huge_header:
      io.send_all("HTTP/1.1 200 OK\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\nContent-Length: 2\r\n\r\n{}");
      break;
    case hostile_answer::huge_trailer:
      io.send_all(chunked_with_trailer("X-Big: " + std::string(100 * 1024, 'a') + "\r\n"));
      break;
    case hostile_answer::many_trailers: {
      std::string t;
      for (int i = 0; i < 10000; ++i) t += "X-T" + std::to_string(i) + ": v\r\n";
      io.send_all(chunked_with_trailer(t));
      break;
    }
    case hostile_answer::garbage:
      io.send_all(std::string("\x16\x03\x01 not http at all\r\n\r\n"));
      break;
    case hostile_answer::endless_body: {
      if (!io.send_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) break;
      for (int i = 0; i < 1500 && !stop_; ++i) {  // at most 30 s
        if (!io.send_all("1\r\n \r\n")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      break;
    }
    case hostile_answer::reset: {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      break;
    }
    case hostile_answer::deep_json:
      io.send_all(json_answer(std::string(100000, '[') + std::string(100000, ']')));
      break;
    case hostile_answer::wrong_types:
      io.send_all(json_answer(R"({"commonHeader":{"telegramType":5,"telegramId":[]},"person":7,"holders":{"a":1},)"
                              R"("reason":{"code":1,"detail":[]},"name":{},"results":"x","system":3})"));
      break;
  }
}

}  // namespace mynasim::test
