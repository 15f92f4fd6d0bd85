// SPDX-License-Identifier: Apache-2.0
// The conformance lint reads journal entries whose bodies, paths and telegramIds an API user
// (or its notification endpoint) chose: entries built from hostile bytes, run through every rule
// and through the judge of every conformance test.
#include <algorithm>
#include <string>
#include <vector>

#include "config/world.hpp"
#include "conformance/lint.hpp"
#include "conformance/plan.hpp"

namespace {

const mynasim::world_config& world() {
  static const auto w = mynasim::load_world(MYNASIM_SOURCE_DIR "/fixtures/world.yaml");
  return w;
}

// Splits the input at '\x1e' into fields, cycling through the entry's strings.
std::vector<mynasim::journal_entry> entries_of(std::string_view in) {
  static const char* paths[] = {"/online-authorization-web/oauth/authorize",
                                "/online-authorization-web/oauth/token",
                                "/online-resource-web/request",
                                "/online-resource-web/result",
                                "/request",
                                "/result"};
  std::vector<mynasim::journal_entry> out;
  std::size_t field = 0;
  mynasim::journal_entry e;
  while (!in.empty() && out.size() < 64) {
    auto cut = in.find('\x1e');
    auto part = std::string(in.substr(0, cut));
    in = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
    switch (field++ % 6) {
      case 0:
        e = {};
        e.seq = out.size() + 1;
        e.direction = part.empty() || part[0] % 3 ? "in" : "out";
        e.listener = part.size() > 1 && part[1] % 2 ? "app" : "sp";
        e.path = paths[part.empty() ? 0 : static_cast<unsigned char>(part[0]) % 6];
        e.status = part.size() > 2 ? static_cast<unsigned char>(part[2]) * 3 : 200;
        e.latency_ms = part.size() > 3 ? static_cast<unsigned char>(part[3]) * 50.0 : 1;
        break;
      case 1:
        e.url = part;
        break;
      case 2:
        e.request_body = part;
        break;
      case 3:
        e.response_body = part;
        break;
      case 4:
        e.telegram_id = part;
        e.error_code = part.substr(0, 7);  // MPE3008, MPE5001, … or anything
        break;
      case 5:
        e.process_id = part;
        e.at = *mynasim::parse_instant("2026-12-02T10:00:00+09:00") + std::chrono::seconds(out.size());
        out.push_back(e);
        break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto entries = entries_of(std::string_view(reinterpret_cast<const char*>(data), size));
  auto report =
      mynasim::run_lint("SP00000086_AA0003", entries, world().data, {2, mynasim::millis{100}, mynasim::millis{1000}});
  (void)report.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  static const auto* service = world().data.find_service("SP00000200_CC0001");
  std::string error;
  // The same bytes as a plan (POST /__admin/conformance/runs {"plan": …}).
  (void)mynasim::expand_plan(std::string(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 8192)),
                             *service, error);
  static const auto plan = *mynasim::expand_plan("all", *service, error);
  for (const auto& t : plan) {
    auto arranged = mynasim::arrange(t, *service, world().data, "network");
    mynasim::judge_input in;
    in.test = &t;
    in.arranged = &arranged;
    in.data = &world().data;
    in.settings = &world().conformance;
    in.entries = entries;
    std::vector<long> seen;
    for (std::size_t i = 0; i < entries.size(); ++i) seen.push_back(static_cast<long>(i) * 700);
    in.seen_ms = seen;
    in.forged_code = entries.empty() ? "" : entries.front().url;
    in.forged_answer = size % 2 ? "HTTP 400" : "";
    in.timed_out = size % 3 == 0;
    (void)mynasim::judge(in);
  }
  return 0;
}
