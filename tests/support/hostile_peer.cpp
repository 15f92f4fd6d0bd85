#include "hostile_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace mynasim::test {
namespace {

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads until the end of the request head (bodies are small and ignored).
void read_head(int fd) {
  std::string in;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos && in.size() < 1 << 20) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    in.append(buf, static_cast<std::size_t>(n));
  }
}

std::string chunked_with_trailer(const std::string& trailer) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Big\r\n\r\n"
         "2\r\n{}\r\n0\r\n" + trailer + "\r\n";
}

std::string json_answer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

const char* to_string(hostile_answer a) {
  switch (a) {
    case hostile_answer::huge_header: return "huge_header";
    case hostile_answer::huge_trailer: return "huge_trailer";
    case hostile_answer::many_trailers: return "many_trailers";
    case hostile_answer::garbage: return "garbage";
    case hostile_answer::endless_body: return "endless_body";
    case hostile_answer::reset: return "reset";
    case hostile_answer::deep_json: return "deep_json";
    case hostile_answer::wrong_types: return "wrong_types";
  }
  return "?";
}

hostile_peer::hostile_peer(hostile_answer answer) : answer_(answer) {
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
}

std::string hostile_peer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void hostile_peer::serve(int fd) {
  read_head(fd);
  ++requests_;
  switch (answer_) {
    case hostile_answer::huge_header:
      send_all(fd, "HTTP/1.1 200 OK\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\nContent-Length: 2\r\n\r\n{}");
      break;
    case hostile_answer::huge_trailer:
      send_all(fd, chunked_with_trailer("X-Big: " + std::string(100 * 1024, 'a') + "\r\n"));
      break;
    case hostile_answer::many_trailers: {
      std::string t;
      for (int i = 0; i < 10000; ++i) t += "X-T" + std::to_string(i) + ": v\r\n";
      send_all(fd, chunked_with_trailer(t));
      break;
    }
    case hostile_answer::garbage: send_all(fd, std::string("\x16\x03\x01 not http at all\r\n\r\n")); break;
    case hostile_answer::endless_body: {
      if (!send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) break;
      for (int i = 0; i < 1500 && !stop_; ++i) {  // at most 30 s
        if (!send_all(fd, "1\r\n \r\n")) break;
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
      send_all(fd, json_answer(std::string(100000, '[') + std::string(100000, ']')));
      break;
    case hostile_answer::wrong_types:
      send_all(fd, json_answer(R"({"commonHeader":{"telegramType":5,"telegramId":[]},"person":7,"holders":{"a":1},)"
                               R"("reason":{"code":1,"detail":[]},"name":{},"results":"x","system":3})"));
      break;
  }
  ::close(fd);
}

}  // namespace mynasim::test
