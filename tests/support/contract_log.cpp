// SPDX-License-Identifier: Apache-2.0
#include "contract_log.hpp"

#include <cstdlib>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace mynasim::test {
namespace {

const char* log_path() {
  static const char* path = std::getenv("MYNASIM_CONTRACT_LOG");
  return path && *path ? path : nullptr;
}

// One line, one write with O_APPEND: concurrent test processes never interleave a line.
void append(const nlohmann::json& j) {
  const char* path = log_path();
  if (!path) return;
  auto line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
  ::close(fd);
}

thread_local int exemptions = 0;

}  // namespace

contract_exemption::contract_exemption() {
  ++exemptions;
}
contract_exemption::~contract_exemption() {
  --exemptions;
}

bool contract_recording() {
  return log_path() != nullptr;
}

void record_response(const std::string& method, const std::string& target, int status,
                     const std::map<std::string, std::string>& headers, const std::string& body) {
  if (!log_path() || exemptions > 0) return;
  auto type = headers.count("content-type") ? headers.at("content-type") : "";
  append({{"kind", "response"},
          {"method", method},
          {"target", target},
          {"status", status},
          {"content_type", type},
          {"location", headers.count("location") ? headers.at("location") : ""},
          {"faults", headers.count("x-mynasim-faults") ? headers.at("x-mynasim-faults") : ""},
          {"body", body.size() > 1'000'000 ? body.substr(0, 1'000'000) : body}});
}

void record_notification(const std::string& path, const std::string& body, int answered_status) {
  append(
      {{"kind", "notification"}, {"method", "POST"}, {"target", path}, {"body", body}, {"answered", answered_status}});
}

}  // namespace mynasim::test
