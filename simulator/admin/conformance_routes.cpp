// SPDX-License-Identifier: Apache-2.0
#include "admin/conformance_routes.hpp"

#include "core/json_util.hpp"

namespace mynasim {

namespace {

// POST /__admin/conformance/runs: {client_id, plan?, complete_screens?}.
http_response start_run(conformance_runner& runner, const http_request& req) {
  std::string error;
  auto body = parse_json(req.body, error);
  if (!body) return json_error(400, "invalid_run", error);
  if (!body->is_object() || !body->contains("client_id") || !(*body)["client_id"].is_string())
    return json_error(400, "invalid_run", "expected {\"client_id\": \"SP…\", \"plan\": \"all\"}");
  for (const auto& [k, v] : body->items())
    if (k != "client_id" && k != "plan" && k != "complete_screens")
      return json_error(400, "invalid_run", "unknown field '" + k + "' (client_id, plan, complete_screens)");
  if (body->contains("plan") && !(*body)["plan"].is_string())
    return json_error(400, "invalid_run", "plan must be a string: all, basic or test ids separated by commas");
  if (body->contains("complete_screens") && !(*body)["complete_screens"].is_boolean())
    return json_error(400, "invalid_run", "complete_screens must be true or false");
  conformance_runner::options options;
  options.complete_screens = body->value("complete_screens", false);
  int status = 400;
  auto run = runner.start((*body)["client_id"].get<std::string>(), body->value("plan", "all"), options, status, error);
  if (!run) return json_error(status, "invalid_run", error);
  return json_response(201, *run);
}

// GET /__admin/conformance/tests: every test and the named plans.
nlohmann::json conformance_tests_json() {
  nlohmann::json tests = nlohmann::json::array();
  for (const auto& t : conformance_tests())
    tests.push_back({{"id", t.id},
                     {"title_ja", t.title_ja},
                     {"title_en", t.title_en},
                     {"arranges", t.arranges},
                     {"arranges_ja", t.arranges_ja},
                     {"arranges_en", t.arranges},
                     {"expects", t.expects},
                     {"expects_ja", t.expects_ja},
                     {"expects_en", t.expects},
                     {"instruction_ja", t.instruction_ja},
                     {"remedy", t.remedy_en},
                     {"remedy_ja", t.remedy_ja},
                     {"remedy_en", t.remedy_en},
                     {"action", t.action}});
  return {{"tests", tests}, {"plans", {"all", "basic"}}};
}

}  // namespace

void register_conformance_routes(router& r, conformance_runner& runner) {
  r.add_sync("GET", "/__admin/conformance/tests",
             [](http_request&) { return json_response(200, conformance_tests_json()); });
  r.add_sync("GET", "/__admin/conformance/runs",
             [&runner](http_request&) { return json_response(200, runner.list()); });
  r.add_sync("POST", "/__admin/conformance/runs", [&runner](http_request& req) { return start_run(runner, req); });
  r.add_sync("GET", "/__admin/conformance/runs/{id}", [&runner](http_request& req) {
    auto run = runner.status(req.params["id"]);
    if (!run) return json_error(404, "unknown_run", "no run " + req.params["id"]);
    return json_response(200, *run);
  });
  r.add_sync("DELETE", "/__admin/conformance/runs/{id}", [&runner](http_request& req) {
    if (!runner.cancel(req.params["id"])) return json_error(404, "unknown_run", "no run " + req.params["id"]);
    // A reset, the world's removal or a new run's eviction can take it between the two calls.
    auto run = runner.status(req.params["id"]);
    if (!run) return json_error(404, "unknown_run", "run " + req.params["id"] + " was removed as it was cancelled");
    return json_response(200, *run);
  });
  r.add_sync("GET", "/__admin/conformance/runs/{id}/report", [&runner](http_request& req) {
    auto format = req.query_param("format").value_or("json");
    if (format != "json" && format != "junit" && format != "markdown")
      return json_error(400, "invalid_format", "format is json, junit or markdown");
    auto text = runner.report(req.params["id"], format);
    if (!text) return json_error(404, "unknown_run", "no run " + req.params["id"]);
    http_response res{200, {}, std::move(*text)};
    res.set("content-type", format == "junit"      ? "application/xml; charset=utf-8"
                            : format == "markdown" ? "text/markdown; charset=utf-8"
                                                   : "application/json");
    return res;
  });
}

}  // namespace mynasim
