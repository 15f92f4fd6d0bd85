// SPDX-License-Identifier: Apache-2.0
#include "app/request_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iostream>

#include <poll.h>
#include <unistd.h>

#include "core/json_util.hpp"

namespace mynasim {

std::string request_log::system_of(const http_request& req) {
  if (req.listener == "app" || req.listener == "sp") return "portal";
  if (req.listener == "admin") return "admin";
  constexpr std::string_view prefix = "/systems/";
  if (req.path.rfind(prefix, 0) == 0) {
    auto end = req.path.find('/', prefix.size());
    return req.path.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
  }
  return req.listener;
}

void request_log::request(const http_request& req, const http_response& res, std::chrono::microseconds latency,
                          instant virtual_time, const std::string& error_code) {
  if (!requests_) return;
  double ms = static_cast<double>(latency.count()) / 1000.0;
  std::string line;
  if (json_) {
    // Written field by field (keys in the order a json object would print them): a line per
    // request must not cost a map of a dozen allocated nodes.
    const auto* faults = res.header("x-mynasim-faults");
    line.reserve(256 + req.path.size());
    auto field = [&line](const char* key, std::string_view value) {
      line += line.empty() ? "{\"" : ",\"";
      line += key;
      line += "\":";
      append_json_string(line, value);
    };
    if (!error_code.empty()) field("error_code", error_code);
    if (faults) field("faults", *faults);
    line += line.empty() ? "{" : ",";
    line += "\"latency_ms\":" + dump_json(std::round(ms * 1000) / 1000);
    field("listener", req.listener);
    field("method", req.method);
    field("path", req.path);
    field("remote", req.remote_address);
    field("request_id", req.request_id);
    line += ",\"status\":" + std::to_string(res.status);
    field("system", system_of(req));
    field("ts", format_instant(virtual_time));
    line += '}';
  } else {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%d %.3fms", res.status, ms);
    line = format_instant(virtual_time) + " " + req.request_id + " " + system_of(req) + "/" + req.listener + " " +
           req.method + " " + req.path + " -> " + buf;
    if (!error_code.empty()) line += " errorCode=" + error_code;
    if (const auto* f = res.header("x-mynasim-faults")) line += " faults=" + *f;
  }
  enqueue(std::move(line), false);
}

request_log::request_log(std::ostream& out, bool json, bool requests) : out_(&out), json_(json), requests_(requests) {
  if (&out == &std::cout) {
    std::cout.flush();
    fd_ = 1;
    writer_ = std::thread([this] { writer_loop(); });
  }
}

request_log::~request_log() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_requested_ = true;
  wake_.notify_all();
  if (writer_.joinable())
    writer_.join();
  else
    flush();
}

void request_log::enqueue(std::string&& line, bool urgent) {
  {
    std::lock_guard lock(mutex_);
    if (broken_ || queued_.size() + line.size() + 1 > max_queued_bytes) {
      ++dropped_;
      return;
    }
    queued_ += line;
    queued_ += '\n';
    urgent_ = urgent_ || urgent;
  }
  if (urgent) flush();
}

void request_log::flush() {
  if (fd_ >= 0) {
    wake_.notify_all();
    return;
  }
  std::lock_guard lock(mutex_);
  if (queued_.empty()) return;
  try {
    *out_ << queued_;
    out_->flush();
  } catch (const std::ios_base::failure&) {
    // A stream that reports failing (its exceptions enabled) loses these lines, counted, as
    // a reader that went away does; serving goes on.
    dropped_ += static_cast<std::uint64_t>(std::count(queued_.begin(), queued_.end(), '\n'));
  }
  queued_.clear();
}

// Writes in pieces no larger than a pipe's atomic size, each only once poll() says the
// descriptor can take it, so a stuck reader blocks nothing for longer than one poll.
bool request_log::write_fd(std::string_view bytes, std::chrono::steady_clock::time_point give_up) {
  while (!bytes.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return false;
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return false;
    if (stop_requested_ && give_up == std::chrono::steady_clock::time_point::max())
      give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (ready <= 0 || !(p.revents & POLLOUT)) {
      if (std::chrono::steady_clock::now() >= give_up) return false;
      continue;
    }
    auto n = ::write(fd_, bytes.data(), std::min<std::size_t>(bytes.size(), 4096));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void request_log::writer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_ || urgent_; });
    urgent_ = false;
    if (queued_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::string batch;
    batch.swap(queued_);
    bool last = stopping_;
    lock.unlock();
    // While serving, a reader that stays away keeps its lines queued (and later ones are
    // dropped); at exit it gets one second.
    auto give_up = last ? std::chrono::steady_clock::now() + std::chrono::seconds(1)
                        : std::chrono::steady_clock::time_point::max();
    bool ok = write_fd(batch, give_up);
    lock.lock();
    if (!ok) {
      broken_ = true;  // EPIPE or closed: nobody will read these lines (the batch counts whole)
      dropped_ += static_cast<std::uint64_t>(std::count(batch.begin(), batch.end(), '\n') +
                                             std::count(queued_.begin(), queued_.end(), '\n'));
      queued_.clear();
      if (last || stopping_) return;
    }
    if (last) return;
  }
}

void request_log::event(const std::string& name, const nlohmann::json& fields) {
  std::string line;
  if (json_) {
    nlohmann::json j{{"event", name}};
    j.update(fields);
    line = dump_json(j);
  } else {
    line = name;
    for (auto& [k, v] : fields.items()) line += " " + k + "=" + (v.is_string() ? v.get<std::string>() : dump_json(v));
  }
  enqueue(std::move(line), true);
}

}  // namespace mynasim
