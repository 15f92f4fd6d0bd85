// SPDX-License-Identifier: Apache-2.0
#include "app/request_log.hpp"

#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

#include "core/json_util.hpp"

namespace mynasim {
namespace {

// The line as a json object would print it: what the log wrote before it was built by hand,
// and what its readers parse.
std::string expected_line(const http_request& req, const http_response& res, double ms, const std::string& ts,
                          const std::string& error_code, const std::string& system) {
  nlohmann::json j{{"ts", ts},
                   {"request_id", req.request_id},
                   {"system", system},
                   {"listener", req.listener},
                   {"method", req.method},
                   {"path", req.path},
                   {"status", res.status},
                   {"latency_ms", std::round(ms * 1000) / 1000},
                   {"remote", req.remote_address}};
  if (!error_code.empty()) j["error_code"] = error_code;
  if (const auto* f = res.header("x-mynasim-faults")) j["faults"] = *f;
  return dump_json(j) + "\n";
}

TEST(RequestLog, JsonLinesAreWhatAJsonObjectWouldPrintEvenForHostileBytes) {
  auto ts = *parse_instant("2026-11-27T10:00:00+09:00");
  for (std::string path : {std::string("/healthz"), std::string("/a\"b\\c"), std::string("/ctl\x01\x1f\x7f"),
                           std::string("/bad-utf8-\xff\xfe/\xc3"), std::string("/山田/太郎"), std::string()}) {
    for (std::string code : {std::string(), std::string("MPE3003")}) {
      http_request req;
      req.method = "GET";
      req.path = path;
      req.listener = "systems";
      req.remote_address = "127.0.0.1";
      req.request_id = "r-" + path;
      http_response res = http_response::json(503, "{}");
      if (!code.empty()) res.headers.push_back({"x-mynasim-faults", "f1,\"f2\""});
      for (auto latency :
           {std::chrono::microseconds(0), std::chrono::microseconds(1234567), std::chrono::microseconds(7)}) {
        std::ostringstream out;
        {
          request_log log(out, true, true);
          log.request(req, res, latency, ts, code);
          log.flush();
        }
        auto ms = static_cast<double>(latency.count()) / 1000.0;
        EXPECT_EQ(out.str(), expected_line(req, res, ms, format_instant(ts), code, request_log::system_of(req)));
        EXPECT_TRUE(nlohmann::json::accept(out.str())) << out.str();
      }
    }
  }
}

}  // namespace
}  // namespace mynasim
